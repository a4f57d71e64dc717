"""Functions the guard tests run in the helper process (importable there: top-level, stdlib only)."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable
from typing import Any

_CATASTROPHIC = re.compile(r"^(a+)+$")  # exponential backtracking on "aaaa...!"


def _behave(item: Any) -> Any:
    if item == "spin":
        return bool(_CATASTROPHIC.match("a" * 60 + "!"))
    if item == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if item == "hog":
        return len(bytearray(8 << 30))
    if item == "raise":
        raise ValueError("bad element")
    return item


class Behave:
    """A factory, as GuardedWorker expects: called once in the helper, returns the per-element function."""

    def __call__(self) -> Callable[[Any], Any]:
        return _behave


class BrokenFactory:
    def __call__(self) -> Callable[[Any], Any]:
        raise RuntimeError("cannot set up")


class SlowSetUp:
    """A factory whose set-up takes a while (as loading models does); its function is ``_behave``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self) -> Callable[[Any], Any]:
        import time

        time.sleep(self.seconds)
        return _behave


def parent_pid(item: Any) -> int:
    return os.getppid()


class ParentPid:
    """A factory whose function returns the helper's parent pid."""

    def __call__(self) -> Callable[[Any], Any]:
        return parent_pid


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (Linux /proc; a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
