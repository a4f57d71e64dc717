"""Several guarded helpers at once (``GuardedPool``), helpers started ahead of their pool, and idle
pools lent to other stages of the same process.

The pool keeps one element in flight per helper (``transforms/isolation/worker.py`` runs each helper and
enforces the per-element limits) and returns outcomes as they finish, so the caller keeps
reading while the helpers compute. Beam-free, like the guard.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait as wait_connections
from typing import TYPE_CHECKING, Any

from transforms.isolation.worker import GuardedWorker, Outcome, start_template

if TYPE_CHECKING:
    from transforms.settings import CleanSettings


def pool_shape(settings: CleanSettings) -> tuple[int, float, int]:
    """(helpers, seconds per element, bytes of address space per helper) of the cleaning settings."""
    return max(1, settings.parse_processes), settings.parse_timeout_seconds, settings.parse_memory_mb << 20


class GuardedPool:
    """Several helpers working at once: ``submit`` elements with a token, collect ``(token, Outcome)``.

    Each helper holds one element at a time, so at most ``size`` elements are in flight and the
    caller keeps working (or submits more) while the helpers compute. Outcomes come back in the
    order they finish, each with the limits of ``GuardedWorker``. Not thread-safe: one per DoFn.
    """

    def __init__(self, factory: Callable[[], Callable[[Any], Any]], size: int, timeout_seconds: float,
                 memory_bytes: int = 0, fork: bool | None = None) -> None:
        """``fork``: the helpers are forked from one template process that sets up once
        (``transforms/isolation/template.py``), and so are their replacements after a timeout or a crash.
        By default only for several helpers: for one, the template would be a second process
        holding the models, for nothing but cheaper restarts."""
        size = max(1, size)
        warm = _adopt(factory, size, timeout_seconds, memory_bytes)
        self._factory, self._memory = factory, memory_bytes
        self._fork = size > 1 if fork is None else fork
        self._template = warm[0].template if warm else None  # else started with the first helper
        if self._template is not None:
            self._template.owned = True
        self._workers = warm + [GuardedWorker(factory, timeout_seconds, memory_bytes, self._template)
                                for _ in range(size - len(warm))]
        self._busy: dict[int, Any] = {}  # worker index -> token of its element
        self._done: list[tuple[Any, Outcome]] = []  # outcomes known at submission (the helper could not take it)

    def has_capacity(self) -> bool:
        return len(self._busy) < len(self._workers)

    def pending(self) -> int:
        return len(self._busy) + len(self._done)

    def submit(self, item: Any, token: Any) -> None:
        index = next(i for i in range(len(self._workers)) if i not in self._busy)
        if self._fork and self._template is None:  # not before: a pool that is only set up starts nothing
            self._start_template()
        outcome = self._workers[index].submit(item)
        if outcome is None:
            self._busy[index] = token
        else:
            self._done.append((token, outcome))

    def next_outcome(self) -> tuple[Any, Outcome]:
        """Wait for any element to finish (or the earliest deadline to pass) and return it."""
        if self._done:
            return self._done.pop(0)
        if not self._busy:
            raise LookupError("nothing submitted")
        by_connection = {self._workers[i].connection: i for i in self._busy}
        earliest = min(self._busy, key=lambda i: self._workers[i].deadline)
        ready = wait_connections(list(by_connection),  # type: ignore[arg-type]
                                 max(0.0, self._workers[earliest].deadline - time.monotonic()))
        index = by_connection[ready[0]] if ready else earliest  # nothing ready: the earliest has timed out
        return self._busy.pop(index), self._workers[index].result()

    def _start_template(self) -> None:
        self._template = start_template(self._factory, self._memory)
        self._fork = self._template is not None
        if self._template is not None:
            self._template.owned = True
            for worker in self._workers:
                worker.template = self._template

    def drain(self) -> list[tuple[Any, Outcome]]:
        out = []
        while self.pending():
            out.append(self.next_outcome())
        return out

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
        if self._template is not None:
            self._template.close()
        self._busy.clear()

    @property
    def restarts(self) -> int:
        return sum(w.restarts for w in self._workers)


# Helpers started ahead of the pool that will use them, with their factory: the launcher starts
# them before the local runner builds its graph, so their start-up overlaps with it.
_PRESTARTED: list[tuple[Callable[[], Callable[[Any], Any]], GuardedWorker]] = []


def prestart(factory: Callable[[], Callable[[Any], Any]], size: int, timeout_seconds: float,
             memory_bytes: int = 0) -> None:
    """Start ``size`` helpers now (forked from one template) for a ``GuardedPool`` of an equal
    factory and the same limits, created later in this process (it adopts them and their template).
    Only useful where that pool runs in this process."""
    template = start_template(factory, memory_bytes) if size > 1 else None  # as GuardedPool decides
    for _ in range(max(1, size)):
        worker = GuardedWorker(factory, timeout_seconds, memory_bytes, template)
        worker.start()
        _PRESTARTED.append((factory, worker))


def discard_prestarted() -> int:
    """Stop the prestarted helpers no pool adopted (the run failed before it needed them)."""
    left = [worker for _, worker in _PRESTARTED]
    _PRESTARTED.clear()
    for template in {id(w.template): w.template for w in left if w.template is not None}.values():
        if not template.owned:  # a pool that adopted some of its helpers closes it
            template.close()  # before the helpers: they end with it, and nothing waits for a pending fork
    for worker in left:
        worker.close()
    return len(left)


def _same_factory(a: Any, b: Any) -> bool:
    # equal dataclasses (the DoFn's copy of a task went through Beam's pickler), else equal pickles
    return type(a) is type(b) and (a == b or pickle.dumps(a) == pickle.dumps(b))


def _adopt(factory: Callable[[], Callable[[Any], Any]], size: int, timeout_seconds: float,
           memory_bytes: int) -> list[GuardedWorker]:
    adopted = [entry for entry in _PRESTARTED
               if entry[1].limits == (timeout_seconds, memory_bytes)
               and _same_factory(entry[0], factory)][:size]
    for entry in adopted:
        _PRESTARTED.remove(entry)
    return [worker for _, worker in adopted]


# Idle pools lent to other stages of this process: the re-analysis of articles that lost learned
# boilerplate (transforms/events/stage.py) borrows the cleaning helpers, which already hold the models,
# instead of starting a helper of its own and working through those articles on one core.
_LENT: dict[int, tuple[Any, GuardedPool, int | None]] = {}  # id(pool) -> (factory, pool, borrowing thread)
_LENDING = threading.Condition()


def lend(factory: Any, pool: GuardedPool) -> None:
    """Offer an idle pool (nothing in flight) to other stages until its owner ``withdraw``s it."""
    with _LENDING:
        _LENT[id(pool)] = (factory, pool, None)
        _LENDING.notify_all()


def withdraw(pool: GuardedPool) -> None:
    """The owner takes its pool back; waits while a borrower's bundle (on another thread) uses it."""
    with _LENDING:
        while id(pool) in _LENT and (borrower := _LENT[id(pool)][2]) is not None:
            if borrower == threading.get_ident():  # owner and borrower in one bundle: waiting would hang
                raise RuntimeError("a pool's owner and its borrower run in the same bundle")
            _LENDING.wait()
        _LENT.pop(id(pool), None)


def borrow(accepts: Callable[[Any], bool]) -> GuardedPool | None:
    """An offered pool whose factory ``accepts`` (for this caller alone until ``give_back``), or None."""
    with _LENDING:
        for key, (factory, pool, borrower) in _LENT.items():
            if borrower is None and accepts(factory):
                _LENT[key] = (factory, pool, threading.get_ident())
                return pool
    return None


def give_back(pool: GuardedPool) -> None:
    """Return a borrowed pool, with nothing in flight, to its owner's offer."""
    with _LENDING:
        if id(pool) in _LENT:
            factory, _, _ = _LENT[id(pool)]
            _LENT[id(pool)] = (factory, pool, None)
        _LENDING.notify_all()
