"""Deduplicate: articles (same URL, same normalized content, near-duplicates flagged) and
mentions into events (same event date, type and participant set).

Events are a view over mentions: ``events_from_mentions`` recomputes them, with counts,
from all mentions of a partition, so the same event reported on two days by two outlets
stays one event and a re-run changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import apache_beam as beam

from transforms.records import Article, Event, Mention, Participant, Reject

_WORD = re.compile(r"\w+", re.UNICODE)


# --- articles -------------------------------------------------------------------------------


def canonical_order(article: Article) -> tuple[Any, ...]:
    """Which copy survives: the one with a URL, then a publication date, then the smallest source_uri."""
    return (article.url is None, article.published_at is None, article.source_uri)


def split_duplicates(group: Iterable[Article], reason: str) -> tuple[Article, list[Reject]]:
    """The surviving article of a group of duplicates, and a dedup reject for each other copy."""
    ordered = sorted(group, key=canonical_order)
    kept = ordered[0]
    if kept.url is None:
        reason = "dedup/duplicate_content"  # without a URL the id itself is the content
    rejects = [
        Reject(dup.source_uri, "dedup", reason, f"same {reason.split('_', 1)[1]} as {kept.article_id} ({kept.source_uri})")
        for dup in ordered[1:]
    ]
    return kept, rejects


def simhash(text: str, shingle: int = 3) -> int:
    """64-bit SimHash over word shingles: near-identical texts differ in a few bits."""
    words = _WORD.findall(text.casefold())
    weights = [0] * 64
    grams = [" ".join(words[i : i + shingle]) for i in range(max(1, len(words) - shingle + 1))]
    for gram in grams:
        value = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def simhash_bands(value: int, bands: int = 4) -> list[tuple[int, int]]:
    """LSH bands: texts within 3 bits of each other share at least one 16-bit band."""
    width = 64 // bands
    return [(band, (value >> (band * width)) & ((1 << width) - 1)) for band in range(bands)]


# --- events ---------------------------------------------------------------------------------


def source_of(mention: Mention) -> str:
    """A mention's outlet for num_sources: the source name, else the URL host, else its article."""
    if mention.source:
        return mention.source.casefold()
    if mention.url:
        return (urlsplit(mention.url).hostname or mention.article_id).removeprefix("www.")
    return mention.article_id


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]  # ties: smallest value, stable


def merge_participants(mentions: list[Mention]) -> tuple[Participant, ...]:
    """One participant per key; the name most often written for it."""
    by_key: dict[str, list[Participant]] = {}
    for mention in mentions:
        for participant in mention.participants:
            by_key.setdefault(participant.key, []).append(participant)
    merged = []
    for key in sorted(by_key):
        group = by_key[key]
        name = _most_common(p.name for p in group)
        merged.append(next(p for p in group if p.name == name))
    return tuple(merged)


def merge_event(mentions: list[Mention]) -> Event:
    """All mentions of one event_id as the event row, with counts recomputed from them."""
    mentions = sorted(mentions, key=lambda m: m.mention_id)
    first = mentions[0]
    example = min(mentions, key=lambda m: (len(m.sentence) > 400, m.url is None, m.mention_id))
    return Event(
        event_id=first.event_id, event_date=first.event_date, event_type=first.event_type,
        event_mode=_most_common(m.event_mode for m in mentions), cameo_code=_most_common(m.cameo_code for m in mentions),
        quad_class=first.quad_class, goldstein=first.goldstein, participants=merge_participants(mentions),
        num_mentions=len(mentions), num_articles=len({m.article_id for m in mentions}),
        num_sources=len({source_of(m) for m in mentions}),
        location_country=_most_common(m.location_country for m in mentions),
        location_name=_most_common(m.location_name for m in mentions),
        example_sentence=example.sentence, example_url=example.url,
        article_ids=tuple(sorted({m.article_id for m in mentions})),
    )


def events_from_mentions(mentions: Iterable[Mention]) -> list[Event]:
    groups: dict[str, list[Mention]] = {}
    for mention in mentions:
        groups.setdefault(mention.event_id, []).append(mention)
    return [merge_event(group) for _, group in sorted(groups.items())]


def mention_from_row(row: Mapping[str, Any]) -> Mention:
    """A mention read back from Parquet (for re-materializing events)."""
    fields = {f.name for f in dataclasses.fields(Mention)}
    values = {k: v for k, v in row.items() if k in fields}
    values["participants"] = tuple(Participant(**p) for p in row.get("participants") or ())
    return Mention(**values)


# --- Beam -----------------------------------------------------------------------------------


class _KeepFirstFn(beam.DoFn):
    def __init__(self, reason: str) -> None:
        self._reason = reason

    def process(self, keyed: tuple[str, Iterable[Article]]) -> Iterator[Any]:
        kept, rejects = split_duplicates(keyed[1], self._reason)
        for reject in rejects:
            beam.metrics.Metrics.counter("eventwire", f"reject:{reject.reason}").inc()
            yield beam.pvalue.TaggedOutput("rejects", reject)
        yield kept


class DedupArticles(beam.PTransform):
    """One article per URL and per normalized content within a run; copies become dedup rejects."""

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        by_id = (
            articles
            | "ById" >> beam.Map(lambda a: (a.article_id, a))
            | "GroupById" >> beam.GroupByKey()
            | "FirstById" >> beam.ParDo(_KeepFirstFn("dedup/duplicate_url")).with_outputs("rejects", main="kept")
        )
        by_content = (
            by_id.kept
            | "ByContent" >> beam.Map(lambda a: (a.content_hash, a))
            | "GroupByContent" >> beam.GroupByKey()
            | "FirstByContent" >> beam.ParDo(_KeepFirstFn("dedup/duplicate_content")).with_outputs("rejects", main="kept")
        )
        rejects = (by_id.rejects, by_content.rejects) | "DedupRejects" >> beam.Flatten()
        return {"articles": by_content.kept, "rejects": rejects}
