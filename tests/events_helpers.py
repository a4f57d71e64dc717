"""Shared helpers for the event-extraction tests."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from transforms.events.extract import extract_mentions
from transforms.events.model import EventModel, load_event_model
from transforms.ids import article_id
from transforms.records import Article
from transforms.settings import Settings

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@functools.lru_cache(maxsize=1)
def model() -> EventModel:
    return load_event_model(Settings())


def make_article(text: str, language: str = "de", published: dt.date | None = None, title: str | None = None) -> Article:
    stamp = dt.datetime(published.year, published.month, published.day, 9, tzinfo=dt.timezone.utc) if published else None
    return Article(
        article_id=article_id(None, text), url=None, source_uri="test", source=None, title=title, text=text,
        removed=(), language=language, language_prob=1.0, published_at=stamp, published_basis=None,
        ingested_at=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), content_hash="h",
    )


def type_and_countries(text: str, language: str = "en", published: dt.date = dt.date(2024, 6, 2)) -> list[tuple[str, list[str]]]:
    """(event type, sorted participant countries) of each mention extracted from ``text``."""
    mentions = extract_mentions(make_article(text, language, published=published), model())
    return [(m.event_type, sorted({p.country for p in m.participants})) for m in mentions]
