"""Write: atomic, idempotent, incremental per-partition Parquet.

Each touched partition is merged with what is already there (rows with the same key are
one row) and staged under ``OUT/_staging/<run_id>/`` (outside every table folders); then one
commit step replaces the partitions (``transforms/output/commit.py``: journal, commit order, roll-forward
recovery). Events are recomputed from all mentions of their partition, so their counts are
always those of the mentions table.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.windowed_value import WindowedValue

from transforms.output import eventmerge, partmerge, tables
from transforms.output.commit import (
    RunContext,
    StagedPartition,
    commit,
    fault,
    write_journal,
)
from transforms.output.eventmerge import events_arrow
from transforms.output.layout import partition_of
from transforms.output.schema import TABLES, to_row

log = logging.getLogger(__name__)
NEAR_DUPLICATE_PATCH = tables.NEAR_DUPLICATE_PATCH


def stage_partition(ctx: RunContext, table: str, partition: str, new_rows: Iterable[Mapping[str, Any]],
                    rerun_article_ids: frozenset[str] = frozenset()) -> list[StagedPartition]:
    """Merge a partition's new rows with its current content and write the result to staging.

    Existing article and mention rows of ``rerun_article_ids`` (articles this run emits again)
    are dropped first: their new rows replace them wherever they were. For mentions, the
    events partition of the same date is recomputed and staged too.
    """
    folder = tables.partition_path(ctx.output, table, partition)
    current = tables.list_parquet(folder)
    drop = rerun_article_ids if table in ("articles", "mentions") else frozenset()
    rows, patches = [], []
    for row in new_rows:
        (patches if NEAR_DUPLICATE_PATCH in row else rows).append(row)
    final = tables.join(folder, tables.DATA_FILE)
    stale = tuple(p for p in current if p != final)
    if partmerge.streamable(table, current):  # a big partition: row group by row group
        staged_path = tables.join(ctx.staging_root, table, partition.replace("/", ",") + ".parquet")
        try:
            if table == "mentions":
                count, touched = partmerge.stream_mentions(current[0], staged_path, rows, drop)
                mentions_file = staged_path if count else None
                return [StagedPartition(table, partition, mentions_file, final, count, stale),
                        _stage_events(ctx, partition, mentions_file, touched)]
            count = partmerge.stream_merge(
                table, current[0], staged_path, rows, drop,
                patch=lambda touched: apply_near_duplicate_patches(touched, patches),
                patched_ids=frozenset(p["article_id"] for p in patches))
            return [StagedPartition(table, partition, staged_path if count else None, final, count, stale)]
        except partmerge.NotSorted:
            log.warning("%s is not in key order: merged in memory", current[0])
    if table in ("articles", "rejects", "mentions"):  # merged as Arrow: a big partition never becomes Python rows
        merged_arrow = tables.merge_arrow(
            table, [tables.read_table(path) for path in current], rows, drop,
            patch=lambda touched: apply_near_duplicate_patches(touched, patches),
            patched_ids=frozenset(p["article_id"] for p in patches))
        staged = [_stage_arrow(ctx, table, partition, merged_arrow, final, stale)]
        if table == "mentions":
            events_folder = tables.partition_path(ctx.output, "events", partition)
            events_final = tables.join(events_folder, tables.DATA_FILE)
            events_stale = tuple(p for p in tables.list_parquet(events_folder) if p != events_final)
            staged.append(_stage_arrow(ctx, "events", partition, events_arrow(merged_arrow, partition),
                                       events_final, events_stale))
        return staged
    existing: list[dict[str, Any]] = []
    for path in current:
        existing += tables.read_rows(path, table=table)
    merged = apply_near_duplicate_patches(tables.merge_rows(table, existing, rows, drop), patches)
    return [_stage(ctx, table, partition, merged, final, stale)]


def _stage_events(ctx: RunContext, partition: str, mentions_file: str | None,
                  touched: frozenset[str]) -> StagedPartition:
    """Stage the events partition of a mentions partition merged as a stream (``mentions_file``: its
    staged file, None if it is now empty): only the ``touched`` events recomputed when its current
    events are one local file in key order, else all of them from the staged mentions."""
    folder = tables.partition_path(ctx.output, "events", partition)
    final = tables.join(folder, tables.DATA_FILE)
    current = tables.list_parquet(folder)
    stale = tuple(p for p in current if p != final)
    if len(current) == 1 and tables.is_local(current[0]):
        staged = tables.join(ctx.staging_root, "events", partition.replace("/", ",") + ".parquet")
        try:
            count = eventmerge.stream_events(current[0], staged, mentions_file, touched, partition)
            return StagedPartition("events", partition, staged if count else None, final, count, stale)
        except partmerge.NotSorted:
            log.warning("%s is not in key order: its events recomputed in memory", current[0])
    mentions = (tables.read_table(mentions_file) if mentions_file
                else TABLES["mentions"].file_schema.empty_table())
    return _stage_arrow(ctx, "events", partition, events_arrow(mentions, partition), final, stale)


def apply_near_duplicate_patches(rows: list[dict[str, Any]], patches: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """An article keeps the smallest id among its near-duplicates (patches come from later runs)."""
    if not patches:
        return rows
    lowest: dict[str, str] = {}
    for patch in patches:
        article_id, value = patch["article_id"], patch[NEAR_DUPLICATE_PATCH]
        lowest[article_id] = min(value, lowest.get(article_id, value))
    for row in rows:
        value = lowest.get(row["article_id"])
        if value is not None and value < row["article_id"]:
            row["near_duplicate_of"] = min(value, row["near_duplicate_of"] or value)
    return rows


def _stage(ctx: RunContext, table: str, partition: str, rows: list[dict[str, Any]], final: str,
           stale: tuple[str, ...]) -> StagedPartition:
    if not rows:
        return StagedPartition(table, partition, None, final, 0, stale)
    # one folder per table, not per partition: staging is read only through the journal, and a
    # few hundred folders made and removed again cost ~0.1 s of a 1x benchmark run
    staged = tables.join(ctx.staging_root, table, partition.replace("/", ",") + ".parquet")
    count = tables.write_rows(staged, rows, table)
    return StagedPartition(table, partition, staged, final, count, stale)


def _stage_arrow(ctx: RunContext, table: str, partition: str, merged: Any, final: str,
                 stale: tuple[str, ...]) -> StagedPartition:
    if merged.num_rows == 0:
        return StagedPartition(table, partition, None, final, 0, stale)
    staged = tables.join(ctx.staging_root, table, partition.replace("/", ",") + ".parquet")
    count = tables.write_arrow(staged, merged, table)
    return StagedPartition(table, partition, staged, final, count, stale)


STAGE_THREADS = 4  # partitions staged at once (Parquet encoding runs outside the GIL)


def stage_threads(output: str, cores: int | None = None) -> int:
    """Threads that stage partitions. Into object storage each write mostly waits on the network:
    STAGE_THREADS. On a local disk the work is encoding, half of it holding the GIL, so threads
    beyond the cores only contend for it: at most one per core (2 cores, the write step of
    ``bench/throughput.py``'s 1x run: 0.56 s with 2 threads, 0.68 s with 4, 0.81 s with 8)."""
    if not tables.is_local(output):
        return STAGE_THREADS
    return max(1, min(STAGE_THREADS, cores or os.cpu_count() or 1))


# --- Beam -----------------------------------------------------------------------------------


class _StagePartitionFn(beam.DoFn):
    """Stages partitions on a few threads: encoding and compressing Parquet releases the GIL, and
    in the local runner nothing else runs in this step (batch only: the output is in the global window)."""

    def __init__(self, ctx: RunContext, threads: int | None = None) -> None:
        self._ctx = ctx
        self._requested_threads = threads  # None: chosen where it runs (setup), by the output and the cores
        self._threads = 1
        self._rerun_source: Any = None
        self._rerun: frozenset[str] = frozenset()

    def setup(self) -> None:
        self._threads = self._requested_threads or stage_threads(self._ctx.output)
        self._pool = concurrent.futures.ThreadPoolExecutor(self._threads, thread_name_prefix="eventwire-stage")

    def start_bundle(self) -> None:
        self._pending: list[concurrent.futures.Future[list[StagedPartition]]] = []

    def process(self, keyed: tuple[tuple[str, str], Iterable[Any]], rerun_ids: list[str]) -> Iterator[StagedPartition]:
        if rerun_ids is not self._rerun_source:  # build the set once per side input, not per partition
            self._rerun_source, self._rerun = rerun_ids, frozenset(rerun_ids)
        (table, partition), rows = keyed
        self._pending.append(self._pool.submit(
            stage_partition, self._ctx, table, partition, [r for r in rows if r is not None], self._rerun))
        while len(self._pending) > 2 * self._threads:  # bounded: a bundle's rows are not all held at once
            yield from self._collect(self._pending.pop(0))

    def finish_bundle(self) -> Iterator[WindowedValue]:
        pending, self._pending = self._pending, []
        for future in pending:
            for staged in self._collect(future):
                yield GlobalWindows.windowed_value(staged)

    @staticmethod
    def _collect(future: concurrent.futures.Future[list[StagedPartition]]) -> list[StagedPartition]:
        staged = future.result()  # a failed write fails the bundle, as it did unthreaded
        fault("stage:partition")
        return staged

    def teardown(self) -> None:
        if hasattr(self, "_pool"):
            self._pool.shutdown(cancel_futures=True)


class _CommitFn(beam.DoFn):
    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    def process(self, gathered: tuple[None, Iterable[StagedPartition]]) -> Iterator[StagedPartition]:
        staged = list(gathered[1])
        write_journal(self._ctx, staged)
        fault("commit:0")
        done = commit(staged)
        for item in done:
            beam.metrics.Metrics.counter("eventwire", f"rows:{item.table}").inc(item.rows)
            beam.metrics.Metrics.counter("eventwire", f"partitions:{item.table}").inc()
        yield from done


def keyed_rows(table: str, run_date: dt.date) -> beam.Map:
    """Record -> ((table, partition), row) for the partition writer."""

    def key(record: Any) -> tuple[tuple[str, str], dict[str, Any]]:
        row = to_row(record, table)
        return (table, partition_of(table, row, run_date)), row

    return beam.Map(key)


class WriteTables(beam.PTransform):
    """Records of the four tables -> staged partitions -> one commit. Yields what was committed.

    Input: a dict with PCollections "articles", "mentions", "rejects" of records, and optionally
    "touch": ((table, partition), None) pairs for partitions to rewrite without new rows
    (reprocessing removes rows there).

    ``windowed`` (the streaming watcher): the rows arrive in windows; each window's (or late
    pane's) partitions are staged and committed by ``WriteWindows``, one window at a time.
    """

    def __init__(self, ctx: RunContext, windowed: bool = False) -> None:
        super().__init__()
        self._ctx = ctx
        self._windowed = windowed

    def expand(self, pcolls: Mapping[str, beam.PCollection]) -> beam.PCollection:
        run_date = self._ctx.started_at.date()
        keyed = [
            pcolls[name] | f"Key{name.title()}" >> keyed_rows(name, run_date)
            for name in ("articles", "mentions", "rejects") if name in pcolls
        ]
        if "touch" in pcolls:
            keyed.append(pcolls["touch"])
        if self._windowed:
            return (keyed | "AllRows" >> beam.Flatten() | "ByPartition" >> beam.GroupByKey()
                    | "WriteWindows" >> WriteWindows(self._ctx))
        rerun_ids = pcolls["articles"] | "RerunIds" >> beam.Map(lambda a: a.article_id)
        return (
            keyed
            | "AllRows" >> beam.Flatten()
            | "ByPartition" >> beam.GroupByKey()
            | "Stage" >> beam.ParDo(_StagePartitionFn(self._ctx), rerun_ids=beam.pvalue.AsList(rerun_ids))
            # All staged partitions to the one commit. A plain GroupByKey, not ToList: a run that
            # stages nothing has nothing to commit (no journal; the manifest still says so), and the
            # runner is spared ToList's default-value branch (a stage and six transforms)
            | "OneCommit" >> beam.Map(lambda staged: (None, staged))
            | "Gather" >> beam.GroupByKey()
            | "Commit" >> beam.ParDo(_CommitFn(self._ctx))
        )


# --- windows (the streaming watcher) ----------------------------------------------------------


def window_run_id(run_id: str, window_start: dt.datetime, pane_index: int) -> str:
    """The staging folder of one window's pane: a re-fired (retried) pane reuses its own folder."""
    return f"{run_id}/w{window_start.strftime('%Y%m%dT%H%M%S')}-p{pane_index}"


def write_window(ctx: RunContext, parts: Iterable[tuple[tuple[str, str], Iterable[Any]]]) -> list[StagedPartition]:
    """Stage and commit one window's partitions: the batch run's two steps, in one call.

    Rows of the articles the window emits replace those articles' earlier rows, as in a run.
    """
    parts = [(key, [r for r in rows if r is not None]) for key, rows in parts]
    rerun = frozenset(r["article_id"] for (table, _), rows in parts if table == "articles" for r in rows)
    staged: list[StagedPartition] = []
    for (table, partition), rows in sorted(parts, key=lambda kv: kv[0]):
        staged += stage_partition(ctx, table, partition, rows, rerun)
    write_journal(ctx, staged)  # the same commit point as a batch run: a retried pane finishes it
    done = commit(staged)
    remove_staging_folder(ctx)
    return done


def remove_staging_folder(ctx: RunContext) -> None:
    """Delete this (window's) staging folder; on GCS a folder is a prefix, not an object."""
    if tables.is_local(ctx.staging_root):
        if FileSystems.exists(ctx.staging_root):
            FileSystems.delete([ctx.staging_root])
    else:
        FileSystems.delete([ctx.staging_root + "/"])


class _KeyWindowFn(beam.DoFn):
    """A window's gathered partitions -> (one writer key, (window start, pane index, partitions))."""

    def process(self, parts: list[Any], window: Any = beam.DoFn.WindowParam,
                pane: Any = beam.DoFn.PaneInfoParam) -> Iterator[Any]:
        start = window.start.to_utc_datetime(has_tz=True) if hasattr(window, "start") else dt.datetime.min
        yield "writer", (start, pane.index, parts)


_LAST_WINDOW = beam.transforms.userstate.ReadModifyWriteStateSpec("last_window", beam.coders.StrUtf8Coder())
_LAST_WINDOW_PARAM = beam.DoFn.StateParam(_LAST_WINDOW)


class _WriteWindowFn(beam.DoFn):
    """The single writer: stateful on one key, so the runner runs one window's write at a time
    (a window's merge must see the previous window's commit, or it would overwrite it)."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    def process(self, element: tuple[str, tuple[dt.datetime, int, list[Any]]],
                last: Any = _LAST_WINDOW_PARAM) -> Iterator[StagedPartition]:
        start, pane_index, parts = element[1]
        ctx = dataclasses.replace(self._ctx, run_id=window_run_id(self._ctx.run_id, start, pane_index))
        done = write_window(ctx, parts)
        last.write(ctx.run_id)
        for item in done:
            beam.metrics.Metrics.counter("eventwire", f"rows:{item.table}").inc(item.rows)
            beam.metrics.Metrics.counter("eventwire", f"partitions:{item.table}").inc()
        beam.metrics.Metrics.counter("eventwire", "windows_written").inc()
        yield from done


class WriteWindows(beam.PTransform):
    """((table, partition), rows) grouped per window -> committed partitions, window by window."""

    def __init__(self, ctx: RunContext) -> None:
        super().__init__()
        self._ctx = ctx

    def expand(self, grouped: beam.PCollection) -> beam.PCollection:
        return (
            grouped
            | "GatherWindow" >> beam.combiners.ToList().without_defaults()
            | "KeyWindow" >> beam.ParDo(_KeyWindowFn())
            | "OneWriter" >> beam.WindowInto(beam.window.GlobalWindows())
            | "StageAndCommit" >> beam.ParDo(_WriteWindowFn(self._ctx)).with_input_types(tuple[str, Any])
        )
