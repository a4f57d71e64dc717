"""What the output already holds: article ids and content hashes, read from the articles table.

A run skips articles already present (same URL id, or same normalized content under another
URL) without re-extracting them, keeps their first ingestion time when reprocessing, and flags
near-duplicates against them. Only five small columns are read, and they are kept compact (issue
#25): an ``ArticleIndex`` is sorted numpy arrays, about 100 bytes per article, looked up by binary
search, instead of a dict of Python objects (about 1 KB per article, and the existing SimHashes were
flattened into the near-duplicate shuffle: a local run in waves paid that every wave, growing with
the output). The index is one side input, held in memory by every worker (fine to tens of millions
of articles; beyond that, a join would replace it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transforms.output import tables

INDEX_COLUMNS = ["article_id", "content_hash", "ingested_at", "simhash", "near_duplicate_of"]
BANDS = 4  # the LSH bands of transforms.dedup.simhash_bands: 4 of 16 bits
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _fixed_bytes(column: pa.ChunkedArray) -> np.ndarray:
    """A string column as a numpy array of fixed-width bytes (ids and hashes are short hex)."""
    values = pc.fill_null(column, "").to_numpy(zero_copy_only=False)
    return values.astype("S") if len(values) else np.array([], dtype="S1")


def _simhashes(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(values as uint64, whether present): the column holds 16 hex digits or null (an older file)."""
    texts = column.to_pylist()
    present = np.array([t is not None for t in texts], dtype=bool)
    values = np.array([int(t, 16) if t is not None else 0 for t in texts], dtype=np.uint64)
    return values, present


