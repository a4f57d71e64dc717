"""The shared graph: RawDocuments in, the four tables out. Batch files, feeds and the streaming
watcher all end in ``ArticlesToTables``; only their sources (and windowing) differ."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from transforms import ids
from transforms.clean.stage import Clean, RemoveRecurring
from transforms.dedup.articles import DedupArticles, FlagNearDuplicates
from transforms.events.model import EventModel
from transforms.events.stage import Analyze
from transforms.output.commit import RunContext
from transforms.output.index import ArticleIndex, LoadIndex, LoadMentionsIndex
from transforms.output.tables import NEAR_DUPLICATE_PATCH
from transforms.output.write import WriteTables
from transforms.records import Article, RawDocument
from transforms.settings import Settings


class _SkipKnownUrlFn(beam.DoFn):
    """Drop documents whose URL id is already in the output, before any expensive work."""

    def process(self, doc: RawDocument, known: ArticleIndex) -> Iterator[RawDocument]:
        if doc.url and known.has_id(ids.article_id(doc.url, "")):
            beam.metrics.Metrics.counter("eventwire", "already_present").inc()
            return
        yield doc


class _SkipKnownArticleFn(beam.DoFn):
    """Drop articles already present by id or content; with reprocess, keep their first ingestion.

    A reprocessed article also names its current articles partition (tag ``touch``), so its old
    row is removed there even when the new one lands elsewhere.
    """

    def __init__(self, reprocess: bool) -> None:
        self._reprocess = reprocess

    def process(self, article: Article, known: ArticleIndex) -> Iterator[Article]:
        previous = known.previous(article.article_id)
        if self._reprocess and previous is not None:
            ingested_at, partition = previous
            beam.metrics.Metrics.counter("eventwire", "reprocessed").inc()
            yield beam.pvalue.TaggedOutput("touch", (("articles", partition), None))
            yield beam.pvalue.TaggedOutput("reprocessed", article.article_id)
            yield dataclasses.replace(article, ingested_at=min(ingested_at, article.ingested_at))
            return
        if previous is not None or known.has_hash(article.content_hash):
            beam.metrics.Metrics.counter("eventwire", "already_present").inc()
            return
        yield article


def _touch_old_mentions(keyed: tuple[str, dict[str, list[Any]]]) -> Iterator[tuple[tuple[str, str], None]]:
    """Mentions partitions that hold rows of a reprocessed article: rewritten even without new rows."""
    if keyed[1]["reprocessed"]:
        for partition in sorted(set(keyed[1]["partition"])):
            yield ("mentions", partition), None


def _patch(patch: tuple[str, str, str]) -> tuple[tuple[str, str], dict[str, str]]:
    article_id, partition, canonical = patch
    return ("articles", partition), {"article_id": article_id, NEAR_DUPLICATE_PATCH: canonical}


class _StampWindowFn(beam.DoFn):
    """Streaming: a row's ingestion (or rejection) time is the end of the window that writes it,
    so a re-fired window writes the same rows, and a long-running job does not stamp rows
    with its start time."""

    def __init__(self, field: str) -> None:
        self._field = field

    def process(self, record: Any, window: Any = beam.DoFn.WindowParam) -> Iterator[Any]:
        yield dataclasses.replace(record, **{self._field: window.end.to_utc_datetime(has_tz=True)})


def _count_article(article: Article) -> Article:
    beam.metrics.Metrics.counter("eventwire", "articles").inc()
    beam.metrics.Metrics.counter("eventwire", f"language:{article.language}").inc()
    return article


def _count(name: str) -> Any:
    def inc(element: Any) -> Any:
        beam.metrics.Metrics.counter("eventwire", name).inc()
        return element

    return inc


class ArticlesToTables(beam.PTransform):
    """{"docs": RawDocuments, "rejects": Rejects} -> committed partitions of the four tables.

    ``windowed`` (the streaming watcher, inputs in fixed windows): no index of the output is
    read (a side input read once at job start would go stale; the feed state already skips
    seen entries and the writer merges rows by key), rows are stamped with their window's
    end, and each window is written on its own.
    """

    def __init__(self, settings: Settings, model: EventModel, ctx: RunContext, reprocess: bool = False,
                 windowed: bool = False) -> None:
        super().__init__()
        self._settings = settings
        self._model = model
        self._ctx = ctx
        self._reprocess = reprocess
        self._windowed = windowed

    def expand(self, pcolls: dict[str, beam.PCollection]) -> beam.PCollection:
        pipeline = pcolls["docs"].pipeline
        known = None if self._windowed else beam.pvalue.AsSingleton(
            pipeline | "ExistingArticles" >> LoadIndex(self._ctx.output))
        docs = pcolls["docs"]
        if not self._reprocess and known is not None:
            docs = docs | "SkipKnownUrls" >> beam.ParDo(_SkipKnownUrlFn(), known=known)
        cleaned = docs | "Clean" >> Clean(self._settings.clean, self._ctx.started_at)
        deduped = cleaned["articles"] | "DedupArticles" >> DedupArticles()
        articles = deduped["articles"] | "LearnedBoilerplate" >> RemoveRecurring(self._settings.clean)
        touches = []
        if known is not None:
            fresh = articles | "SkipKnownArticles" >> beam.ParDo(
                _SkipKnownArticleFn(self._reprocess), known=known).with_outputs("touch", "reprocessed", main="articles")
            near = fresh.articles | "NearDuplicates" >> FlagNearDuplicates(known)
            articles = near["articles"]
            touches += [fresh.touch, near["patches"] | "PatchRows" >> beam.Map(_patch)]
        else:  # windowed: no index of the output, so near-duplicates are not searched (the SimHash is kept)
            articles = articles | "StampIngested" >> beam.ParDo(_StampWindowFn("ingested_at"))
        # Language and events once per article, on its final text: duplicates and articles already
        # in the output are never analysed, and removed boilerplate never yields a mention.
        analyzed = articles | "Analyze" >> Analyze(self._settings.language, self._model, self._settings.clean)
        articles = analyzed["articles"] | "CountArticles" >> beam.Map(_count_article)
        mentions = analyzed["mentions"] | "CountMentions" >> beam.Map(_count("mentions"))
        rejects = (pcolls["rejects"], cleaned["rejects"], deduped["rejects"], analyzed["rejects"]) | (
            "AllRejects" >> beam.Flatten())
        if self._reprocess and known is not None:
            old_mentions = (
                {"reprocessed": fresh.reprocessed | "KeyReprocessed" >> beam.Map(lambda i: (i, None)),
                 "partition": pipeline | "ExistingMentions" >> LoadMentionsIndex(self._ctx.output)}
                | "JoinOldMentions" >> beam.CoGroupByKey()
                | "TouchOldMentions" >> beam.FlatMap(_touch_old_mentions)
            )
            touches.append(old_mentions)
        if self._windowed:
            rejects = rejects | "StampRejected" >> beam.ParDo(_StampWindowFn("rejected_at"))
        else:  # every reject of a run carries the run's start: its partition is the run's date
            started = self._ctx.started_at
            rejects = rejects | "StampRejected" >> beam.Map(
                lambda r: r if r.rejected_at is not None else dataclasses.replace(r, rejected_at=started))
        tables = {"articles": articles, "mentions": mentions, "rejects": rejects}
        if touches:
            tables["touch"] = touches | "AllTouches" >> beam.Flatten()
        return tables | "Write" >> WriteTables(self._ctx, windowed=self._windowed)
