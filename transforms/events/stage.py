"""Analyze (Beam half): an article's language, then its events.

The pure functions are ``transforms.language.detect`` and ``transforms.events.extract`` (``analyze_article``,
``AnalyzeTask``). In the pipeline most articles are analysed right after cleaning, inside the
cleaning helper processes (``transforms.clean.stage``), where the cores are; this stage covers the
articles whose text changed after that (learned boilerplate removed) and callers that bring
their own articles. It runs in a guarded helper process too (``transforms/isolation/dofn.py``), with
the cleaning's limits: an article that makes extraction spin past ``clean.parse_timeout_seconds``
is an ``extract/timeout`` reject (``extract/crashed`` if the helper dies), not a hung worker.
Where the cleaning helpers of the same process are idle, it borrows them (``PooledFn.borrows``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam

from transforms.clean.document import CleanTask
from transforms.events.extract import Analyzed, AnalyzeTask
from transforms.events.model import EventModel
from transforms.isolation.dofn import PooledFn
from transforms.isolation.pool import pool_shape
from transforms.isolation.worker import Outcome
from transforms.records import Article, Reject
from transforms.settings import CleanSettings, LanguageSettings


def failed_analysis(article: Article, status: str, detail: str) -> Analyzed:
    """A helper that timed out, crashed or raised on an article: the article is kept as it was
    (its language from cleaning), without mentions, and the reason is recorded."""
    return Analyzed(article, (), Reject(article.source_uri, "extract", f"extract/{status}", detail[:300]))


class AnalyzeFn(PooledFn):
    """Article -> the article with its language (main), its Mentions (``mentions``) and, when
    extraction failed, a Reject (``rejects``; the article is still written)."""

    def __init__(self, language: LanguageSettings, model: EventModel, settings: CleanSettings,
                 only: Callable[[Article], bool] | None = None) -> None:
        # In a run, this stage borrows the idle cleaning helpers of its process (their models are
        # loaded, every core is used: on a one-site crawl most articles lose a recurring paragraph).
        # Its own pool, started only where none can be borrowed, has one helper: the cleaning
        # helpers keep their memory (~300 MB each) until the run ends.
        super().__init__(AnalyzeTask(language, model), dataclasses.replace(settings, parse_processes=1))
        self._language, self._model, self._only = language, model, only

    def process(self, article: Article, timestamp: Any = beam.DoFn.TimestampParam,
                window: Any = beam.DoFn.WindowParam) -> Iterator[Any]:
        if self._only is not None and not self._only(article):
            yield article  # already analysed: passes as it is (a stage of its own would cost a shuffle)
            return
        yield from super().process(article, timestamp, window)

    def borrows(self, factory: Any) -> bool:
        return (isinstance(factory, CleanTask) and factory.analyzes_like(self._language, self._model)
                and pool_shape(factory.settings)[1:] == pool_shape(self._settings)[1:])  # the same limits

    def token(self, article: Article) -> Article:
        return article  # kept while a helper works on it: a failed analysis still writes the article

    def result(self, article: Article, outcome: Outcome) -> Analyzed:
        if outcome.status == "ok":
            return outcome.value
        return failed_analysis(article, outcome.status, outcome.detail)

    def run_inline(self, fn: Callable[[Article], Analyzed], article: Article) -> Analyzed:
        return fn(article)  # analyze_article records an extractor's exception itself

    def outputs(self, article: Article, analyzed: Analyzed, wrap: Callable[[Any], Any]) -> Iterator[Any]:
        if analyzed.reject is not None:
            beam.metrics.Metrics.counter("eventwire", f"reject:{analyzed.reject.reason}").inc()
            yield beam.pvalue.TaggedOutput("rejects", wrap(analyzed.reject))
        yield wrap(analyzed.article)
        for mention in analyzed.mentions:
            yield beam.pvalue.TaggedOutput("mentions", wrap(mention))


class Analyze(beam.PTransform):
    """PCollection[Article] -> {"articles", "mentions", "rejects"}; ``settings`` gives the helper
    processes and their limits (``clean.parse_isolation``, ``parse_processes``, ``parse_timeout_seconds``;
    the defaults when not given). With ``only``, the articles it rejects pass through unchanged
    (without mentions on "mentions": the caller has them)."""

    def __init__(self, language: LanguageSettings, model: EventModel, settings: CleanSettings | None = None,
                 only: Callable[[Article], bool] | None = None) -> None:
        super().__init__()
        self._fn = AnalyzeFn(language, model, settings or CleanSettings(), only)

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        results = articles | "LanguageAndEvents" >> beam.ParDo(self._fn).with_outputs("mentions", "rejects",
                                                                                      main="articles")
        return {"articles": results.articles, "mentions": results.mentions, "rejects": results.rejects}
