"""Clean (Beam half): run ``transforms.boilerplate`` on every document in a guarded helper process,
then remove paragraphs that recur across a source's articles (learned boilerplate).

The pure cleaning functions live in ``transforms/boilerplate.py``, which imports no Beam: the
helper process that runs them (``transforms/guard.py``) then starts without importing Beam.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from transforms.boilerplate import (
    CleanTask,
    CompiledRules,
    clean_document,
    compile_rules,
    paragraph_keys,
    remove_learned,
)
from transforms.guard import GuardedWorker
from transforms.records import Article, RawDocument, Reject
from transforms.settings import CleanSettings

_PARSE_REASONS = {"timeout": "parse/timeout", "crashed": "parse/crashed", "error": "parse/error"}


def guarded_clean(doc: RawDocument, worker: GuardedWorker) -> Article | Reject:
    """``clean_document`` in the worker's helper process; a spinning or crashing parser becomes a reject."""
    outcome = worker.call(doc)
    if outcome.status == "ok":
        return outcome.value
    return Reject(doc.source_uri, "parse", _PARSE_REASONS[outcome.status], outcome.detail[:300])


class CleanFn(beam.DoFn):
    """RawDocument -> Article (main) or Reject (tag ``rejects``)."""

    def __init__(self, settings: CleanSettings, ingested_at: dt.datetime) -> None:
        self._settings = settings
        self._ingested_at = ingested_at
        self._rules: CompiledRules | None = None
        self._worker: GuardedWorker | None = None

    def setup(self) -> None:
        if self._settings.parse_isolation:  # the helper itself starts on the first document
            self._worker = GuardedWorker(CleanTask(self._settings, self._ingested_at),
                                         self._settings.parse_timeout_seconds, self._settings.parse_memory_mb << 20)
        else:
            self._rules = compile_rules(self._settings)

    def teardown(self) -> None:
        if self._worker is not None:
            self._worker.close()

    def process(self, doc: RawDocument) -> Iterator[Any]:
        if self._worker is not None:
            result = guarded_clean(doc, self._worker)
        else:
            assert self._rules is not None
            try:
                result = clean_document(doc, self._rules, self._settings, self._ingested_at)
            except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # a parser choking on one page
                result = Reject(doc.source_uri, "parse", "parse/error", f"{type(exc).__name__}: {exc}"[:300])
        if isinstance(result, Reject):
            beam.metrics.Metrics.counter("eventwire", f"reject:{result.reason}").inc()
            yield beam.pvalue.TaggedOutput("rejects", result)
        else:
            yield result


class _RemoveLearnedFn(beam.DoFn):
    def process(self, article: Article, recurring: list[tuple[str, str]]) -> Iterator[Article]:
        if not hasattr(self, "_recurring_id") or self._recurring_id is not recurring:
            self._recurring_id, self._recurring = recurring, frozenset(recurring)
        yield remove_learned(article, self._recurring)


class Clean(beam.PTransform):
    """RawDocuments -> cleaned Articles ("articles") and rejects ("rejects")."""

    def __init__(self, settings: CleanSettings, ingested_at: dt.datetime) -> None:
        super().__init__()
        self._settings = settings
        self._ingested_at = ingested_at

    def expand(self, docs: beam.PCollection) -> dict[str, beam.PCollection]:
        results = docs | "Extract" >> beam.ParDo(CleanFn(self._settings, self._ingested_at)).with_outputs(
            "rejects", main="articles")
        return {"articles": results.articles, "rejects": results.rejects}


class RemoveRecurring(beam.PTransform):
    """Learned boilerplate: paragraphs found in ``learned_min_articles`` distinct articles of one
    source in this run are removed from all of them.

    Apply it after article deduplication: copies of one story (three feeds, a re-crawl) would
    otherwise make every paragraph of it "recurring".
    """

    def __init__(self, settings: CleanSettings) -> None:
        super().__init__()
        self._settings = settings

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        settings = self._settings
        recurring = (
            articles
            | "ParagraphKeys" >> beam.FlatMap(lambda a: paragraph_keys(a, settings.learned_min_chars))
            | "CountParagraphs" >> beam.combiners.Count.PerElement()
            | "Recurring" >> beam.Filter(lambda kv: kv[1] >= settings.learned_min_articles)
            | "Keys" >> beam.Keys()
        )
        return articles | "RemoveLearned" >> beam.ParDo(_RemoveLearnedFn(), recurring=beam.pvalue.AsList(recurring))
