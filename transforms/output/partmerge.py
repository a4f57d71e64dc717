"""A big partition merged as a stream: memory of a row group, not of the partition.

The writer merges a partition's new rows into its current file. Read whole, even as Arrow, a day
of 60k articles is a few hundred MB of text, held two or three times over while it is filtered,
concatenated and sorted; a local run in waves adds to the same day partition wave after wave.
Partition files are sorted by key and written in row groups of ``tables.ROW_GROUP_ROWS`` rows, so
a big one is merged row group by row group: one pass over its key columns finds the rows the new
rows replace (and keeps their first ``ingested_at``/``rejected_at``), then its row groups are read
one at a time, merged in key order with the sorted new rows and written out in row groups of the
same size. The file is the one the in-memory merge writes (tested byte for byte).
"""

from __future__ import annotations

import bisect
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.output import tables
from transforms.output.schema import TABLES

STREAM_MIN_ROWS = 2 * tables.ROW_GROUP_ROWS  # smaller partitions are merged in memory


class NotSorted(Exception):
    """The current file is not in key order (not written by this writer): merge it in memory."""


def streamable(table: str, current: list[str]) -> bool:
    """Whether a partition's merge streams: one local file of at least STREAM_MIN_ROWS rows."""
    if table not in ("articles", "rejects", "mentions") or len(current) != 1 or not tables.is_local(current[0]):
        return False
    try:
        return pq.read_metadata(current[0]).num_rows >= STREAM_MIN_ROWS
    except (pa.ArrowException, OSError):
        return False  # a damaged file: the in-memory path names it


def _key_tuples(arrow: pa.Table, table: str) -> list[tuple[str, ...]]:
    columns = [arrow[k].to_pylist() for k in TABLES[table].key]
    return [tuple("" if v is None else str(v) for v in row) for row in zip(*columns, strict=True)]


def stream_merge(table: str, source: str, target: str, new: Iterable[Mapping[str, Any]],
                 drop_article_ids: frozenset[str] = frozenset(),
                 patch: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
                 patched_ids: frozenset[str] = frozenset()) -> int:
    """``tables.merge_arrow`` of one big local file into ``target``, row group by row group.
    Returns the rows written (0: nothing written, the partition is now empty). Raises NotSorted."""
    return _merge(table, source, target, new, drop_article_ids, patch, patched_ids)[0]


def stream_mentions(source: str, target: str, new: Iterable[Mapping[str, Any]],
                    drop_article_ids: frozenset[str] = frozenset()) -> tuple[int, frozenset[str]]:
    """``stream_merge`` of a mentions file; also returns the event ids the merge touches: those of
    the new mentions and of the mentions it removes (replaced, or of an article emitted again). Only
    these events can differ from the partition's current events (``eventmerge.stream_events``)."""
    new = list(new)
    written, gone = _merge("mentions", source, target, new, drop_article_ids)
    touched = {row["event_id"] for row in new} | set(gone["event_id"].to_pylist())
    return written, frozenset(e for e in touched if e is not None)


