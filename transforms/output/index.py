"""What the output already holds: article ids and content hashes, read from the articles table.

A run skips articles already present (same URL id, or same normalized content under another
URL) without re-extracting them, and keeps their first ingestion time when reprocessing.
Only four small columns are read (about 100 bytes per article), so the cost grows slowly with
the table; the index is a side input, held in memory by every worker (fine to tens of millions
of articles; beyond that, a join would replace it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, NamedTuple

import apache_beam as beam

from transforms.output import tables


class Known(NamedTuple):
    content_hash: str
    ingested_at: dt.datetime
    partition: str  # the article's partition folder, relative to the table root
    simhash: str | None = None  # for the near-duplicate search (null in files written before the column)


def read_articles_index(output: str) -> Iterator[tuple[str, Known]]:
    for path in tables.list_partitions(output, "articles"):
        partition = "/".join(path.rsplit("/", 3)[1:3])
        for row in tables.read_rows(path, ["article_id", "content_hash", "ingested_at", "simhash"]):
            yield row["article_id"], Known(row["content_hash"], row["ingested_at"], partition, row["simhash"])


def read_mentions_index(output: str) -> Iterator[tuple[str, str]]:
    """(article_id, mentions partition) for every article with mentions (for --reprocess)."""
    for path in tables.list_partitions(output, "mentions"):
        partition = path.rsplit("/", 2)[1]
        for article_id in {r["article_id"] for r in tables.read_rows(path, ["article_id"])}:
            yield article_id, partition


class LoadMentionsIndex(beam.PTransform):
    """(article_id, mentions partition) pairs, read on a worker (only for --reprocess)."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, pbegin: Any) -> beam.PCollection:
        return pbegin | "Root" >> beam.Create([self._output]) | "Read" >> beam.FlatMap(read_mentions_index)


class LoadIndex(beam.PTransform):
    """The articles index as a PCollection of (article_id, Known), read on a worker."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, pbegin: Any) -> beam.PCollection:
        return pbegin | "Root" >> beam.Create([self._output]) | "Read" >> beam.FlatMap(read_articles_index)


class IndexView:
    """Turns the side-input dict into sets once per worker (not once per element)."""

    def __init__(self) -> None:
        self._source: Any = None
        self.ids: frozenset[str] = frozenset()
        self.hashes: frozenset[str] = frozenset()
        self.known: dict[str, Known] = {}

    def refresh(self, known: dict[str, Known]) -> IndexView:
        if known is not self._source:
            self._source, self.known = known, known
            self.ids = frozenset(known)
            self.hashes = frozenset(k.content_hash for k in known.values())
        return self
