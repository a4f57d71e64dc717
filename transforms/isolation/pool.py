"""Several guarded helpers at once (``GuardedPool``).

The pool keeps one element in flight per helper (``transforms/isolation/worker.py`` runs each helper and
enforces the per-element limits) and returns outcomes as they finish, so the caller keeps
reading while the helpers compute. Beam-free, like the guard.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from multiprocessing.connection import wait as wait_connections
from typing import Any

from transforms.isolation import shelf
from transforms.isolation.worker import GuardedWorker, Outcome, start_template


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
        holding the models, for nothing but cheaper restarts. Inside ``shelf.keeping()`` the template
        comes from the shelf when one of this task is kept there, and goes back to it on ``close``."""
        size = max(1, size)
        self._key = shelf.template_key(factory, memory_bytes)
        self._fork = size > 1 if fork is None else fork
        self._template: Any = None  # started with the first helper
        self._workers = [GuardedWorker(factory, timeout_seconds, memory_bytes) for _ in range(size)]
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
        self._template = shelf.take(self._key) or start_template(*self._key)
        self._fork = self._template is not None
        if self._template is not None:
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
        if self._template is not None and not shelf.put_back(self._key, self._template):
            self._template.close()
        self._template = None
        self._busy.clear()

    @property
    def restarts(self) -> int:
        return sum(w.restarts for w in self._workers)
