"""What the in-process local runner (FnApiRunner) needs beyond its options."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

BUNDLE_SAMPLING_MS = 20


@contextlib.contextmanager
def prompt_bundle_ends(period_ms: int = BUNDLE_SAMPLING_MS) -> Iterator[None]:
    """Shorten the sleep of Beam's per-bundle state sampler while a pipeline runs (it matters
    where bundles run in this process: the local runner in-process; elsewhere it changes nothing).

    Every bundle starts a sampling thread that sleeps up to 200 ms between samples, and the
    bundle's end waits for it to wake (``StateSampler.stop`` joins it). A batch run here executes
    ~20 stages one after another, each one bundle, so the run waited ~0.2-0.3 s in all for
    nothing (a scratch probe: 0.19-0.29 s at 200 ms, 0.07-0.09 s at 20 ms). The sampler only
    feeds Beam's time-per-step metrics, which a 20 ms period still feeds. Beam offers no option
    for it, so this sets the default of ``StateSampler.__init__`` and restores it afterwards;
    if that signature changes in a later Beam, nothing is changed (tests/test_localrunner.py notices).
    """
    from apache_beam.runners.worker import statesampler

    init = statesampler.StateSampler.__init__
    defaults = init.__defaults__
    if defaults is None or len(defaults) != 1 or not isinstance(defaults[0], int):
        yield
        return
    init.__defaults__ = (min(period_ms, defaults[0]),)
    try:
        yield
    finally:
        init.__defaults__ = defaults
