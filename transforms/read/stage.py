"""Read (Beam half): input patterns or a wave's work items -> RawDocuments and rejects.

Local inputs are walked by ``walk.py`` (regular files only, folder links followed, the output root
excluded); ``gs://`` patterns go through Beam's ``FileSystems``. What a file holds is read by
``formats.guarded_read``; a big ``.warc.gz`` is split into byte ranges (``warcsplit.py``) and a big
JSON Lines file into record shards, so one big file does not sit on one worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from transforms.eta import progress_interval
from transforms.read import formats, walk
from transforms.read.progress import InputTotals, ReadProgress, ends_file, work_bytes
from transforms.read.warcsplit import split_ranges
from transforms.records import Reject
from transforms.settings import ReadSettings

log = logging.getLogger("eventwire.progress")


class Progress(beam.DoFn):
    """A pass-through that logs "N <what> so far (x/s)" at most every ``every`` seconds per worker."""

    def __init__(self, what: str, every: float | None = None) -> None:
        self._what = what
        self._every = progress_interval() if every is None else every

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


def output_exclusion(output: str | None) -> tuple[str, ...]:
    """The run's own output root, when local: never walked as input."""
    return (output,) if output and "://" not in output else ()


def _sidecar(path: str) -> bytes | None:
    """The raw bytes of ``path``'s sidecar, or None when it has none (parsed by read.parse_sidecar)."""
    meta = formats.sidecar_path(path)
    if not FileSystems.exists(meta):
        return None
    with open_raw(meta) as handle:
        return handle.read(formats.MAX_SIDECAR_BYTES + 1)


def open_raw(path: str) -> Any:
    if "://" not in path:  # regular files only, and an open that cannot block on a FIFO
        return walk.open_regular(path)
    return FileSystems.open(path, compression_type="uncompressed")


class ListInputsFn(beam.DoFn):
    """Match pattern -> (path, size) of every input file (main) and Rejects (tag ``rejects``) for
    what is found but cannot be read: local inputs are walked by ``transforms/read/walk.py`` (regular
    files only, folder links followed, the output root excluded), gs:// patterns matched by Beam."""

    def __init__(self, exclude: tuple[str, ...] = ()) -> None:
        self._exclude = exclude

    def process(self, pattern: str) -> Iterator[Any]:
        if "://" in pattern:
            for m in FileSystems.match([pattern])[0].metadata_list:
                if not formats.is_sidecar(m.path):
                    yield m.path, m.size_in_bytes
            return
        for item in walk.match(pattern, self._exclude):
            if isinstance(item, Reject):
                beam.metrics.Metrics.counter("eventwire", f"reject:{item.reason}").inc()
                yield beam.pvalue.TaggedOutput("rejects", item)
            elif not formats.is_sidecar(item.path):
                yield item.path, item.size


class ReadFilesFn(beam.DoFn):
    """FileMetadata -> RawDocuments (main) and Rejects (tag ``rejects``)."""

    def __init__(self, settings: ReadSettings, totals: InputTotals | None = None) -> None:
        self._settings = settings
        self._totals = totals  # one process reads the whole wave: progress as done / total and time left
        self._progress: ReadProgress | None = None

    def setup(self) -> None:
        self._progress = ReadProgress(self._totals) if self._totals is not None else None

    def process(self, work: tuple[Any, ...]) -> Iterator[Any]:
        # (path, size, byte start, byte end, shard, shards[, first record, end record]): a wave's
        # range of a big JSON Lines file keeps records [first, end) (pipeline/waves.py)
        path, size, start, end, shard, shards, *records = work
        first, until = records or (0, None)
        keep = _keeper(shard, shards, first, until)
        for item in formats.guarded_read(path, size, self._settings, open_raw, _sidecar,
                                            on_skip=_count_warc_skip, byte_range=(start, end), keep=keep,
                                            until=until):
            if isinstance(item, Reject):
                beam.metrics.Metrics.counter("eventwire", f"reject:{item.reason}").inc()
                yield beam.pvalue.TaggedOutput("rejects", item)
            else:
                beam.metrics.Metrics.counter("eventwire", "documents").inc()
                if self._progress is not None:
                    self._progress.documents += 1
                yield item
        if self._progress is not None:  # after the item's documents went downstream (cleaning is fused)
            self._progress.work_done(work)


