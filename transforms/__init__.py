"""eventwire: news articles to a deduplicated table of political events."""
