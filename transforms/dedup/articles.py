"""Deduplicate articles: same URL, same normalized content; near-duplicates (SimHash) flagged.

(Reports of the same event are merged into one event row by ``transforms.events.aggregate``.)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import apache_beam as beam

from transforms.records import Article, Reject

# --- articles -------------------------------------------------------------------------------


_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """``a.jsonl#L2`` before ``a.jsonl#L11``: numbers inside names compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(text))


def canonical_order(article: Article) -> tuple[Any, ...]:
    """Which copy survives: the one with a URL, then a publication date, then the first in input order."""
    return (article.url is None, article.published_at is None, natural_key(article.source_uri))


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


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def simhash_bands(value: int, bands: int = 4) -> list[tuple[int, int]]:
    """LSH bands: texts within 3 bits of each other share at least one 16-bit band."""
    width = 64 // bands
    return [(band, (value >> (band * width)) & ((1 << width) - 1)) for band in range(bands)]


NEAR_DISTANCE = 3  # at most this many differing bits is a near-duplicate (4 bands of 16 bits find every such pair)


class NearEntry(NamedTuple):
    """One article in the near-duplicate search: new in this run, or already in the output."""

    article_id: str
    simhash: int
    new: bool
    partition: str | None = None  # existing articles: their articles partition (to patch the flag there)


def near_duplicate_links(entries: Iterable[NearEntry], max_distance: int = NEAR_DISTANCE) -> Iterator[tuple[NearEntry, str]]:
    """(article, smallest id it nearly duplicates): per article, the smallest article_id within
    ``max_distance`` bits of it, for pairs of which at least one is new.

    The canonical copy is the smallest article_id, so the final flags are a function of the set
    of articles, not of the order or the runs in which they arrived. Only the smallest link of an
    article is emitted (every consumer takes the minimum): a band shared by thousands of near
    copies then costs one comparison per article, not one per pair (the pairs grew quadratically
    in memory and time: 2.2 GiB for 4,000 copies of one text).
    """
    items = sorted(set(entries))  # by article_id first: the first match below is the smallest
    for index, high in enumerate(items):
        for low in items[:index]:
            if low.article_id == high.article_id or not (low.new or high.new):
                continue
            if hamming(low.simhash, high.simhash) <= max_distance:
                yield high, low.article_id
                break


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


class _NearLinksFn(beam.DoFn):
    """A band value shared by new articles -> their links, against each other and against the
    existing articles (from the index) with the same band value."""

    def process(self, keyed: tuple[tuple[int, int], Iterable[NearEntry]], new_ids: list[str],
                index: Any = None) -> Iterator[tuple[NearEntry, str]]:
        if getattr(self, "_source", None) is not new_ids:
            self._source, self._new = new_ids, frozenset(new_ids)
        (band, value), entries = keyed
        found = [] if index is None else list(index.sharing_band(band, value))
        # an existing row of an article re-emitted now (reprocess) is replaced: compare its new text only
        old = [NearEntry(i, h, False, p) for i, h, p, _ in found if i not in self._new]
        flagged = {i: canonical for i, _, _, canonical in found if canonical is not None}
        for high, low in near_duplicate_links([*entries, *old]):
            # an existing article already flagged with an id at most this one: its patch would change
            # nothing (patches only lower the flag). Near copies of one text in a big output: each wave
            # patched every copy again (hundreds of thousands of links per wave, growing with the output)
            current = None if high.new else flagged.get(high.article_id)
            if current is None or current > low:
                yield high, low


def _flag(keyed: tuple[str, Mapping[str, list[Any]]]) -> Iterator[Article]:
    canonical = min(keyed[1]["canonical"], default=None)
    for article in keyed[1]["article"]:
        yield dataclasses.replace(article, near_duplicate_of=canonical)


class FlagNearDuplicates(beam.PTransform):
    """New Articles -> {"articles": with near_duplicate_of, "patches": (article_id, partition, canonical id)}.

    Candidates share a 16-bit LSH band (GroupByKey per band value of the new articles), then the
    exact distance decides. ``index`` (a side input of one ``transforms.output.index.ArticleIndex``, or
    None) is what the output holds: each band group of new articles is compared with the existing
    articles of the same band value, looked up in the index (the existing SimHashes are not in the
    shuffle: a group of existing articles only, which can give no link, is never formed). Existing
    articles are patched when a new article with a smaller id nearly duplicates them.
    """

    def __init__(self, index: Any = None) -> None:
        super().__init__()
        self._index = index

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        # each article carries its SimHash since cleaning (ids.text_simhash)
        new_ids = articles | "NewIds" >> beam.Map(lambda a: a.article_id)
        new = articles | "NewEntries" >> beam.FlatMap(  # the comparable ones: a text too short has no SimHash
            lambda a: [] if a.simhash is None else [NearEntry(a.article_id, int(a.simhash, 16), True)])
        side = {"new_ids": beam.pvalue.AsList(new_ids)}
        if self._index is not None:
            side["index"] = self._index
        links = (
            new
            | "Bands" >> beam.FlatMap(lambda e: [(band, e) for band in simhash_bands(e.simhash)])
            | "GroupByBand" >> beam.GroupByKey()
            | "Links" >> beam.ParDo(_NearLinksFn(), **side)
        )
        canonical = links | "NewLinks" >> beam.FlatMap(lambda link: [(link[0].article_id, link[1])] if link[0].new else [])
        flagged = (
            {"article": articles | "KeyArticles" >> beam.Map(lambda a: (a.article_id, a)), "canonical": canonical}
            | "JoinFlags" >> beam.CoGroupByKey()
            | "Flag" >> beam.FlatMap(_flag)
        )
        patches = (
            links
            | "OldLinks" >> beam.FlatMap(
                lambda link: [] if link[0].new else [((link[0].article_id, link[0].partition), link[1])])
            | "Lowest" >> beam.CombinePerKey(min)
            | "Patches" >> beam.Map(lambda kv: (kv[0][0], kv[0][1], kv[1]))
        )
        return {"articles": flagged, "patches": patches}


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