def _keeper(shard: int, shards: int, first: int, until: int | None) -> Any:
    if shards == 1 and first == 0 and until is None:
        return None
    return lambda index: index % shards == shard and first <= index and (until is None or index < until)


def _count_reject(reject: Reject) -> Reject:
    beam.metrics.Metrics.counter("eventwire", f"reject:{reject.reason}").inc()
    return reject


class ReadWork(beam.PTransform):
    """Work items the launcher listed (one wave of ``pipeline/waves.py``) and the rejects of its
    listing -> {"docs", "rejects"}."""

    def __init__(self, items: list[tuple[Any, ...]], listing_rejects: list[Reject], settings: ReadSettings) -> None:
        super().__init__()
        self._items = items
        self._listing_rejects = listing_rejects
        self._settings = settings

    def expand(self, pbegin: Any) -> dict[str, beam.PCollection]:
        items = self._items
        totals = InputTotals(sum(map(ends_file, items)), sum(map(work_bytes, items)))
        read = (pbegin | "WorkItems" >> beam.Create(items)
                | "Read" >> beam.ParDo(ReadFilesFn(self._settings, totals)).with_outputs("rejects", main="docs"))
        docs = read.docs  # the reader logs its progress against the wave's total (ReadProgress)
        listed = (pbegin | "ListingRejects" >> beam.Create(self._listing_rejects, reshuffle=False)
                  | "CountListingRejects" >> beam.Map(_count_reject))
        return {"docs": docs, "rejects": (listed, read.rejects) | "ReadRejects" >> beam.Flatten()}


def _count_warc_skip(kind: str) -> None:
    beam.metrics.Metrics.counter("eventwire", f"warc_skipped:{kind}").inc()


JSONL_SPLIT_BYTES = 4 << 20  # a JSON Lines file this big (on disk) is read by several workers ...
JSONL_MAX_SHARDS = 4  # ... at most this many: each reader still gunzips and scans the whole file


def _work_items(path_and_size: tuple[str, int], split: bool) -> list[tuple[str, int, int, int | None, int, int]]:
    """A file, byte ranges of a big .warc.gz, or record shards of a big JSON Lines file, so one
    big file does not sit on one worker. Reading and cleaning then run in one fused step: the
    pages' HTML never goes through a shuffle (the local runner would hold all of it in memory).

    Not split under --max-records (the cap is per file, and a sample reads little anyway), nor when
    the graph runs in one process: its reading is serial there, so a split only gunzips a file twice.
    """
    path, size = path_and_size
    if split and path.lower().endswith(".warc.gz"):
        return [(path, size, start, end, 0, 1) for start, end in split_ranges(size)]
    shards = 1
    if split and formats.file_format(path) == "jsonl":
        shards = max(1, min(JSONL_MAX_SHARDS, -(-size // JSONL_SPLIT_BYTES)))
    return [(path, size, 0, None, shard, shards) for shard in range(shards)]


class ReadFiles(beam.PTransform):
    """Match patterns -> {"docs": RawDocuments, "rejects": Rejects}; files (or their shards) spread over workers."""

    def __init__(self, patterns: list[str], settings: ReadSettings, split: bool = True,
                 output: str | None = None) -> None:
        super().__init__()
        self._patterns = patterns
        self._exclude = output_exclusion(output)
        self._settings = settings
        self._split = split and not settings.max_records_per_file

    def expand(self, pbegin: Any) -> dict[str, beam.PCollection]:
        split = self._split
        listed = (
            pbegin
            | "Patterns" >> beam.Create(self._patterns)
            | "Match" >> beam.ParDo(ListInputsFn(self._exclude)).with_outputs("rejects", main="files")
        )
        files = (
            listed.files
            | "WorkItems" >> beam.FlatMap(lambda found: _work_items(found, split))
            # One shuffle does both: a file named by overlapping patterns is read once (its work items
            # are the same), and the work items spread over the workers (no fusion into the match)
            | "DistinctWorkItems" >> beam.Distinct()
        )
        read = files | "Read" >> beam.ParDo(ReadFilesFn(self._settings)).with_outputs("rejects", main="docs")
        docs = read.docs | "Progress" >> beam.ParDo(Progress("documents"))
        rejects = (listed.rejects, read.rejects) | "ReadRejects" >> beam.Flatten()
        return {"docs": docs, "rejects": rejects}
