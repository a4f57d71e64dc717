"""Feeds: RSS/Atom polling, per-feed state, and fetching each entry's page.

Beam stages: ``stage.FetchEntries`` (pages of new entries) and ``stream.PollFeeds`` (the streaming poll); the rest is Beam-free."""
