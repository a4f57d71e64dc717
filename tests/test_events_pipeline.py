"""ExtractEvents on the real Beam runner (FnApiRunner): mentions out, failing articles to rejects."""

from __future__ import annotations

import dataclasses
import datetime as dt

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.events_helpers import make_article, model
from transforms.events import ExtractEvents


def test_extract_events_pipeline_mentions_and_rejects():
    good = make_article("Lawrow telefonierte am Samstag mit Bairamow.", published=dt.date(2024, 6, 2))
    bad = dataclasses.replace(make_article("x", published=None), text=None, source_uri="broken.txt")  # type: ignore[arg-type]
    with TestPipeline(runner=FnApiRunner()) as pipeline:
        result = pipeline | beam.Create([good, bad]) | ExtractEvents(model())
        keys = result.mentions | "Keys" >> beam.Map(lambda m: (m.event_type, m.event_mode, tuple(p.key for p in m.participants), m.event_date))
        assert_that(keys, equal_to([("CONSULT", "phone", ("AZE:foreign_minister", "RUS:foreign_minister"), dt.date(2024, 6, 1))]))
        reasons = result.rejects | "Reasons" >> beam.Map(lambda r: (r.source_uri, r.stage, r.reason))
        assert_that(reasons, equal_to([("broken.txt", "extract", "extract/error")]), label="rejects")
