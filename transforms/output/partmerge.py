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
    if table not in ("articles", "rejects") or len(current) != 1 or not tables.is_local(current[0]):
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
    first_seen = {"articles": "ingested_at", "rejects": "rejected_at"}[table]
    parquet = pq.ParquetFile(source)
    heads = parquet.read(columns=[*spec.key, first_seen] if first_seen in parquet.schema_arrow.names else list(spec.key))
    new_keys = pa.array(list(latest), pa.string())
    gone = pc.is_in(tables._key_column(heads, table), new_keys)
    if drop_article_ids and table == "articles":
        gone = pc.or_(gone, pc.is_in(heads["article_id"], pa.array(sorted(drop_article_ids))))
    if first_seen in heads.column_names:  # the first time stays (see tables.merge_rows)
        by_key = {tables._key_of(r, table): r[first_seen] for r in heads.filter(
            pc.is_in(tables._key_column(heads, table), new_keys)).to_pylist()}
        for key, row in latest.items():
            previous = by_key.get(key)
            if previous is not None:
                row[first_seen] = min(previous, row[first_seen] or previous)
    total = heads.num_rows - pc.sum(gone).as_py() if heads.num_rows else 0
    total = (total or 0) + len(rows)
    del heads, gone
    if total == 0:
        return 0
    incoming = tables.to_arrow(rows, table)
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
            kept = current.filter(pc.invert(pc.is_in(tables._key_column(current, table), new_keys)))
            if drop_article_ids and table == "articles":
                kept = kept.filter(pc.invert(pc.is_in(kept["article_id"], pa.array(sorted(drop_article_ids)))))
            pieces = [kept]
            if patch is not None and patched_ids and table == "articles":
                touched = pc.is_in(kept["article_id"], pa.array(sorted(patched_ids)))
                pieces = [kept.filter(pc.invert(touched)), tables.to_arrow(patch(kept.filter(touched).to_pylist()), table)]
            upto = bisect.bisect_right(incoming_keys, last) if last is not None else taken
            pieces.append(incoming.slice(taken, upto - taken))
            taken = upto
            pending.append(pa.concat_tables(pieces).sort_by([(c, "ascending") for c in spec.sort]))
            flush(final=False)
        pending.append(incoming.slice(taken))
        flush(final=True)
    return written
