"""A big mentions partition merged as a stream and its events recomputed only for the event ids the
merge touches (issue #25): the same files as the in-memory merge and a full recomputation, row for
row and byte for byte. Real Parquet files, read back with pyarrow and DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.records_factory import article, mention
from transforms.output import eventmerge, partmerge, tables, write
from transforms.output.commit import RunContext, commit
from transforms.output.schema import to_row

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc)
PARTITION = "event_date=2024-05-31"
TYPES = 2500  # distinct events: each gathers mentions of several articles (a dated event spans articles)


def _mentions(first: int, count: int) -> list[dict]:
    rows = []
    for n in range(first, first + count):
        a = article(n)
        for i in range(3):
            rows.append(to_row(mention(a, i, event_type=f"T{(n * 3 + i) % TYPES:04d}"), "mentions"))
    return rows


def _big_partition(output: Path) -> tuple[Path, Path, list[dict]]:
    """A committed-looking mentions partition of > STREAM_MIN_ROWS mentions and its events."""
    rows = _mentions(0, partmerge.STREAM_MIN_ROWS // 3 + 200)
    rows.append(to_row(mention(article(7), 5, event_type="ONLY"), "mentions"))  # an event of one article only
    mentions_file = output / "mentions" / PARTITION / "data.parquet"
    events_file = output / "events" / PARTITION / "data.parquet"
    tables.write_rows(str(mentions_file), rows, "mentions")
    tables.write_arrow(str(events_file), eventmerge.events_arrow(pq.read_table(mentions_file), PARTITION), "events")
    return mentions_file, events_file, rows


def _changes(rows: list[dict]) -> tuple[list[dict], frozenset[str]]:
    new = _mentions(100_000, 40)  # new articles' mentions: into existing events (T....) and new ones
    new.append(to_row(mention(article(100_500), 0, event_type="NEW"), "mentions"))
    new.append(dict(rows[30], sentence="Ein neuer Satz"))  # the same mention again, changed
    drop = frozenset({article(7).article_id, article(8).article_id})  # emitted again, with no mentions now
    return new, drop


def test_streamed_mentions_are_the_in_memory_merge_and_its_touched_events(tmp_path: Path) -> None:
    source, _, rows = _big_partition(tmp_path)
    assert partmerge.streamable("mentions", [str(source)]) and pq.ParquetFile(source).num_row_groups > 2
    new, drop = _changes(rows)
    streamed, in_memory = tmp_path / "s.parquet", tmp_path / "m.parquet"
    count, touched = partmerge.stream_mentions(str(source), str(streamed), new, drop)
    merged = tables.merge_arrow("mentions", [tables.read_table(str(source))], new, drop)
    assert tables.write_arrow(str(in_memory), merged, "mentions") == count == len(rows) - 7 + len(new) - 1
    assert streamed.read_bytes() == in_memory.read_bytes()
    removed = {r["event_id"] for r in rows if r["article_id"] in drop} | {rows[30]["event_id"]}
    assert touched == {r["event_id"] for r in new} | removed
    assert len(touched) < 200  # a few of the partition's 2,500 events
    sentences = duckdb.sql(f"select sentence from '{streamed}' where mention_id = '{rows[30]['mention_id']}'").fetchall()
    assert sentences == [("Ein neuer Satz",)]


def test_events_of_the_touched_ids_only_are_recomputed_and_equal_a_full_recomputation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, events_file, rows = _big_partition(tmp_path)
    new, drop = _changes(rows)
    merged_mentions = tmp_path / "merged.parquet"
    _, touched = partmerge.stream_mentions(str(source), str(merged_mentions), new, drop)
    recomputed: list[int] = []
    real = eventmerge.events_from_mentions

    def counting(mentions):  # type: ignore[no-untyped-def]
        mentions = list(mentions)
        recomputed.append(len(mentions))
        return real(mentions)

    monkeypatch.setattr(eventmerge, "events_from_mentions", counting)
    streamed = tmp_path / "events.parquet"
    count = eventmerge.stream_events(str(events_file), str(streamed), str(merged_mentions), touched, PARTITION)
    touched_mentions = sum(1 for r in pq.read_table(merged_mentions).to_pylist() if r["event_id"] in touched)
    assert sum(recomputed) == touched_mentions < 1000  # not the partition's ~8,800 mentions
    monkeypatch.setattr(eventmerge, "events_from_mentions", real)
    full = tmp_path / "full.parquet"
    assert tables.write_arrow(str(full), eventmerge.events_arrow(pq.read_table(merged_mentions), PARTITION),
                              "events") == count
    assert streamed.read_bytes() == full.read_bytes()
    got = {r["event_id"]: r for r in pq.read_table(streamed).to_pylist()}
    before = {r["event_id"]: r for r in pq.read_table(events_file).to_pylist()}
    only = next(r["event_id"] for r in rows if r["event_type"] == "ONLY")
    assert only in before and only not in got  # its one article's mentions are gone: so is the event
    grown = new[0]["event_id"]
    assert got[grown]["num_mentions"] == before[grown]["num_mentions"] + sum(r["event_id"] == grown for r in new)
    assert duckdb.sql(f"select count(*), count(distinct event_id) from '{streamed}'").fetchall() == [(count, count)]


def test_a_partition_left_without_mentions_has_no_events(tmp_path: Path) -> None:
    _, events_file, rows = _big_partition(tmp_path)
    touched = frozenset(r["event_id"] for r in rows)
    assert eventmerge.stream_events(str(events_file), str(tmp_path / "e.parquet"), None, touched, PARTITION) == 0
    assert not (tmp_path / "e.parquet").exists()


def test_mentions_of_reads_only_the_asked_events(tmp_path: Path) -> None:
    source, _, rows = _big_partition(tmp_path)
    wanted = frozenset({rows[0]["event_id"], rows[5000]["event_id"]})
    got = eventmerge.mentions_of(str(source), wanted)
    assert sorted(got["mention_id"].to_pylist()) == sorted(r["mention_id"] for r in rows if r["event_id"] in wanted)
    assert got["mention_id"].to_pylist() == sorted(got["mention_id"].to_pylist())  # file order kept


def _stage_and_commit(output: Path, new: list[dict], drop: frozenset[str]) -> None:
    ctx = RunContext(str(output), "r2", NOW)
    commit(write.stage_partition(ctx, "mentions", PARTITION, new, drop))


def test_a_run_writes_the_same_tables_streamed_or_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, rows = _big_partition(tmp_path / "streamed")
    _big_partition(tmp_path / "in_memory")
    new, drop = _changes(rows)
    _stage_and_commit(tmp_path / "streamed", new, drop)
    monkeypatch.setattr(partmerge, "STREAM_MIN_ROWS", 10**9)  # main's path: all in memory, all events recomputed
    _stage_and_commit(tmp_path / "in_memory", new, drop)
    for table in ("mentions", "events"):
        streamed = (tmp_path / "streamed" / table / PARTITION / "data.parquet").read_bytes()
        assert streamed == (tmp_path / "in_memory" / table / PARTITION / "data.parquet").read_bytes(), table
    events = duckdb.sql(f"select * from read_parquet('{tmp_path}/streamed/events/*/*.parquet', hive_partitioning=true)")
    assert events.count("*").fetchall()[0][0] == pq.read_metadata(
        tmp_path / "in_memory" / "events" / PARTITION / "data.parquet").num_rows


def test_an_unsorted_events_file_is_recomputed_whole(tmp_path: Path) -> None:
    _, events_file, rows = _big_partition(tmp_path / "a")
    _big_partition(tmp_path / "b")
    table = pq.read_table(events_file)
    pq.write_table(table.take(list(range(table.num_rows - 1, -1, -1))), events_file,
                   row_group_size=tables.ROW_GROUP_ROWS)  # in reverse: not this writer's file
    new, drop = _changes(rows)
    _stage_and_commit(tmp_path / "a", new, drop)
    _stage_and_commit(tmp_path / "b", new, drop)
    a, b = (pq.read_table(tmp_path / x / "events" / PARTITION / "data.parquet").to_pylist() for x in "ab")
    assert a == b and len(a) > 2000


def test_a_dated_mention_keeps_its_partition_date(tmp_path: Path) -> None:
    _, events_file, _ = _big_partition(tmp_path)
    before = pq.read_table(events_file).to_pylist()
    extra = to_row(mention(article(200_000), 0, event_type="LATE"), "mentions")
    _stage_and_commit(tmp_path, [extra], frozenset())
    after = {r["event_id"]: r for r in pq.read_table(events_file).to_pylist()}
    assert len(after) == len(before) + 1 and all(after[r["event_id"]] == r for r in before)  # the rest copied
    got = duckdb.sql(f"select event_date from read_parquet('{tmp_path}/events/*/*.parquet', hive_partitioning=true) "
                     f"where event_id = '{extra['event_id']}'").fetchall()
    assert [str(d[0]) for d in got] == ["2024-05-31"]
