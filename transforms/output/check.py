"""What an output root holds before a run writes to it: damaged or foreign files, bad partition keys.

A run reads its output (the index of articles, every partition it merges into) and replaces
partitions. One damaged ``data.parquet`` (cut short, empty, not Parquet) used to stop every later
run with an anonymous Arrow traceback; a valid Parquet file of another table's schema was merged
into a bogus row and then deleted; a folder such as ``date=2024-02-30`` was read as data. Here
every table file is checked before the run (its footer only: schema and eventwire's metadata) and
every partition folder's key is parsed. A problem stops the run with exit status 2 and one message
naming the file; ``--repair`` moves the damaged files aside to ``OUT/_quarantine/<run_id>/`` (never
deleting them: a file eventwire did not write is not eventwire's to delete) and rebuilds what can
be rebuilt (an events partition, from its mentions).

Local outputs get the full check. On ``gs://`` (a request per file) only the partition folders are
checked up front; a file's damage is still named when it is read (``tables.read_rows``).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from transforms.output import tables
from transforms.output.layout import PARTITION_KEYS, partition_problem, segment_problem
from transforms.output.schema import HIVE_NULL, METADATA, TABLES

QUARANTINE_DIR = "_quarantine"
_METADATA_KEY = next(iter(METADATA))


class DamagedOutput(RuntimeError):
    """The output holds files or folders a run must not read; the message names them and the way out."""


@dataclass(frozen=True)
class Problem:
    path: str  # the file or folder
    table: str
    what: str  # why it cannot be read

    def line(self) -> str:
        return f"{self.path}: {self.what}"


def schema_problem(schema: pa.Schema, table: str) -> str | None:
    """Why a Parquet file's schema is not the table's (from its footer), or None."""
    if not schema.metadata or _METADATA_KEY not in schema.metadata:
        return "not written by eventwire (no eventwire.schema_version in its metadata)"
    spec = TABLES[table]
    expected = set(spec.file_schema.names)
    extra = sorted(set(schema.names) - expected)
    if extra:
        return f"not a {table} file: unexpected columns {', '.join(extra[:5])}"
    missing = [k for k in spec.key if k not in schema.names and k not in spec.in_path]
    if missing:
        return f"not a {table} file: key column(s) {', '.join(missing)} missing"
    return None


def file_problem(path: str, table: str) -> str | None:
    """Why a table file cannot be read (damaged, empty, foreign schema), or None. Reads the footer only."""
    try:
        if tables.is_local(path):
            if os.path.getsize(path) == 0:
                return "empty file (0 bytes)"
            schema = pq.read_schema(path)
        else:
            with FileSystems.open(path, compression_type="uncompressed") as handle:
                schema = pq.read_schema(pa.BufferReader(handle.read()))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"not a readable Parquet file ({type(exc).__name__}: {str(exc)[:120]})"
    return schema_problem(schema, table)


def _local_problems(output: str) -> Iterator[Problem]:
    for table in TABLES:
        root = tables.join(output, table)
        if not os.path.isdir(root):
            continue
        depth = len(PARTITION_KEYS[table])
        for folder, subfolders, files in os.walk(root):
            relative = posixpath.relpath(folder, root)
            level = 0 if relative == "." else relative.count("/") + 1
            if level == depth:
                subfolders[:] = []  # nothing eventwire writes lies deeper
                problem = partition_problem(table, relative)
                if problem:
                    yield Problem(folder, table, problem)
                    continue
                for name in sorted(files):
                    if name.endswith(".parquet"):
                        path = tables.join(folder, name)
                        what = file_problem(path, table)
                        if what:
                            yield Problem(path, table, what)
            else:
                subfolders.sort()
                problem = segment_problem(table, PARTITION_KEYS[table][level - 1], relative.rsplit("/", 1)[-1]) if level else None
                if problem:
                    yield Problem(folder, table, problem)
                    subfolders[:] = []
                    continue
                for name in sorted(files):
                    if name.endswith(".parquet"):  # a data file above the partition level
                        yield Problem(tables.join(folder, name), table, "a data file outside every partition")


def _remote_problems(output: str) -> Iterator[Problem]:
    for table in TABLES:
        pattern = tables.join(output, table, "**")
        try:
            found = FileSystems.match([pattern])[0].metadata_list
        except Exception:
            continue
        folders = set()
        for m in found:
            relative = m.path[len(tables.join(output, table)) + 1:]
            if m.path.endswith(".parquet"):
                folders.add(relative.rsplit("/", 1)[0] if "/" in relative else "")
        for relative in sorted(folders):
            problem = partition_problem(table, relative) if relative else "a data file outside every partition"
            if problem:
                yield Problem(tables.join(output, table, relative), table, problem)


def find_problems(output: str) -> list[Problem]:
    """Every damaged or foreign table file and every invalid partition folder of an output root."""
    return list(_local_problems(output) if tables.is_local(output) else _remote_problems(output))


def refusal(problems: list[Problem], output: str) -> str:
    """The one message of a refused run."""
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (f"damaged output: {first.line()}{more}; nothing was written. Move it aside, or run again with "
            f"--repair to move every damaged file to {tables.join(output, QUARANTINE_DIR)}/ and go on")


def refusal_for(path: str, what: str) -> str:
    """The message when a damaged file is met while reading (gs://, or damaged during the run)."""
    return (f"damaged output: {path}: {what}; nothing was committed. Move it aside, or run again with "
            f"--repair to move it to the output's {QUARANTINE_DIR}/ folder and go on")


def quarantine(problems: list[Problem], output: str, run_id: str) -> list[tuple[str, str]]:
    """Move each problem file or folder under ``OUT/_quarantine/<run_id>/`` (same relative path).
    Nothing is deleted. Returns (from, to) pairs."""
    moved = []
    target_root = tables.join(output, QUARANTINE_DIR, run_id)
    for problem in problems:
        relative = problem.path[len(output.rstrip("/")) + 1:]
        target = tables.join(target_root, relative)
        if tables.is_local(output):
            os.makedirs(posixpath.dirname(target), exist_ok=True)
            os.rename(problem.path, target)
        else:
            sources = [m.path for m in FileSystems.match([problem.path.rstrip("/") + "/**"])[0].metadata_list] or [
                problem.path]
            FileSystems.rename(sources, [tables.join(target, s[len(problem.path):].lstrip("/")) if s != problem.path
                                         else target for s in sources])
        moved.append((problem.path, target))
    return moved


def events_to_rebuild(problems: list[Problem], output: str) -> list[str]:
    """Event-date partitions whose events file was quarantined while their mentions are there:
    events are a view over mentions, so they are recomputed (the other tables' rows are lost until
    their inputs are run again)."""
    partitions = []
    for problem in problems:
        if problem.table != "events" or not problem.path.endswith(".parquet"):
            continue
        partition = posixpath.basename(posixpath.dirname(problem.path))
        if partition_problem("events", partition) is None and tables.list_parquet(
                tables.partition_path(output, "mentions", partition)):
            partitions.append(partition)
    return sorted(set(partitions))


def _rebuild_events(output: str, run_id: str, partitions: list[str]) -> None:
    """Recompute the events partitions from their mentions, committed like a run's partitions."""
    from transforms.output.commit import RunContext, commit, write_journal
    from transforms.output.write import remove_staging_folder, stage_partition

    ctx = RunContext(output, f"{run_id}-repair", dt.datetime.now(dt.timezone.utc))
    staged = []
    for partition in partitions:
        staged += [s for s in stage_partition(ctx, "mentions", partition, []) if s.table == "events"]
    write_journal(ctx, staged)
    commit(staged)
    remove_staging_folder(ctx)


def check_or_repair(output: str, run_id: str, repair: bool) -> list[tuple[str, str]]:
    """Before a run writes (holding the lock): refuse a damaged output (DamagedOutput), or with
    ``repair`` quarantine what is damaged and rebuild the events it can. Returns what was moved."""
    problems = find_problems(output)
    if not problems:
        return []
    if not repair:
        raise DamagedOutput(refusal(problems, output))
    moved = quarantine(problems, output, run_id)
    rebuild = events_to_rebuild(problems, output)
    if rebuild:
        _rebuild_events(output, run_id, rebuild)
    return moved