def _merge(table: str, source: str, target: str, new: Iterable[Mapping[str, Any]],
           drop_article_ids: frozenset[str] = frozenset(),
           patch: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
           patched_ids: frozenset[str] = frozenset()) -> tuple[int, pa.Table]:
    """The merge of ``stream_merge``; also returns the key columns (and a mention's event_id) of the
    current rows it removed."""
    from transforms.output.check import DamagedOutput, file_problem, refusal_for

    problem = file_problem(source, table)
    if problem:
        raise DamagedOutput(refusal_for(source, problem))
    spec = TABLES[table]
    latest: dict[str, dict[str, Any]] = {}
    for row in new:
        latest[tables._key_of(row, table)] = dict(row)
    rows = list(latest.values())
    if patch is not None and patched_ids:
        rows = patch(rows)
    first_seen = {"articles": "ingested_at", "rejects": "rejected_at"}.get(table)
    drops = bool(drop_article_ids) and table in ("articles", "mentions")
    parquet = pq.ParquetFile(source)
    wanted = [*spec.key, *([first_seen] if first_seen in parquet.schema_arrow.names else []),
              *(["article_id"] if drops and "article_id" not in spec.key else []),
              *(["event_id"] if table == "mentions" else [])]
    heads = parquet.read(columns=wanted)  # the key columns only: a few MB for a partition of 100k rows
    new_keys = pa.array(list(latest), pa.string())
    replaced = pc.is_in(tables._key_column(heads, table), new_keys)
    dropped = pc.is_in(heads["article_id"], pa.array(sorted(drop_article_ids), pa.string())) if drops else None
    gone = replaced if dropped is None else pc.or_(replaced, dropped)
    if first_seen is not None and first_seen in heads.column_names:  # the first time stays (see tables.merge_rows)
        by_key = {tables._key_of(r, table): r[first_seen] for r in heads.filter(replaced).to_pylist()}
        for key, row in latest.items():
            previous = by_key.get(key)
            if previous is not None:
                row[first_seen] = min(previous, row[first_seen] or previous)
    removed = heads.filter(gone)
    total = heads.num_rows - removed.num_rows + len(rows)
    del heads, gone, replaced, dropped
    if total == 0:
        return 0, removed

    dropped_ids = pa.array(sorted(drop_article_ids), pa.string())

    def keep(current: pa.Table) -> list[pa.Table]:
        kept = without(current, pc.is_in(tables._key_column(current, table), new_keys))
        if drops:
            kept = without(kept, pc.is_in(kept["article_id"], dropped_ids))
        if patch is not None and patched_ids and table == "articles":
            touched = pc.is_in(kept["article_id"], pa.array(sorted(patched_ids)))
            return [kept.filter(pc.invert(touched)), tables.to_arrow(patch(kept.filter(touched).to_pylist()), table)]
        return [kept]

    return stream_write(parquet, source, target, table, total, tables.to_arrow(rows, table), keep), removed


def without(arrow: pa.Table, mask: pa.ChunkedArray | pa.Array) -> pa.Table:
    """The rows of ``arrow`` where ``mask`` is false; the table itself (not a copy) when none is true."""
    return arrow.filter(pc.invert(mask)) if pc.any(mask).as_py() else arrow


def stream_write(parquet: pq.ParquetFile, source: str, target: str, table: str, total: int, incoming: pa.Table,
                 keep: Callable[[pa.Table], list[pa.Table]]) -> int:
    """Write ``target``: the row groups of ``parquet`` (``source``, in key order: checked, else
    NotSorted), each reduced to ``keep``'s pieces, merged in key order with ``incoming`` (sorted, in
    the file schema), in row groups of ``tables.ROW_GROUP_ROWS``; ``total`` is the rows it will hold
    (it chooses the compression). The file the in-memory merge writes for the same rows."""
    spec = TABLES[table]
    incoming_keys = _key_tuples(incoming, table)
    os.makedirs(posixpath.dirname(target), exist_ok=True)
    written, taken, last = 0, 0, None
    pending: list[pa.Table] = []
    with pq.ParquetWriter(target, spec.file_schema, **tables.write_options(table, total)) as writer:

        def flush(final: bool) -> None:
            nonlocal pending, written
            buffered = pa.concat_tables(pending) if pending else spec.file_schema.empty_table()
            size = tables.ROW_GROUP_ROWS
            while buffered.num_rows >= size or (final and buffered.num_rows):
                group = buffered.slice(0, size)
                writer.write_table(group.combine_chunks())
                written += group.num_rows
                buffered = buffered.slice(group.num_rows)
            pending = [buffered] if buffered.num_rows else []

        for batch in parquet.iter_batches(batch_size=tables.ROW_GROUP_ROWS):
            current = tables._conformed(pa.Table.from_batches([batch]), table)
            keys = _key_tuples(current.select(list(spec.key)), table)
            if keys != sorted(keys) or (last is not None and keys and keys[0] <= last):
                raise NotSorted(source)
            last = keys[-1] if keys else last
            pieces = keep(current)
            upto = bisect.bisect_right(incoming_keys, last) if last is not None else taken
            if upto > taken:
                pieces.append(incoming.slice(taken, upto - taken))
            taken = upto
            merged = pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0]
            if len(pieces) > 1:  # one piece is a row group of the file: already in order, not copied again
                merged = merged.sort_by([(c, "ascending") for c in spec.sort])
            pending.append(merged)
            flush(final=False)
        pending.append(incoming.slice(taken))
        flush(final=True)
    return written
