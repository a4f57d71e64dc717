"""Progress on long runs: each worker logs its running count every few seconds."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam

log = logging.getLogger("eventwire.progress")


class Progress(beam.DoFn):
    """A pass-through that logs "N <what> so far (x/s)" at most every ``every`` seconds per worker."""

    def __init__(self, what: str, every: float = 10.0) -> None:
        self._what = what
        self._every = every

    def setup(self) -> None:
        self._count = 0
        self._start = self._last = time.monotonic()

    def process(self, element: Any) -> Iterator[Any]:
        self._count += 1
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            log.info("%d %s so far on this worker (%.1f/s)", self._count, self._what, self._count / (now - self._start))
        yield element
