"""HTTP for feeds: a guarded client (deadlines, size caps, redirects, retries, politeness) over
connections checked against private and metadata addresses. Beam-free."""