class ArticleIndex:
    """The articles of an output, compact: one row per article, sorted by ``article_id``.

    ``ids`` / ``ingested`` (µs since the epoch) / ``partition`` (a code into ``partitions``) /
    ``simhash`` (+ ``has_simhash``) / ``canonical`` (its ``near_duplicate_of``, b"" for none) are aligned; ``hashes`` is the content hashes, sorted on their
    own; per LSH band, ``band_values`` (sorted) and ``band_rows`` (the row of each) answer "which
    existing articles share this band value" without holding all SimHashes as Python objects.
    """

    def __init__(self, ids: np.ndarray, hashes: np.ndarray, ingested: np.ndarray, partition: np.ndarray,
                 partitions: list[str], simhash: np.ndarray, has_simhash: np.ndarray,
                 canonical: np.ndarray | None = None) -> None:
        order = np.argsort(ids, kind="stable")
        self.canonical = (np.full(len(ids), b"", dtype="S1") if canonical is None else canonical)[order]
        self.ids = ids[order]
        self.ingested = ingested[order]
        self.partition = partition[order]
        self.partitions = partitions
        self.simhash = simhash[order]
        self.hashes = np.sort(hashes)
        rows = np.flatnonzero(has_simhash[order]).astype(np.int64)
        self.band_values: list[np.ndarray] = []
        self.band_rows: list[np.ndarray] = []
        width = 64 // BANDS
        for band in range(BANDS):
            values = ((self.simhash[rows] >> np.uint64(band * width)) & np.uint64((1 << width) - 1)).astype(np.uint16)
            by_value = np.argsort(values, kind="stable")
            self.band_values.append(values[by_value])
            self.band_rows.append(rows[by_value])

    @classmethod
    def empty(cls) -> ArticleIndex:
        return cls(np.array([], dtype="S1"), np.array([], dtype="S1"), np.array([], dtype=np.int64),
                   np.array([], dtype=np.int32), [], np.array([], dtype=np.uint64), np.array([], dtype=bool))

    @classmethod
    def from_parts(cls, parts: list[tuple[str, pa.Table]]) -> ArticleIndex:
        """(partition folder, a table of INDEX_COLUMNS) per articles file -> the index."""
        parts = [(p, t) for p, t in parts if t.num_rows]
        if not parts:
            return cls.empty()
        partitions = [p for p, _ in parts]
        simhash, present = zip(*(_simhashes(t["simhash"]) for _, t in parts), strict=True)
        stamps = [pc.cast(pc.cast(t["ingested_at"], pa.timestamp("us", tz="UTC")), pa.int64()) for _, t in parts]
        return cls(
            np.concatenate([_fixed_bytes(t["article_id"]) for _, t in parts]),
            np.concatenate([_fixed_bytes(t["content_hash"]) for _, t in parts]),
            np.concatenate([pc.fill_null(s, 0).to_numpy(zero_copy_only=False) for s in stamps]).astype(np.int64),
            np.concatenate([np.full(t.num_rows, code, dtype=np.int32) for code, (_, t) in enumerate(parts)]),
            partitions, np.concatenate(simhash), np.concatenate(present),
            np.concatenate([_fixed_bytes(t["near_duplicate_of"] if "near_duplicate_of" in t.column_names
                                         else pa.chunked_array([pa.nulls(t.num_rows, pa.string())])) for _, t in parts]))

    def __len__(self) -> int:
        return len(self.ids)

    @staticmethod
    def _position(values: np.ndarray, key: str) -> int:
        """The position of ``key`` in the sorted ``values``, or -1."""
        if not len(values):
            return -1
        needle = key.encode("utf-8")
        at = int(np.searchsorted(values, needle))
        return at if at < len(values) and values[at] == needle else -1

    def has_id(self, article_id: str) -> bool:
        return self._position(self.ids, article_id) >= 0

    def has_hash(self, content_hash: str) -> bool:
        return self._position(self.hashes, content_hash) >= 0

    def previous(self, article_id: str) -> tuple[dt.datetime, str] | None:
        """(first ingestion time, articles partition folder) of an article in the output, or None."""
        at = self._position(self.ids, article_id)
        if at < 0:
            return None
        return _EPOCH + dt.timedelta(microseconds=int(self.ingested[at])), self.partitions[int(self.partition[at])]

    def sharing_band(self, band: int, value: int) -> Iterator[tuple[str, int, str, str | None]]:
        """(article_id, simhash, partition, near_duplicate_of) of every article whose SimHash has ``value``
        in LSH band ``band``."""
        values, needle = self.band_values[band], np.uint16(value)  # a Python int would cast the whole array
        low, high = np.searchsorted(values, needle, "left"), np.searchsorted(values, needle, "right")
        for row in self.band_rows[band][low:high]:
            yield (self.ids[row].decode("utf-8"), int(self.simhash[row]), self.partitions[int(self.partition[row])],
                   self.canonical[row].decode("utf-8") or None)


def read_articles_index(output: str) -> ArticleIndex:
    parts = []
    for path in tables.list_partitions(output, "articles"):
        parts.append(("/".join(path.rsplit("/", 3)[1:3]), tables.read_table(path, INDEX_COLUMNS)))
    return ArticleIndex.from_parts(parts)


def read_mentions_index(output: str) -> Iterator[tuple[str, str]]:
    """(article_id, mentions partition) for every article with mentions (for --reprocess)."""
    for path in tables.list_partitions(output, "mentions"):
        partition = path.rsplit("/", 2)[1]
        for article_id in pc.unique(tables.read_table(path, ["article_id"])["article_id"]).to_pylist():
            yield article_id, partition


class LoadMentionsIndex(beam.PTransform):
    """(article_id, mentions partition) pairs, read on a worker (only for --reprocess)."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, pbegin: Any) -> beam.PCollection:
        return pbegin | "Root" >> beam.Create([self._output]) | "Read" >> beam.FlatMap(read_mentions_index)


class LoadIndex(beam.PTransform):
    """The articles index: a PCollection of one ``ArticleIndex`` (for ``beam.pvalue.AsSingleton``),
    read on a worker."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, pbegin: Any) -> beam.PCollection:
        return pbegin | "Root" >> beam.Create([self._output]) | "Read" >> beam.Map(read_articles_index)
