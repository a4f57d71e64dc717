"""Progress with a total: "done / total" and an estimate of the time left, at most every few seconds.

Pure (no Beam): the batch reader counts input bytes and files, the feed fetcher counts entries.
The estimate assumes the rest goes at the pace so far, which is what an operator wants to know
("minutes or hours?"), not a promise.
"""

from __future__ import annotations

import dataclasses
import os
import time

DEFAULT_INTERVAL = 10.0
# time.monotonic() when the eventwire command started (set by pipeline/cli.py), so a run summary's
# "finished in" includes the start-up before its pipeline; None outside the CLI
COMMAND_STARTED: float | None = None


def progress_interval() -> float:
    """Seconds between two progress lines: ``EVENTWIRE_PROGRESS_SECONDS``, else 10."""
    try:
        value = float(os.environ.get("EVENTWIRE_PROGRESS_SECONDS", DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value >= 0 else DEFAULT_INTERVAL


def process_age_seconds() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere 0), so a summary can count the
    interpreter's start and the imports before the first line of ours ran."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            started_ticks = int(handle.read().rsplit(")", 1)[1].split()[19])
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 10 s``, ``2 h 05 min``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def estimate_left(done: float, total: float, elapsed: float) -> float | None:
    """Seconds left at the pace so far; None before anything is done or when the total is unknown."""
    if done <= 0 or total <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed * (total - done) / done)


@dataclasses.dataclass
class Tracker:
    """Counts toward a total (``total`` 0: unknown) and says when a progress line is due."""

    total: float
    every: float = 10.0
    done: float = 0.0
    started: float = dataclasses.field(default_factory=time.monotonic)
    _last: float = dataclasses.field(default=-1.0)

    def __post_init__(self) -> None:
        self._last = self.started

    def advance(self, amount: float = 1.0) -> None:
        self.done += amount

    def due(self, now: float | None = None) -> bool:
        """True at most once per ``every`` seconds (the caller then logs ``line``)."""
        now = time.monotonic() if now is None else now
        if now - self._last < self.every:
            return False
        self._last = now
        return True

    def fraction(self) -> str:
        if self.total <= 0:
            return ""
        return f"{100 * min(1.0, self.done / self.total):.0f}%"

    def left(self, now: float | None = None) -> str:
        """``, about 3 min 10 s left`` (empty when it cannot be estimated yet)."""
        now = time.monotonic() if now is None else now
        seconds = estimate_left(self.done, self.total, now - self.started)
        return "" if seconds is None else f", about {duration(seconds)} left"
