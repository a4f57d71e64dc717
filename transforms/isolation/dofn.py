"""A DoFn that runs a Beam-free task on each element in guarded helper processes.

Shared by cleaning (``transforms/clean/stage.py``) and re-analysis (``transforms/events/stage.py``). With
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

from transforms.isolation.pool import GuardedPool, borrow, give_back, lend, pool_shape, withdraw
from transforms.isolation.worker import Outcome
from transforms.settings import CleanSettings


class PooledFn(beam.DoFn):
    """Subclasses say what an element's token is (what is kept while it is in a helper), what a
    helper's outcome becomes, what running inline does on error, and which outputs a result has.

    A subclass that ``lends`` offers its helpers, idle between its bundles, to other stages of the
    process; one whose ``borrows`` accepts such a pool's factory runs its bundle there instead of
    starting helpers of its own (``transforms/isolation/pool.py``: ``lend``, ``borrow``)."""

    lends = False

    def __init__(self, task: Callable[[], Callable[[Any], Any]], settings: CleanSettings) -> None:
        self._task = task
        self._settings = settings
        self._fn: Callable[[Any], Any] | None = None
        self._pool: GuardedPool | None = None
        self._borrowed: GuardedPool | None = None
        self._active: GuardedPool | None = None

    def borrows(self, factory: Any) -> bool:
        """Whether helpers built by ``factory`` can run this DoFn's elements, with its limits."""
        return False

    def setup(self) -> None:
        if self._settings.parse_isolation:  # helpers start on the first element (or were prestarted)
            self._pool = GuardedPool(self._task, *pool_shape(self._settings))

    def start_bundle(self) -> None:
        self._active = self._pool
        if self._pool is None:
            return
        if self.lends:
            withdraw(self._pool)  # back from whoever borrowed it
        self._borrowed = borrow(self.borrows)
        if self._borrowed is not None:
            self._active = self._borrowed

    def teardown(self) -> None:
        if self._borrowed is not None:  # a bundle that failed: nothing of it may reach the owner
            self._borrowed.drain()
            give_back(self._borrowed)
            self._borrowed = None
        if self._pool is not None:
            if self.lends:
                withdraw(self._pool)
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
        pool = self._active
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
        if self._active is not None:
            for token, outcome in self._active.drain():
                yield from self._emit(token, outcome)
        if self._borrowed is not None:
            give_back(self._borrowed)
            self._borrowed = None
        if self.lends and self._pool is not None:
            lend(self._task, self._pool)

    def _emit(self, token: tuple[Any, Any, Any], outcome: Outcome) -> Iterator[Any]:
        key, timestamp, window = token
        return self.outputs(key, self.result(key, outcome), lambda value: WindowedValue(value, timestamp, (window,)))
