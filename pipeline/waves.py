"""A local run in waves: memory bounded by a wave, not by the whole input.

Beam's in-process runner keeps every element of a stage's output in memory until the next stage
has read it, and a run's articles cross several such stages (deduplication, learned boilerplate,
the partition writer). A local run over 100k files or a JSON Lines dump of a few GB therefore
held all of its articles at once (issue #25: ~90 KB of memory per small file). Here the
launcher streams the input listing and cuts it into waves of at most ``read.wave_files`` files
and ``read.wave_bytes`` input bytes; each wave is one pipeline and one commit, so the run's
memory is that of a wave, whatever the input's size. A file bigger than a wave is split: a JSON
Lines file into ranges of records (its lines are counted first, streamed), a ``.warc.gz`` into
byte ranges of its gzip members.

What a wave boundary changes (documented in the README): a copy of an article in an earlier wave
is "already in output", not a duplicate; learned boilerplate is counted per wave. The run's
summary and manifest add up its waves. Runners with workers of their own (Dataflow, Flink, Spark)
get one pipeline, as before: they do not hold a stage's output in the launcher's memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems

from transforms.read import formats, walk
from transforms.read.payload import ReadError, open_payload
from transforms.read.warcsplit import split_ranges
from transforms.records import Reject
from transforms.settings import ReadSettings

log = logging.getLogger(__name__)

# (path, size, byte start, byte end, shard, shards, first record, end record): see ReadFilesFn
WorkItem = tuple[str, int, int, "int | None", int, int, int, "int | None"]


@dataclass
class Wave:
    items: list[WorkItem] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    bytes: int = 0

    def __len__(self) -> int:
        return len(self.items) + len(self.rejects)


def listing(patterns: list[str], output: str | None) -> Iterator[tuple[str, int] | Reject]:
    """(path, size) of every input file, or a Reject for what cannot be read, streamed. Each file
    once when several patterns overlap (only then are the paths remembered)."""
    exclude = (output,) if output and "://" not in output else ()
    seen: set[str] | None = set() if len(patterns) > 1 else None
    for pattern in patterns:
        if "://" in pattern:
            found: Iterable[tuple[str, int] | Reject] = (
                (m.path, m.size_in_bytes) for m in FileSystems.match([pattern])[0].metadata_list)
        else:
            found = (item if isinstance(item, Reject) else (item.path, item.size)
                     for item in walk.match(pattern, exclude))
        for entry in found:
            path = entry.source_uri if isinstance(entry, Reject) else entry[0]
            if not isinstance(entry, Reject) and formats.is_sidecar(path):
                continue
            if seen is not None:
                if path in seen:
                    continue
                seen.add(path)
            yield entry


def count_records(path: str, settings: ReadSettings) -> tuple[int, int] | None:
    """(lines, bytes) of a JSON Lines file after gunzip, streamed; None if it cannot be read (its
    reader then reports why)."""
    lines = size = 0
    try:
        with _open(path) as raw:
            stream, _ = open_payload(raw, settings, streamed=True)
            while block := stream.read(1 << 20):
                lines += block.count(b"\n")
                size += len(block)
    except (OSError, ReadError):
        return None
    return lines + 1, size  # the last line may lack its newline


def _open(path: str) -> Any:
    if "://" not in path:
        return walk.open_regular(path)
    return FileSystems.open(path, compression_type="uncompressed")


def file_items(path: str, size: int, settings: ReadSettings, split: bool) -> list[tuple[WorkItem, int]]:
    """The work items of one file with the input bytes each stands for: the file, or for a file
    bigger than a wave, ranges of its records (JSON Lines) or of its bytes (.warc.gz)."""
    whole: WorkItem = (path, size, 0, None, 0, 1, 0, None)
    if not split or size <= settings.wave_bytes:
        return [(whole, size)]
    if path.lower().endswith(".warc.gz"):
        return [((path, size, start, end, 0, 1, 0, None), (end or size) - start) for start, end in split_ranges(size)]
    if formats.file_format(path) != "jsonl":
        return [(whole, size)]
    counted = count_records(path, settings)
    if counted is None:
        return [(whole, size)]
    lines, unpacked = counted
    per = max(1, int(lines * settings.wave_bytes / max(1, unpacked)))
    starts = list(range(0, lines, per))
    log.info("%s: %d lines in %d waves of %d records", path, lines, len(starts), per)
    return [((path, size, 0, None, 0, 1, lo, None if i == len(starts) - 1 else lo + per), size * per // lines)
            for i, lo in enumerate(starts)]


def plan(entries: Iterable[tuple[str, int] | Reject], settings: ReadSettings, split: bool = True) -> Iterator[Wave]:
    """Waves of at most ``settings.wave_files`` entries and ``settings.wave_bytes`` input bytes (a
    single item bigger than that is a wave of its own). At least one wave, possibly empty."""
    wave = Wave()
    yielded = False
    for entry in entries:
        if isinstance(entry, Reject):
            if len(wave) >= settings.wave_files:
                yield wave
                yielded, wave = True, Wave()
            wave.rejects.append(entry)
            continue
        for item, weight in file_items(entry[0], entry[1], settings, split):
            if len(wave) and (len(wave) >= settings.wave_files or wave.bytes + weight > settings.wave_bytes):
                yield wave
                yielded, wave = True, Wave()
            wave.items.append(item)
            wave.bytes += weight
    if len(wave) or not yielded:
        yield wave
