"""Clean (Beam half): run ``transforms.boilerplate`` (and, in the pipeline, the article's language
and events) on every document in guarded helper processes, then remove paragraphs that recur
across a source's articles (learned boilerplate).

The pure functions live in ``transforms/boilerplate.py``, ``language.py`` and ``events.py``, which
import no Beam: the helper processes that run them (``transforms/guard.py``) start without it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from transforms.boilerplate import (
    CleanTask,
    paragraph_keys,
    remove_learned,
)
from transforms.events import Analyzed, EventModel
from transforms.guard import GuardedWorker, Outcome
from transforms.guardpool import GuardedPool, prestart
from transforms.records import Article, RawDocument, Reject
from transforms.settings import CleanSettings, LanguageSettings

_PARSE_REASONS = {"timeout": "parse/timeout", "crashed": "parse/crashed", "error": "parse/error"}


def outcome_to_result(source_uri: str, outcome: Outcome) -> Article | Reject | Analyzed:
    """A helper's outcome for one document: its Article or Reject, or a parse reject when the helper
    spun past the time limit, crashed or raised."""
    if outcome.status == "ok":
        return outcome.value
    return Reject(source_uri, "parse", _PARSE_REASONS[outcome.status], outcome.detail[:300])


def guarded_clean(doc: RawDocument, worker: GuardedWorker) -> Article | Reject:
    """``clean_document`` in a helper process; a spinning or crashing parser becomes a reject."""
    return outcome_to_result(doc.source_uri, worker.call(doc))


def _pool_shape(settings: CleanSettings) -> tuple[int, float, int]:
    """(helpers, seconds per document, bytes of address space per helper)."""
    return max(1, settings.parse_processes), settings.parse_timeout_seconds, settings.parse_memory_mb << 20


def prestart_helpers(settings: CleanSettings, ingested_at: dt.datetime, language: LanguageSettings | None = None,
                     model: EventModel | None = None) -> None:
    """Start the cleaning helpers of ``Clean(settings, ingested_at, language, model)`` now, for a
    graph that runs in this process: they load their models while the runner builds the graph,
    and its ``CleanFn`` adopts them (``guardpool.discard_prestarted`` stops them if it never does)."""
    if settings.parse_isolation:
        prestart(CleanTask(settings, ingested_at, language, model), *_pool_shape(settings))


class CleanFn(beam.DoFn):
    """RawDocument -> Article (main) or Reject (tag ``rejects``); with analysis, the article comes
    with its language and its mentions on tag ``mentions`` as ``(source_uri, Mention)``.

    With isolation, documents go to a pool of ``parse_processes`` helper processes: ``process``
    hands each document to a free helper and emits whichever results are ready, so the helpers
    parse while this worker reads the next documents (and, in-process locally, runs later
    stages). Results carry their own document's window and timestamp; ``finish_bundle`` waits
    for the last ones.
    """

    def __init__(self, task: CleanTask) -> None:
        self._task = task
        self._fn: Callable[[RawDocument], Any] | None = None
        self._pool: GuardedPool | None = None

    def setup(self) -> None:
        if self._task.settings.parse_isolation:  # helpers prestarted for this task are adopted, others start now
            self._pool = GuardedPool(self._task, *_pool_shape(self._task.settings))
        else:
            self._fn = self._task()

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def process(self, doc: RawDocument, timestamp: Any = beam.DoFn.TimestampParam,
                window: Any = beam.DoFn.WindowParam) -> Iterator[Any]:
        if self._pool is None:
            assert self._fn is not None
            try:
                result = self._fn(doc)
            except (ValueError, TypeError, RecursionError, MemoryError) as exc:  # a parser choking on one page
                result = Reject(doc.source_uri, "parse", "parse/error", f"{type(exc).__name__}: {exc}"[:300])
            yield from _outputs(doc.source_uri, result, lambda value: value)
            return
        if not self._pool.has_capacity():
            yield from self._emit(*self._pool.next_outcome())
        self._pool.submit(doc, (doc.source_uri, timestamp, window))

    def finish_bundle(self) -> Iterator[Any]:
        if self._pool is not None:
            for token, outcome in self._pool.drain():
                yield from self._emit(token, outcome)

    @staticmethod
    def _emit(token: tuple[str, Any, Any], outcome: Outcome) -> Iterator[Any]:
        source_uri, timestamp, window = token
        return _outputs(source_uri, outcome_to_result(source_uri, outcome),
                        lambda value: WindowedValue(value, timestamp, (window,)))


def _outputs(source_uri: str, result: Article | Reject | Analyzed, wrap: Callable[[Any], Any]) -> Iterator[Any]:
    """The outputs of one document; ``wrap`` gives each value its document's window when it is
    emitted later than the document arrived."""
    if isinstance(result, Reject):
        beam.metrics.Metrics.counter("eventwire", f"reject:{result.reason}").inc()
        yield beam.pvalue.TaggedOutput("rejects", wrap(result))
        return
    if not isinstance(result, Analyzed):
        yield wrap(result)
        return
    if result.reject is not None:
        beam.metrics.Metrics.counter("eventwire", f"reject:{result.reject.reason}").inc()
        yield beam.pvalue.TaggedOutput("rejects", wrap(result.reject))
    yield wrap(result.article)
    for mention in result.mentions:
        yield beam.pvalue.TaggedOutput("mentions", wrap((source_uri, mention)))


class _RemoveLearnedFn(beam.DoFn):
    def process(self, article: Article, recurring: list[tuple[str, str]]) -> Iterator[Article]:
        if not hasattr(self, "_recurring_id") or self._recurring_id is not recurring:
            self._recurring_id, self._recurring = recurring, frozenset(recurring)
        yield remove_learned(article, self._recurring)


class Clean(beam.PTransform):
    """RawDocuments -> cleaned Articles ("articles") and rejects ("rejects").

    Given ``language`` and ``model``, each article is also analysed where it was cleaned: it
    leaves with its language set, and its mentions come out on "mentions" as
    ``(source_uri, Mention)`` (what ``ArticlesToTables`` keeps of them depends on deduplication).
    """

    def __init__(self, settings: CleanSettings, ingested_at: dt.datetime, language: LanguageSettings | None = None,
                 model: EventModel | None = None) -> None:
        super().__init__()
        self._task = CleanTask(settings, ingested_at, language, model)

    def expand(self, docs: beam.PCollection) -> dict[str, beam.PCollection]:
        results = docs | "Extract" >> beam.ParDo(CleanFn(self._task)).with_outputs("rejects", "mentions",
                                                                                   main="articles")
        return {"articles": results.articles, "rejects": results.rejects, "mentions": results.mentions}


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
