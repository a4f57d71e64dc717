"""Typed records that flow between the stages.

Plain frozen dataclasses: they pickle (Beam's default coder), compare by value in
``assert_that``, and keep every stage's function signature honest. This module
imports nothing of ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Stages a reject can come from; the README lists every reason per stage.
STAGES = ("read", "parse", "fetch", "feed", "clean", "language", "extract", "dedup", "write")


@dataclass(frozen=True)
class RawDocument:
    """One input article before cleaning: a text or an HTML body plus what the source says."""

    source_uri: str  # where it came from: a path, "path#L12" for a JSONL line, "path#O1234" for a WARC record
    kind: str  # "text" or "html"
    body: str
    url: str | None = None
    title: str | None = None
    published_at: dt.datetime | None = None  # UTC
    published_basis: str | None = None  # "metadata", "warc_date", "http_last_modified", "first_fetch", ...
    source: str | None = None  # publisher / outlet name
    encoding: str | None = None  # the encoding the bytes were decoded with
    fetch_status: str | None = None  # feeds: "fetched", "fallback_content", "fallback_summary"
    fetch_error: str | None = None  # feeds, with a fallback: why the page was not fetched ("fetch/dns_error: ...")
    language_hint: str | None = None
    input_bytes: int = 0


@dataclass(frozen=True)
class Removed:
    """A text segment removed as boilerplate, with the rule that removed it (for audits)."""

    text: str
    rule: str


@dataclass(frozen=True)
class Article:
    article_id: str
    url: str | None
    source_uri: str
    source: str | None
    title: str | None
    text: str
    removed: tuple[Removed, ...]
    language: str
    language_prob: float | None
    published_at: dt.datetime | None
    published_basis: str | None
    ingested_at: dt.datetime
    content_hash: str
    authors: tuple[str, ...] = ()
    site_name: str | None = None
    encoding: str | None = None
    fetch_status: str | None = None
    near_duplicate_of: str | None = None  # the smallest article_id within SimHash distance 3, if smaller than ours
    simhash: str | None = None  # 64-bit SimHash of the text (16 hex digits); None for texts too short to compare
    url_source: str | None = None  # "input" (the record, sidecar, WARC or feed), "canonical", "og:url"; None: no url
    fetch_error: str | None = None  # feeds: why the page was not fetched when the entry's text stands in for it


@dataclass(frozen=True)
class Participant:
    name: str  # as written
    key: str  # what dedup compares: "RUS:foreign_minister", or a folded name
    country: str | None  # ISO 3166-1 alpha-3 or an IGO code
    role: str | None
    actor_code: str | None  # CAMEO style, e.g. RUSGOV


@dataclass(frozen=True)
class Mention:
    mention_id: str
    event_id: str
    article_id: str
    url: str | None
    source: str | None
    language: str
    sentence: str
    trigger: str
    event_type: str
    event_mode: str | None
    cameo_code: str
    quad_class: int
    goldstein: float
    participants: tuple[Participant, ...]
    event_date: dt.date | None
    date_basis: str
    date_text: str | None
    location_country: str | None = None
    location_name: str | None = None
    source_keys: tuple[str, ...] = ()  # participants who did it (every party of a symmetric act)
    target_keys: tuple[str, ...] = ()  # participants it was done to (every party of a symmetric act)
    confidence: float | None = None  # how sure the extractor is, in [0, 1] (docs/events.md); None: not scored


@dataclass(frozen=True)
class Event:
    event_id: str
    event_date: dt.date | None
    event_type: str
    event_mode: str | None
    cameo_code: str
    quad_class: int
    goldstein: float
    participants: tuple[Participant, ...]
    num_mentions: int
    num_articles: int
    num_sources: int
    location_country: str | None
    location_name: str | None
    example_sentence: str
    example_url: str | None
    article_ids: tuple[str, ...] = field(default=())
    source_keys: tuple[str, ...] = ()  # the direction of its most confident mention
    target_keys: tuple[str, ...] = ()
    confidence: float | None = None  # the highest confidence of its mentions


@dataclass(frozen=True)
class Reject:
    """An input (or part of one) that could not become an article, and why."""

    source_uri: str
    stage: str
    reason: str  # a stable identifier "stage/what", listed in the README
    detail: str
    rejected_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"unknown reject stage {self.stage!r}")
        if not self.reason.startswith(self.stage + "/"):
            raise ValueError(f"reject reason {self.reason!r} must start with {self.stage + '/'!r}")
