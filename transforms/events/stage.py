"""Analyze (Beam half): an article's language, then its events, once, on its final text.

The pipeline analyses each article after deduplication and learned boilerplate, so a duplicate
is never analysed and no mention comes from a paragraph removed later. The pure functions are
``transforms.language.detect`` and ``transforms.events.extract`` (``analyze_article``,
``AnalyzeTask``). They run in guarded helper processes (``transforms/isolation/dofn.py``) with
the cleaning's limits: an article that makes extraction spin past ``clean.parse_timeout_seconds``
is an ``extract/timeout`` reject (``extract/crashed`` if the helper dies), not a hung worker;
the article is still written, without mentions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam

from transforms.events.extract import Analyzed, AnalyzeTask
from transforms.events.model import EventModel
from transforms.isolation.dofn import PooledFn
from transforms.isolation.worker import Outcome
from transforms.records import Article, Reject
from transforms.settings import CleanSettings, LanguageSettings


def failed_analysis(article: Article, status: str, detail: str) -> Analyzed:
    """A helper that timed out, crashed or raised on an article: the article is kept as it came
    (language "und": the helper did not say), without mentions, and the reason is recorded."""
    return Analyzed(article, (), Reject(article.source_uri, "extract", f"extract/{status}", detail[:300]))


class AnalyzeFn(PooledFn):
    """Article -> the article with its language (main), its Mentions (``mentions``) and, when
    extraction failed, a Reject (``rejects``; the article is still written)."""

    def __init__(self, language: LanguageSettings, model: EventModel, settings: CleanSettings) -> None:
        super().__init__(AnalyzeTask(language, model), settings.parse_processes, settings.parse_timeout_seconds,
                         settings.parse_memory_mb, settings.parse_isolation)

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
    processes and their limits (``clean.parse_isolation``, ``parse_processes``, ``parse_timeout_seconds``,
    ``parse_memory_mb``; the defaults when not given)."""

    def __init__(self, language: LanguageSettings, model: EventModel, settings: CleanSettings | None = None) -> None:
        super().__init__()
        self._fn = AnalyzeFn(language, model, settings or CleanSettings())

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        results = articles | "LanguageAndEvents" >> beam.ParDo(self._fn).with_outputs("mentions", "rejects",
                                                                                      main="articles")
        return {"articles": results.articles, "mentions": results.mentions, "rejects": results.rejects}
