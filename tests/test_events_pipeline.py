"""Analyze on the real Beam runner (FnApiRunner): language set, mentions out, failing articles to rejects."""

from __future__ import annotations

import dataclasses
import datetime as dt

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.events_helpers import make_article, model
from transforms.events.stage import Analyze
from transforms.settings import LanguageSettings


def test_analyze_pipeline_language_mentions_and_rejects():
    good = make_article("Lawrow telefonierte am Samstag mit Bairamow, wie das Ministerium in Moskau mitteilte.",
                        published=dt.date(2024, 6, 2))
    # German by its title (so extraction runs), without a text: extraction raises
    bad = dataclasses.replace(make_article("x", published=None, title="Die Außenminister telefonierten am Samstag "
                                           "miteinander, wie das Ministerium in Moskau mitteilte"),
                              text=None, source_uri="broken.txt")  # type: ignore[arg-type]
    with TestPipeline(runner=FnApiRunner()) as pipeline:
        result = pipeline | beam.Create([good, bad]) | Analyze(LanguageSettings(), model())
        keys = result["mentions"] | "Keys" >> beam.Map(lambda m: (m.event_type, m.event_mode, tuple(p.key for p in m.participants), m.event_date))
        assert_that(keys, equal_to([("CONSULT", "phone", ("AZE:foreign_minister", "RUS:foreign_minister"), dt.date(2024, 6, 1))]))
        languages = result["articles"] | "Languages" >> beam.Map(lambda a: (a.source_uri, a.language))
        assert_that(languages, equal_to([(good.source_uri, "de"), ("broken.txt", "de")]), label="articles kept")
        reasons = result["rejects"] | "Reasons" >> beam.Map(lambda r: (r.source_uri, r.stage, r.reason))
        assert_that(reasons, equal_to([("broken.txt", "extract", "extract/error")]), label="rejects")


def test_an_analysis_past_its_time_limit_is_a_reject_and_the_article_is_kept():
    """Analysis runs in the guarded helpers: a spinning extraction cannot hang the worker. The article
    is written as it came (in the pipeline: language "und", from cleaning), without mentions."""
    from transforms.settings import CleanSettings

    article = make_article("Lawrow telefonierte am Samstag mit Bairamow, wie das Ministerium in Moskau mitteilte.",
                           published=dt.date(2024, 6, 2))
    hurried = dataclasses.replace(CleanSettings(), parse_timeout_seconds=0.0001)  # no analysis fits in it
    with TestPipeline(runner=FnApiRunner()) as pipeline:
        result = pipeline | beam.Create([article]) | Analyze(LanguageSettings(), model(), hurried)
        kept = result["articles"] | "Kept" >> beam.Map(lambda a: (a.source_uri, a.text, a.language))
        assert_that(kept, equal_to([(article.source_uri, article.text, article.language)]), label="article kept")
        assert_that(result["mentions"], equal_to([]), label="no mentions")
        reasons = result["rejects"] | "Reasons" >> beam.Map(lambda r: (r.source_uri, r.stage, r.reason))
        assert_that(reasons, equal_to([(article.source_uri, "extract", "extract/timeout")]), label="rejects")
