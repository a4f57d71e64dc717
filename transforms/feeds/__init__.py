"""Feeds: RSS/Atom polling, per-feed state, and fetching each entry's page.

Beam stages: ``poll.FetchEntries`` (batch) and ``stream.PollFeeds`` (streaming)."""
