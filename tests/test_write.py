"""The partition writer: safe paths, merge semantics, atomic commit, idempotence, the lock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from tests.conftest import read_table
from tests.records_factory import NOW, article, mention, reject
from transforms.output import layout, tables
from transforms.output.commit import RunContext, commit
from transforms.output.lock import OutputLock, OutputLocked
from transforms.output.schema import SCHEMA_VERSION, to_row
from transforms.output.write import WriteTables, stage_partition


def ctx(out: Path, run: str = "r1") -> RunContext:
    return RunContext(str(out), run, NOW)


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.parquet"))}


def write(out: Path, articles=(), mentions=(), rejects=(), run: str = "r1") -> None:
    with TestPipeline(runner="FnApiRunner") as p:
        pcolls = {"articles": p | "A" >> beam.Create(list(articles)), "mentions": p | "M" >> beam.Create(list(mentions)),
                  "rejects": p | "R" >> beam.Create(list(rejects))}
        _ = pcolls | WriteTables(ctx(out, run))


@pytest.mark.parametrize("bad", ["../../etc", "..", "a/../../b", "date=../x"])
def test_partition_paths_never_leave_the_table_root(tmp_path: Path, bad: str) -> None:
    with pytest.raises(layout.UnsafePartition):
        tables.partition_path(str(tmp_path), "events", bad)


def test_partition_values_are_dates_and_language_codes_only() -> None:
    row = to_row(dataclasses.replace(article(1), language="../../etc"), "articles")
    with pytest.raises(layout.UnsafePartition):
        layout.partition_of("articles", row, NOW.date())
    ok = to_row(article(1), "articles")
    assert layout.partition_of("articles", ok, NOW.date()) == "date=2024-06-01/language=de"
    assert layout.partition_of("mentions", {"event_date": None}, NOW.date()) == "event_date=__HIVE_DEFAULT_PARTITION__"


def test_merge_keeps_first_ingestion_and_drops_rerun_rows() -> None:
    old = to_row(article(1), "articles")
    new = dict(old, ingested_at=NOW + dt.timedelta(days=3), title="neu")
    [merged] = tables.merge_rows("articles", [old], [new])
    assert merged["title"] == "neu" and merged["ingested_at"] == NOW
    assert tables.merge_rows("articles", [old], [], frozenset({old["article_id"]})) == []


def test_tables_round_trip_with_schema_version_and_hive_layout(tmp_path: Path) -> None:
    a1, a2 = article(1), article(2, published=None)
    write(tmp_path, [a1, a2], [mention(a1, 0), mention(a2, 0, date=None)], [reject(1)])
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.parquet"))
    assert files == [
        "articles/date=2024-06-01/language=de/data.parquet",
        "events/event_date=2024-05-31/data.parquet",
        "events/event_date=__HIVE_DEFAULT_PARTITION__/data.parquet",
        "mentions/event_date=2024-05-31/data.parquet",
        "mentions/event_date=__HIVE_DEFAULT_PARTITION__/data.parquet",
        "rejects/date=2024-06-01/data.parquet",
    ]
    meta = pq.read_schema(tmp_path / files[0]).metadata
    assert meta[b"eventwire.schema_version"] == SCHEMA_VERSION.encode()
    assert not (tmp_path / "_staging").exists() or not any((tmp_path / "_staging").rglob("*.parquet"))
    assert len(read_table(tmp_path, "articles")) == 2 and len(read_table(tmp_path, "events")) == 2


def test_small_partitions_are_snappy_and_big_ones_zstd(tmp_path: Path) -> None:
    rows = [to_row(reject(i), "rejects") for i in range(tables.ZSTD_MIN_ROWS)]
    for count in (1, tables.ZSTD_MIN_ROWS - 1, tables.ZSTD_MIN_ROWS):
        path = tmp_path / f"{count}.parquet"
        assert tables.write_rows(str(path), rows[:count], "rejects") == count
        meta = pq.ParquetFile(path).metadata
        codecs = {meta.row_group(0).column(i).compression for i in range(meta.num_columns)}
        assert codecs == {"ZSTD" if count >= tables.ZSTD_MIN_ROWS else "SNAPPY"}
        assert pq.read_table(path).num_rows == count


def test_rerun_is_byte_identical_and_incremental_run_recomputes_event_counts(tmp_path: Path) -> None:
    a1, a2 = article(1), article(2, source="Zweite Zeitung")
    write(tmp_path, [a1], [mention(a1, 0)], [reject(1)])
    first = digest(tmp_path)
    write(tmp_path, [a1], [mention(a1, 0)], [reject(1)], run="r2")
    assert digest(tmp_path) == first
    write(tmp_path, [a2], [mention(a2, 0)], [], run="r3")  # the same call reported by another outlet
    [event] = read_table(tmp_path, "events")
    assert (event["num_mentions"], event["num_articles"], event["num_sources"]) == (2, 2, 2)
    assert len(read_table(tmp_path, "articles")) == 2 and len(read_table(tmp_path, "rejects")) == 1


def test_rerun_of_an_article_replaces_its_mentions(tmp_path: Path) -> None:
    a1 = article(1)
    write(tmp_path, [a1], [mention(a1, 0), mention(a1, 1, event_type="AGREE")])
    write(tmp_path, [a1], [mention(a1, 0)], run="r2")  # reprocessed: AGREE is gone
    assert sorted(m["event_type"] for m in read_table(tmp_path, "mentions")) == ["CONSULT"]
    assert [e["event_type"] for e in read_table(tmp_path, "events")] == ["CONSULT"]


def test_stale_shards_do_not_survive_a_commit(tmp_path: Path) -> None:
    a1 = article(1)
    write(tmp_path, [a1], [mention(a1, 0)])
    folder = tmp_path / "mentions" / "event_date=2024-05-31"
    (folder / "part-00001-of-00002.parquet").write_bytes((folder / "data.parquet").read_bytes())
    c = ctx(tmp_path, "r9")
    commit(stage_partition(c, "mentions", "event_date=2024-05-31", [to_row(mention(a1, 0), "mentions")]))
    assert sorted(p.name for p in folder.iterdir()) == ["data.parquet"]
    assert len(read_table(tmp_path, "mentions")) == 1


def test_second_writer_fails_clearly_and_a_dead_writers_lock_is_taken_over(tmp_path: Path) -> None:
    with OutputLock(str(tmp_path), "first"), pytest.raises(OutputLocked, match="held by run first"):
        OutputLock(str(tmp_path), "second").acquire()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock = json.loads((tmp_path / "_lock.json").read_text()) if (tmp_path / "_lock.json").exists() else None
    assert lock is None  # released on exit
    (tmp_path / "_lock.json").write_text(json.dumps({"run_id": "ghost", "host": __import__("socket").gethostname(),
                                                     "pid": int(dead.stdout), "acquired_at": NOW.isoformat()}))
    with OutputLock(str(tmp_path), "third"):
        assert json.loads((tmp_path / "_lock.json").read_text())["run_id"] == "third"


def test_a_run_killed_after_its_commit_point_is_rolled_forward_on_gcs(gcs_prefix: str) -> None:
    """The journal is the commit point on GCS too: the next run finishes the replaces and clears staging."""
    from apache_beam.io.filesystems import FileSystems

    from transforms.output.commit import recover, write_journal

    a1 = article(1)
    c = RunContext(gcs_prefix, "killed", NOW)
    staged = stage_partition(c, "mentions", "event_date=2024-05-31", [to_row(mention(a1, 0), "mentions")])
    write_journal(c, staged)  # ... and then the process died before any replace
    final = f"{gcs_prefix}/mentions/event_date=2024-05-31/data.parquet"
    assert not FileSystems.exists(final)
    assert recover(gcs_prefix) == ["killed"]
    assert FileSystems.exists(final) and FileSystems.exists(f"{gcs_prefix}/events/event_date=2024-05-31/data.parquet")
    assert not FileSystems.match([f"{gcs_prefix}/_staging/**"])[0].metadata_list
    assert recover(gcs_prefix) == []  # nothing left to do


def _hold_lock_repeatedly(output: str, marker: str, cycles: int) -> int:
    """Acquire and release the lock ``cycles`` times; count the times another holder was inside."""
    overlaps = 0
    for cycle in range(cycles):
        with OutputLock(output, f"{os.getpid()}-{cycle}", wait_seconds=60, poll_seconds=0.001):
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                overlaps += 1
                continue
            time.sleep(0.0005)
            os.remove(marker)
    return overlaps


def test_runs_starting_together_never_hold_the_lock_at_once(tmp_path: Path) -> None:
    # A lock created empty and written after was read as "unreadable, so stale" by a run starting at
    # the same moment, which then took it over: two writers at once (4 x 200 cycles: 158 overlaps).
    import concurrent.futures
    import multiprocessing

    output = str(tmp_path / "out")
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(3, mp_context=context) as pool:
        overlaps = list(pool.map(_hold_lock_repeatedly, [output] * 3, [str(tmp_path / "inside")] * 3, [150] * 3))
    assert overlaps == [0, 0, 0]


def test_taking_over_a_stale_lock_never_removes_the_fresh_lock_of_a_faster_run(tmp_path: Path) -> None:
    # two runs wait on a dead run's lock; both read it and find it stale; the faster one takes it
    # over and holds a fresh lock; the slower one must then not remove that lock
    from transforms.output.lock import _LocalBackend

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = json.dumps({"run_id": "ghost", "host": __import__("socket").gethostname(), "pid": int(dead.stdout),
                        "acquired_at": NOW.isoformat()}).encode()
    (tmp_path / "_lock.json").write_bytes(stale)
    slower = _LocalBackend(str(tmp_path / "_lock.json"))
    seen = slower.read()
    assert seen is not None and seen.data == stale  # the slower run has read it ...
    with OutputLock(str(tmp_path), "faster"):  # ... the faster one takes it over and holds it ...
        slower.take_over(seen)  # ... and the slower one's take-over comes too late
        assert json.loads((tmp_path / "_lock.json").read_text())["run_id"] == "faster"
        assert [p.name for p in tmp_path.iterdir()] == ["_lock.json"]  # nothing left aside
    slower.take_over(seen)  # gone: nothing to do
    assert not (tmp_path / "_lock.json").exists()
