"""The commit protocol of the writer: staged partitions become the tables in one step.

A run stages every touched partition under ``OUT/_staging/<run_id>/`` (``transforms/output/write.py``);
then a journal (``_commit.json``: every staged partition, its final path and row count) is
written, and each partition's one ``data.parquet`` is replaced (``os.rename`` locally, one
object write on GCS), table by table: rejects, mentions, events, then articles (an article row
is the marker that its mentions landed). A run killed after its journal was written is rolled
forward by the next run (``recover``): the staged files are complete and nobody else wrote in
between (the lock), so the tables end exactly as if the run had finished. A run killed before
its journal changed nothing; its staging is removed.

``EVENTWIRE_FAULT`` is a test-only hook (``stage:partition``, ``commit:N``, ``commit:end``): the
process kills itself with SIGKILL at that point, so tests can prove crash safety. No Beam
pipeline code here, only Beam's ``FileSystems`` (so gs:// works).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import posixpath
import signal
from collections.abc import Iterable

from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

from transforms.output import tables
from transforms.output.schema import COMMIT_ORDER

log = logging.getLogger(__name__)
JOURNAL = "_commit.json"


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What every writer of one run shares."""

    output: str
    run_id: str
    started_at: dt.datetime

    @property
    def staging_root(self) -> str:
        return tables.join(self.output, tables.STAGING_DIR, self.run_id)


@dataclasses.dataclass(frozen=True)
class StagedPartition:
    table: str
    partition: str
    staged: str | None  # None: the partition is now empty and is removed at commit
    final: str
    rows: int
    stale: tuple[str, ...] = ()  # other Parquet files in the partition (foreign or older shards)


def fault(point: str) -> None:
    """Test-only crash hook: SIGKILL this process when ``EVENTWIRE_FAULT`` names ``point``."""
    if os.environ.get("EVENTWIRE_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _exists(path: str) -> bool:
    return FileSystems.exists(path)


def _write_bytes(path: str, data: bytes) -> None:
    """One complete object: a temporary file renamed into place locally, one object write on GCS."""
    if tables.is_local(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return
    with FileSystems.create(path, mime_type="application/json") as handle:
        handle.write(data)


def write_journal(ctx: RunContext, staged: Iterable[StagedPartition]) -> str:
    """The commit point: after this file exists, the run's result is durable (see ``recover``)."""
    path = tables.join(ctx.staging_root, JOURNAL)
    items = [dataclasses.asdict(s) for s in _commit_order(staged)]
    _write_bytes(path, json.dumps(items, indent=1, sort_keys=True).encode())
    return path


def read_journal(path: str) -> list[StagedPartition]:
    with FileSystems.open(path, compression_type="uncompressed") as handle:
        items = json.loads(handle.read())
    return [StagedPartition(**{**item, "stale": tuple(item["stale"])}) for item in items]


def written_partitions(ctx: RunContext) -> list[tuple[str, str, int]]:
    """(table, partition, rows now in it) of this run's commit, from its journal (for the manifest)."""
    path = tables.join(ctx.staging_root, JOURNAL)
    return [(s.table, s.partition, s.rows) for s in read_journal(path)] if _exists(path) else []


def _commit_order(staged: Iterable[StagedPartition]) -> list[StagedPartition]:
    order = {name: i for i, name in enumerate(COMMIT_ORDER)}
    return sorted(staged, key=lambda s: (order[s.table], s.partition))


def commit(staged: Iterable[StagedPartition]) -> list[StagedPartition]:
    """Replace every staged partition, table by table in COMMIT_ORDER. Each replace is atomic.

    Idempotent, so a journal can be replayed after a crash: a staged file already moved is
    skipped, stale files already gone are not missed.
    """
    done = []
    for number, item in enumerate(_commit_order(staged), start=1):
        if item.staged is not None:
            if _exists(item.staged):
                if tables.is_local(item.final):
                    folder = posixpath.dirname(item.final)
                    if not _exists(folder):
                        FileSystems.mkdirs(folder)
                FileSystems.rename([item.staged], [item.final])  # os.rename locally; one object copy on GCS
        elif _exists(item.final):
            FileSystems.delete([item.final])
        stale = [p for p in item.stale if _exists(p)]
        if stale:
            FileSystems.delete(stale)
        done.append(item)
        fault(f"commit:{number}")
    fault("commit:end")
    return done


def recover(output: str) -> list[str]:
    """Roll forward every run that reached its commit point, then remove all staging.

    Call only while holding the output lock. Returns the run ids that were completed.
    """
    root = tables.join(output, tables.STAGING_DIR)
    completed = []
    try:  # no exists() check first: on GCS a "folder" is only a prefix and does not exist as an object
        journals = sorted(m.path for m in FileSystems.match([tables.join(root, "*", JOURNAL)])[0].metadata_list)
    except BeamIOError:
        journals = []
    for journal in journals:
        run_id = posixpath.basename(posixpath.dirname(journal))
        log.warning("completing the commit of interrupted run %s", run_id)
        staged = read_journal(journal)
        commit(staged)
        _manifest_of_recovered(output, run_id, staged)
        completed.append(run_id)
    remove_staging_root(output)
    return completed


def _manifest_of_recovered(output: str, run_id: str, staged: list[StagedPartition]) -> None:
    """A run that reached its commit point but died (or failed: a full disk) before writing its
    manifest gets one from its journal, so every committed run has its ``_runs/<run_id>.json``."""
    path = tables.join(output, "_runs", f"{run_id}.json")
    if "/" in run_id or _exists(path):  # a streaming window's staging is w.../p...: no manifest of its own
        return
    written: dict[str, list[dict[str, object]]] = {}
    for item in _commit_order(staged):
        written.setdefault(item.table, []).append({"partition": item.partition, "rows": item.rows})
    manifest = {"run_id": run_id, "written": written, "complete": False,
                "note": "written by a later run from the commit journal: the run's counters are lost"}
    _write_bytes(path, json.dumps(manifest, indent=2, sort_keys=True).encode())


def remove_staging_root(output: str) -> None:
    root = tables.join(output, tables.STAGING_DIR)
    if tables.is_local(root):
        if _exists(root):
            FileSystems.delete([root])
    else:
        FileSystems.delete([root + "/"])  # a trailing slash: every object under the prefix


def remove_staging(ctx: RunContext) -> None:
    remove_staging_root(ctx.output)


def settle_failed_run(ctx: RunContext) -> str:
    """After a run failed (an error, a full disk, an interrupt) while holding the lock: complete its
    commit if it reached the commit point, else remove its staging now (a failed run's staged
    Parquet must not sit on a full disk until the next run). Says what the output holds."""
    try:
        if _exists(tables.join(ctx.staging_root, JOURNAL)):
            recover(ctx.output)
            return "its commit point was reached: the new data is committed"
        if tables.is_local(ctx.staging_root):
            if _exists(ctx.staging_root):
                FileSystems.delete([ctx.staging_root])
        else:
            FileSystems.delete([ctx.staging_root + "/"])
        return "nothing was committed (its staging is removed)"
    except Exception as exc:
        log.warning("could not settle the failed run's staging (%s); the next run does", exc)
        return "nothing was committed, or its commit is completed by the next run"
