"""Deduplicate articles: one per URL id and normalized content; near-duplicates flagged."""
