"""A DoFn that runs a Beam-free task on each element in guarded helper processes.

Shared by cleaning (``transforms/clean/stage.py``) and analysis (``transforms/events/stage.py``). With
isolation, ``process`` hands each element to a free helper of a ``GuardedPool`` and emits
whichever results are ready, so the helpers compute while this worker reads the next elements
(and, in-process locally, runs later stages); every element gets the per-element time and
memory limits of ``transforms/isolation/worker.py``. Results carry their own element's window and
timestamp; ``finish_bundle`` waits for the last ones. Without isolation the task runs inline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from transforms.isolation.pool import GuardedPool
from transforms.isolation.worker import Outcome


class PooledFn(beam.DoFn):
    """Subclasses say what an element's token is (what is kept while it is in a helper), what a
    helper's outcome becomes, what running inline does on error, and which outputs a result has.

    ``processes`` helpers, each element limited to ``timeout_seconds`` and each helper to
    ``memory_mb`` of address space (0: no cap); ``isolated=False`` runs the task inline instead."""

    def __init__(self, task: Callable[[], Callable[[Any], Any]], processes: int, timeout_seconds: float,
                 memory_mb: int = 0, isolated: bool = True) -> None:
        self._task = task
        self._shape = (max(1, processes), timeout_seconds, memory_mb << 20)
        self._isolated = isolated
        self._fn: Callable[[Any], Any] | None = None
        self._pool: GuardedPool | None = None

    def setup(self) -> None:
        if self._isolated:  # helpers start on the first element
            self._pool = GuardedPool(self._task, *self._shape)

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.close()

    # --- what subclasses define -------------------------------------------------------------

    def token(self, element: Any) -> Any:
        raise NotImplementedError

    def result(self, token: Any, outcome: Outcome) -> Any:
        raise NotImplementedError

    def run_inline(self, fn: Callable[[Any], Any], element: Any) -> Any:
        raise NotImplementedError

    def outputs(self, token: Any, result: Any, wrap: Callable[[Any], Any]) -> Iterator[Any]:
        raise NotImplementedError

    # --- the element flow -------------------------------------------------------------------

    def process(self, element: Any, timestamp: Any = beam.DoFn.TimestampParam,
                window: Any = beam.DoFn.WindowParam) -> Iterator[Any]:
        pool = self._pool
        if pool is None:
            if self._fn is None:
                self._fn = self._task()  # on the first element: some stages get none in most runs
            yield from self.outputs(self.token(element), self.run_inline(self._fn, element), lambda value: value)
            return
        finished = None if pool.has_capacity() else pool.next_outcome()
        # the freed helper gets its next element before the finished one's outputs run through the
        # later (fused) stages: otherwise it idles for as long as they take
        pool.submit(element, (self.token(element), timestamp, window))
        if finished is not None:
            yield from self._emit(*finished)

    def finish_bundle(self) -> Iterator[Any]:
        if self._pool is not None:
            for token, outcome in self._pool.drain():
                yield from self._emit(token, outcome)

    def _emit(self, token: tuple[Any, Any, Any], outcome: Outcome) -> Iterator[Any]:
        key, timestamp, window = token
        return self.outputs(key, self.result(key, outcome), lambda value: WindowedValue(value, timestamp, (window,)))
