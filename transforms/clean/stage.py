"""Clean (Beam half): run ``transforms.clean.document`` on every document in guarded helper
processes, then remove paragraphs that recur across a source's articles (learned boilerplate).

The pure functions live in ``transforms/clean/document.py``, which imports no Beam: the helper
processes that run them (``transforms/isolation/worker.py``) start without it.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam

from transforms.clean.document import CleanTask
from transforms.clean.learned import paragraph_hashes, remove_learned
from transforms.isolation.dofn import PooledFn
from transforms.isolation.worker import GuardedWorker, Outcome
from transforms.records import Article, RawDocument, Reject
from transforms.settings import CleanSettings

_PARSE_REASONS = {"timeout": "parse/timeout", "crashed": "parse/crashed", "error": "parse/error"}


def outcome_to_result(source_uri: str, outcome: Outcome) -> Article | Reject:
    """A helper's outcome for one document: its Article or Reject, or a parse reject when the helper
    spun past the time limit, crashed or raised."""
    if outcome.status == "ok":
        return outcome.value
    return Reject(source_uri, "parse", _PARSE_REASONS[outcome.status], outcome.detail[:300])


def guarded_clean(doc: RawDocument, worker: GuardedWorker) -> Article | Reject:
    """``clean_document`` in a helper process; a spinning or crashing parser becomes a reject."""
    return outcome_to_result(doc.source_uri, worker.call(doc))


class CleanFn(PooledFn):
    """RawDocument -> Article (main) or Reject (tag ``rejects``).

    Documents go to the cleaning helpers (``transforms/isolation/dofn.py``); a page that makes a
    parser spin past ``parse_timeout_seconds``, crash or raise becomes a ``parse/...`` reject.
    """

    def __init__(self, task: CleanTask) -> None:
        settings = task.settings
        super().__init__(task, settings.parse_processes, settings.parse_timeout_seconds, settings.parse_memory_mb,
                         settings.parse_isolation)

    def token(self, doc: RawDocument) -> str:
        return doc.source_uri

    def result(self, source_uri: str, outcome: Outcome) -> Article | Reject:
        return outcome_to_result(source_uri, outcome)

    def run_inline(self, fn: Callable[[RawDocument], Any], doc: RawDocument) -> Article | Reject:
        try:
            return fn(doc)
        except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # a parser choking on one page
            return Reject(doc.source_uri, "parse", "parse/error", f"{type(exc).__name__}: {exc}"[:300])

    def outputs(self, source_uri: str, result: Article | Reject, wrap: Callable[[Any], Any]) -> Iterator[Any]:
        if isinstance(result, Reject):
            beam.metrics.Metrics.counter("eventwire", f"reject:{result.reason}").inc()
            yield beam.pvalue.TaggedOutput("rejects", wrap(result))
        else:
            yield wrap(result)


class _RemoveLearnedFn(beam.DoFn):
    def process(self, article: Article, recurring: list[tuple[str, str]]) -> Iterator[Article]:
        if not hasattr(self, "_recurring_id") or self._recurring_id is not recurring:
            self._recurring_id, self._recurring = recurring, frozenset(recurring)
        yield remove_learned(article, self._recurring)


class Clean(beam.PTransform):
    """RawDocuments -> cleaned Articles ("articles", language still "und") and rejects ("rejects")."""

    def __init__(self, settings: CleanSettings, ingested_at: dt.datetime) -> None:
        super().__init__()
        self._task = CleanTask(settings, ingested_at)

    def expand(self, docs: beam.PCollection) -> dict[str, beam.PCollection]:
        results = docs | "Extract" >> beam.ParDo(CleanFn(self._task)).with_outputs("rejects", main="articles")
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
            # one element per article (its paragraphs' hashes), not one per paragraph: the runner's
            # cost is per element, and an article counts each of its paragraphs once either way
            | "ParagraphHashes" >> beam.FlatMap(lambda a: filter(None, [paragraph_hashes(a, settings.learned_min_chars)]))
            | "CountParagraphs" >> beam.CombinePerKey(_ArticlesPerParagraph())
            | "Recurring" >> beam.FlatMap(lambda kv: [(kv[0], paragraph) for paragraph, articles in kv[1].items()
                                                      if articles >= settings.learned_min_articles])
        )
        return articles | "RemoveLearned" >> beam.ParDo(_RemoveLearnedFn(), recurring=beam.pvalue.AsList(recurring))


class _ArticlesPerParagraph(beam.CombineFn):
    """Per source: in how many of its articles each paragraph hash occurs."""

    def create_accumulator(self) -> collections.Counter[str]:
        return collections.Counter()

    def add_input(self, counts: collections.Counter[str], hashes: frozenset[str]) -> collections.Counter[str]:
        counts.update(hashes)
        return counts

    def merge_accumulators(self, accumulators: Iterable[collections.Counter[str]]) -> collections.Counter[str]:
        merged: collections.Counter[str] = collections.Counter()
        for counts in accumulators:
            merged.update(counts)
        return merged

    def extract_output(self, counts: collections.Counter[str]) -> collections.Counter[str]:
        return counts
