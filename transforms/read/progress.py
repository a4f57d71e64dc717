"""Progress on long runs: the inputs done out of their total with the time left, or (when each
worker sees only its share) each worker's running count, every few seconds. Beam-free: the
pass-through that logs a worker's count is ``stage.Progress``."""

from __future__ import annotations

import logging
from typing import NamedTuple

from transforms.eta import Tracker, progress_interval

log = logging.getLogger("eventwire.progress")

# (path, file size, start, end or None, shard, shards): one piece of an input file for one reader
WorkItem = tuple[str, int, int, "int | None", int, int]


def work_bytes(work: WorkItem) -> float:
    """The input bytes one work item stands for (a shard of a JSON Lines file: its share)."""
    _path, size, start, end, _shard, shards, *_records = work  # a wave's record range: counted as its shard
    return max(0, (size if end is None else end) - start) / max(1, shards)


def ends_file(work: WorkItem) -> bool:
    """True for the last piece of its file (a whole file, the last byte range, the last shard)."""
    _path, size, _start, end, shard, shards, *_records = work
    return shard == shards - 1 and (end is None or end >= size)


class InputTotals(NamedTuple):
    files: int
    bytes: float


def _megabytes(count: float) -> str:
    return f"{count / 1e6:,.1f} MB" if count < 1e9 else f"{count / 1e9:,.2f} GB"


class ReadProgress:
    """The reader's progress line: input bytes and files done of the run's total, documents so
    far, and the time left at the pace so far. Only where one process reads every input (the
    in-process runner): a worker of several would see its own share against the run's total."""

    def __init__(self, totals: InputTotals, every: float | None = None) -> None:
        self._totals = totals
        self._tracker = Tracker(totals.bytes, progress_interval() if every is None else every)
        self._files = 0
        self.documents = 0

    def work_done(self, work: WorkItem) -> None:
        self._tracker.advance(work_bytes(work))
        self._files += ends_file(work)
        if self._tracker.due():
            log.info("%s", self.line())

    def line(self, now: float | None = None) -> str:
        return (f"read {self._tracker.fraction() or '?'} of the input ({_megabytes(self._tracker.done)} of "
                f"{_megabytes(self._totals.bytes)}, {self._files}/{self._totals.files} files), "
                f"{self.documents:,} documents so far{self._tracker.left(now)}")
