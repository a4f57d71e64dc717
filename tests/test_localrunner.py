"""The in-process runner's state sampler: a short sleep while a run lasts, Beam's default after."""

from __future__ import annotations

import threading

import apache_beam as beam
from apache_beam.runners.worker import statesampler
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.utils.counters import CounterFactory

from pipeline.localrunner import BUNDLE_SAMPLING_MS, prompt_bundle_ends


def _period() -> int:
    return statesampler.StateSampler("probe", CounterFactory()).sampling_period_ms


def test_the_sampler_sleeps_briefly_during_a_run_and_as_beam_says_after() -> None:
    default = _period()
    assert default > BUNDLE_SAMPLING_MS  # Beam's own default (200 ms in 2.77): else there is nothing to gain
    with prompt_bundle_ends():
        assert _period() == BUNDLE_SAMPLING_MS
    assert _period() == default


def test_the_bundles_of_a_real_local_run_use_it_and_the_run_is_unchanged() -> None:
    seen: list[int] = []
    original = statesampler.StateSampler.start
    lock = threading.Lock()

    def start(self: statesampler.StateSampler) -> None:
        with lock:
            seen.append(self.sampling_period_ms)
        original(self)

    statesampler.StateSampler.start = start  # type: ignore[method-assign]
    try:
        with prompt_bundle_ends(), beam.Pipeline(runner="FnApiRunner") as pipeline:
            counted = (pipeline | beam.Create(["a", "b", "a"]) | beam.combiners.Count.PerElement()
                       | beam.Map(lambda kv: f"{kv[0]}={kv[1]}"))
            assert_that(counted, equal_to(["a=2", "b=1"]))
    finally:
        statesampler.StateSampler.start = original  # type: ignore[method-assign]
    assert seen and set(seen) == {BUNDLE_SAMPLING_MS}
