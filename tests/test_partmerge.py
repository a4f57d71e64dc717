"""A big partition merged row group by row group (issue #25): the same file, byte for byte, as the
in-memory merge, at a fraction of the memory. Real Parquet files; memory from Arrow's own pool,
measured in fresh processes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO
from tests.records_factory import NOW, article, reject
from transforms.output import partmerge, tables
from transforms.output.schema import to_row
from transforms.output.write import apply_near_duplicate_patches

LATER = NOW + dt.timedelta(days=2)


def _big_articles(path: Path, count: int) -> list[dict]:
    rows = [to_row(dataclasses.replace(article(0), article_id=f"{i * 7919 % count:08d}", url=f"https://e.org/{i}",
                                       text=f"Text {i}. " * 40), "articles") for i in range(count)]
    tables.write_rows(str(path), rows, "articles")
    return rows


def test_streamed_merge_writes_the_file_the_in_memory_merge_writes(tmp_path: Path) -> None:
    source = tmp_path / "articles" / "date=2024-06-01" / "language=de" / "data.parquet"
    rows = _big_articles(source, partmerge.STREAM_MIN_ROWS + 1500)
    assert partmerge.streamable("articles", [str(source)])
    assert pq.ParquetFile(source).num_row_groups > 2  # written in row groups
    new = [dict(rows[5], title="neu", ingested_at=LATER), dict(rows[9000], ingested_at=LATER)]
    new += [dict(rows[0], article_id=f"{i:08d}x", title=f"neu {i}") for i in range(0, 9700, 97)]  # spread out
    drop = frozenset({rows[7]["article_id"], rows[8000]["article_id"]})
    patches = [{"article_id": rows[3]["article_id"], tables.NEAR_DUPLICATE_PATCH: "0"},
               {"article_id": new[-1]["article_id"], tables.NEAR_DUPLICATE_PATCH: "0"}]
    patched = frozenset(p["article_id"] for p in patches)

    def patch(touched: list[dict]) -> list[dict]:
        return apply_near_duplicate_patches(touched, patches)

    streamed = tmp_path / "streamed.parquet"
    count = partmerge.stream_merge("articles", str(source), str(streamed), new, drop, patch, patched)
    in_memory = tmp_path / "in_memory.parquet"
    merged = tables.merge_arrow("articles", [tables.read_table(str(source))], new, drop, patch, patched)
    assert tables.write_arrow(str(in_memory), merged, "articles") == count == len(rows) - 2 + 100
    assert streamed.read_bytes() == in_memory.read_bytes()
    by_id = {r["article_id"]: r for r in pq.read_table(streamed).to_pylist()}
    assert by_id[rows[5]["article_id"]]["title"] == "neu" and by_id[rows[5]["article_id"]]["ingested_at"] == NOW
    assert by_id[rows[3]["article_id"]]["near_duplicate_of"] == "0" and rows[7]["article_id"] not in by_id


def test_rejects_stream_too_and_an_unsorted_file_falls_back(tmp_path: Path) -> None:
    source = tmp_path / "rejects" / "date=2024-06-01" / "data.parquet"
    rows = [to_row(reject(i), "rejects") for i in range(partmerge.STREAM_MIN_ROWS + 10)]
    tables.write_rows(str(source), rows, "rejects")
    again = [dict(rows[4], rejected_at=LATER, detail="again"), to_row(reject(10**6), "rejects")]
    streamed, in_memory = tmp_path / "s.parquet", tmp_path / "m.parquet"
    partmerge.stream_merge("rejects", str(source), str(streamed), again)
    tables.write_arrow(str(in_memory), tables.merge_arrow("rejects", [tables.read_table(str(source))], again), "rejects")
    assert streamed.read_bytes() == in_memory.read_bytes()
    unsorted = tmp_path / "rejects" / "date=2024-06-02" / "data.parquet"
    unsorted.parent.mkdir(parents=True)
    table = pq.read_table(source)
    pq.write_table(table.take(list(range(table.num_rows - 1, -1, -1))), unsorted, row_group_size=tables.ROW_GROUP_ROWS)
    with pytest.raises(partmerge.NotSorted):
        partmerge.stream_merge("rejects", str(unsorted), str(tmp_path / "x.parquet"), again)


_MEASURE = """
import sys, pyarrow as pa
sys.path.insert(0, {repo!r})
from transforms.output import partmerge, tables
from transforms.output.schema import to_row
from tests.records_factory import article
new = [to_row(article(1), "articles")]
source = {source!r}
if sys.argv[1] == "stream":
    partmerge.stream_merge("articles", source, source + ".out", new)
else:
    tables.write_arrow(source + ".out", tables.merge_arrow("articles", [tables.read_table(source)], new), "articles")
print(pa.default_memory_pool().max_memory())
"""


def test_adding_an_article_to_a_big_partition_takes_a_row_groups_memory(tmp_path: Path) -> None:
    source = tmp_path / "articles" / "date=2024-06-01" / "language=de" / "data.parquet"
    _big_articles(source, 40_000)
    peaks = {}
    for mode in ("stream", "memory"):
        done = subprocess.run([sys.executable, "-c", _MEASURE.format(repo=str(REPO), source=str(source)), mode],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        peaks[mode] = int(done.stdout.split()[-1])
    assert peaks["stream"] * 4 < peaks["memory"], peaks
