"""The events of a mentions partition: recomputed from its mentions, or, for a big partition, only
those of the event ids a merge touches (issue #25).

An event is a function of its mentions alone (``transforms.events.aggregate.merge_event``), so
when a run adds mentions to a big partition, the events whose mentions did not change are the
same rows as before: they are copied row group by row group, and the touched events are
recomputed from all of their mentions, read from the merged mentions file row group by row group
with a filter on ``event_id``. Same rows as recomputing the whole partition (tested), at the
memory of a row group and of the touched events' mentions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.events.aggregate import events_from_mentions, mention_from_row
from transforms.output import partmerge, tables
from transforms.output.schema import TABLES, to_row

EVENT_CHUNK_ROWS = 4096  # mentions turned into Python objects at a time when their events are recomputed


def events_arrow(mentions: pa.Table, partition: str) -> pa.Table:
    """The events of a mentions partition (a mentions file's table), recomputed from all its mentions
    as ``events_from_mentions`` does, a few thousand mentions at a time: an event's mentions are
    never split between two chunks (sorted by event_id), so the rows are the same as from all at once,
    and a partition of 100k mentions is never 100k Python objects."""
    value = tables.partition_value_from_path(partition, "event_date")
    event_date = dt.date.fromisoformat(value) if value else None
    ordered = tables.sort_rows(mentions, ("event_id",))
    # rows per event_id in sorted order (value_counts counts in order of first appearance)
    ends = np.cumsum(pc.value_counts(ordered["event_id"]).field("counts").to_numpy()) if ordered.num_rows else []
    pieces, start = [], 0
    while start < ordered.num_rows:
        at = int(np.searchsorted(ends, start + EVENT_CHUNK_ROWS))  # the first event ending at or past the chunk
        end = int(ends[min(at, len(ends) - 1)])
        rows = ordered.slice(start, end - start).to_pylist()
        for row in rows:
            row["event_date"] = event_date
        events = events_from_mentions(mention_from_row(r) for r in rows)
        pieces.append(tables.to_arrow([to_row(e, "events") for e in events], "events"))
        start = end
    if not pieces:
        return TABLES["events"].file_schema.empty_table()
    return tables.sort_rows(pa.concat_tables(pieces), TABLES["events"].sort).combine_chunks()


def mentions_of(mentions_file: str, event_ids: frozenset[str]) -> pa.Table:
    """The mentions of ``event_ids`` in a mentions file, read row group by row group."""
    wanted = pa.array(sorted(event_ids), pa.string())
    parquet = pq.ParquetFile(mentions_file)
    pieces = []
    for batch in parquet.iter_batches(batch_size=tables.ROW_GROUP_ROWS):  # one row group held at a time
        current = tables._conformed(pa.Table.from_batches([batch]), "mentions")
        pieces.append(current.filter(pc.is_in(current["event_id"], wanted)))
    if not pieces:
        return TABLES["mentions"].file_schema.empty_table()
    return pa.concat_tables(pieces).combine_chunks()


def stream_events(source: str, target: str, mentions_file: str | None, touched: frozenset[str],
                  partition: str) -> int:
    """Write ``target``: the events file ``source`` with the events of ``touched`` recomputed from
    their mentions in ``mentions_file`` (the partition's merged mentions; None: it has none left).
    Returns the rows written (0: nothing written). Raises NotSorted (the caller recomputes all)."""
    from transforms.output.check import DamagedOutput, file_problem, refusal_for

    problem = file_problem(source, "events")
    if problem:
        raise DamagedOutput(refusal_for(source, problem))
    mentions = mentions_of(mentions_file, touched) if mentions_file and touched else None
    recomputed = (events_arrow(mentions, partition) if mentions is not None
                  else TABLES["events"].file_schema.empty_table())
    del mentions
    parquet = pq.ParquetFile(source)
    wanted = pa.array(sorted(touched), pa.string())
    ids = parquet.read(columns=["event_id"])["event_id"]
    total = len(ids) - (pc.sum(pc.is_in(ids, wanted)).as_py() or 0) + recomputed.num_rows
    del ids
    if total == 0:
        return 0

    def keep(current: pa.Table) -> list[pa.Table]:
        return [partmerge.without(current, pc.is_in(current["event_id"], wanted))]

    return partmerge.stream_write(parquet, source, target, "events", total, recomputed, keep)
