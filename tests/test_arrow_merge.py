"""Partitions merged as Arrow (issue #25): the same rows as the row-by-row merge (first ingestion and
rejection kept, reruns dropped, near-duplicate patches applied), and adding one article to a big
partition does not turn the partition into Python objects. Real Parquet files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq

from tests.records_factory import NOW, article, reject
from transforms.output import tables
from transforms.output.commit import RunContext, commit
from transforms.output.schema import to_row
from transforms.output.write import apply_near_duplicate_patches, stage_partition

LATER = NOW + dt.timedelta(days=3)
PARTITION = "date=2024-06-01/language=de"


def _rows(records: list, table: str) -> list[dict]:
    return [to_row(r, table) for r in records]


def test_arrow_merge_gives_the_rows_of_the_row_merge(tmp_path: Path) -> None:
    existing = _rows([article(i) for i in range(10)], "articles")
    path = str(tmp_path / "articles" / PARTITION / "data.parquet")
    tables.write_rows(path, existing, "articles")
    new = _rows([dataclasses.replace(article(i), ingested_at=LATER, title=f"neu {i}") for i in (2, 3, 20)], "articles")
    drop = frozenset({article(5).article_id})
    patches = [{"article_id": article(7).article_id, tables.NEAR_DUPLICATE_PATCH: "0"},
               {"article_id": article(20).article_id, tables.NEAR_DUPLICATE_PATCH: "0"}]

    def patch(rows: list[dict]) -> list[dict]:
        return apply_near_duplicate_patches(rows, patches)

    by_rows = tables.to_arrow(patch(tables.merge_rows("articles", tables.read_rows(path, table="articles"), new, drop)),
                              "articles")
    by_arrow = tables.merge_arrow("articles", [tables.read_table(path)], new, drop, patch=patch,
                                  patched_ids=frozenset(p["article_id"] for p in patches))
    assert by_arrow.equals(by_rows)
    rows = {r["article_id"]: r for r in by_arrow.to_pylist()}
    assert rows[article(2).article_id]["ingested_at"] == NOW and rows[article(2).article_id]["title"] == "neu 2"
    assert article(5).article_id not in rows and rows[article(7).article_id]["near_duplicate_of"] == "0"

    rejects_path = str(tmp_path / "rejects" / "date=2024-06-01" / "data.parquet")
    tables.write_rows(rejects_path, _rows([reject(1), reject(2)], "rejects"), "rejects")
    again = _rows([dataclasses.replace(reject(1), rejected_at=LATER, detail="again"), reject(3)], "rejects")
    merged = tables.merge_arrow("rejects", [tables.read_table(rejects_path)], again).to_pylist()
    assert [(r["source_uri"], r["rejected_at"], r["detail"]) for r in merged] == [
        ("in/bad1.txt", NOW, "again"), ("in/bad2.txt", NOW, "test"), ("in/bad3.txt", NOW, "test")]


def test_adding_one_article_to_a_big_partition_stays_columnar(tmp_path: Path) -> None:
    big = [to_row(dataclasses.replace(article(0), article_id=f"{i:032x}", url=f"https://example.org/{i}"), "articles")
           for i in range(20_000)]
    path = tmp_path / "articles" / PARTITION / "data.parquet"
    tables.write_rows(str(path), big, "articles")
    ctx = RunContext(str(tmp_path), "r1", NOW)
    tracemalloc.start()
    staged = stage_partition(ctx, "articles", PARTITION, [to_row(article(1), "articles")])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # as Python rows, 20,000 articles are ~60 MB of dicts and strings; as Arrow, buffers tracemalloc does not see
    assert peak < 5 << 20, peak
    commit(staged)
    assert pq.read_metadata(path).num_rows == 20_001


def test_sort_rows_sorts_as_sort_by_and_keeps_a_table_already_in_order() -> None:
    import pyarrow as pa

    def sort_by(arrow: pa.Table, columns: tuple[str, ...]) -> pa.Table:
        return arrow.sort_by([(c, "ascending") for c in columns])

    in_order = pa.table({"id": ["a", "b", "b", "c"], "n": [1, 2, 3, 4]})
    assert tables.sort_rows(in_order, ("id",)) is in_order  # nothing sorted, nothing copied
    chunked = pa.concat_tables([in_order.slice(0, 1), in_order.slice(1)])  # chunks of another layout
    assert tables.sort_rows(chunked, ("id",)) is chunked
    for table in (pa.table({"id": ["b", "a", "c"], "n": [1, 2, 3]}),
                  pa.table({"id": ["a", None, "b"], "n": [1, 2, 3]}),  # nulls go last, as sort_by puts them
                  pa.table({"id": ["ä", "z", "a"], "n": [1, 2, 3]}),
                  pa.table({"id": pa.array([], pa.string()), "n": pa.array([], pa.int64())})):
        assert tables.sort_rows(table, ("id",)).equals(sort_by(table, ("id",)))
    two = pa.table({"a": ["x", "x", "w"], "b": ["2", "1", "9"]})
    assert tables.sort_rows(two, ("a", "b")).equals(sort_by(two, ("a", "b")))
    assert tables.sort_rows(two, ("a", "b")).column("b").to_pylist() == ["9", "1", "2"]
