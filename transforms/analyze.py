"""Analyze (Beam half): an article's language, then its events, in the worker itself.

The pure functions are ``transforms.language`` and ``transforms.events`` (``analyze_article``).
In the pipeline most articles are analysed right after cleaning, inside the cleaning helper
processes (``transforms.clean``), where the cores are; this stage covers the articles whose text
changed after that (learned boilerplate removed) and callers that bring their own articles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from transforms.events import EventModel, analyze_article, compile_model
from transforms.language import LanguageDetector
from transforms.records import Article
from transforms.settings import LanguageSettings


class AnalyzeFn(beam.DoFn):
    """Article -> the article with its language (main), its Mentions (``mentions``) and, when
    extraction raised, a Reject (``rejects``; the article is still written)."""

    def __init__(self, language: LanguageSettings, model: EventModel) -> None:
        self._language = language
        self._model = model
        self._detector: LanguageDetector | None = None

    def process(self, article: Article) -> Iterator[Any]:
        if self._detector is None:  # on the first article, not in setup: most runs send this stage none
            self._detector = LanguageDetector(self._language)  # profiles, once per worker
            compile_model(self._model)  # lexicon and gazetteer indexes, once per worker
        analyzed = analyze_article(article, self._detector, self._model)
        if analyzed.reject is not None:
            beam.metrics.Metrics.counter("eventwire", f"reject:{analyzed.reject.reason}").inc()
            yield beam.pvalue.TaggedOutput("rejects", analyzed.reject)
        yield analyzed.article
        for mention in analyzed.mentions:
            yield beam.pvalue.TaggedOutput("mentions", mention)


class Analyze(beam.PTransform):
    """PCollection[Article] -> {"articles", "mentions", "rejects"}."""

    def __init__(self, language: LanguageSettings, model: EventModel) -> None:
        super().__init__()
        self._language = language
        self._model = model

    def expand(self, articles: beam.PCollection) -> dict[str, beam.PCollection]:
        results = articles | "LanguageAndEvents" >> beam.ParDo(AnalyzeFn(self._language, self._model)).with_outputs(
            "mentions", "rejects", main="articles")
        return {"articles": results.articles, "mentions": results.mentions, "rejects": results.rejects}
