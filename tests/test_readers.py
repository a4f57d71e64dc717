"""Every table opens with the plain calls of the readers a data engineer uses, with dates as dates.

One real run writes all four tables, including an ``event_date=__HIVE_DEFAULT_PARTITION__`` folder
(undated events), then pandas, pyarrow.dataset, polars, DuckDB and Spark (local mode, a real JVM)
read every table; their row counts must be what the files hold.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tests.conftest import FAST_BEAM, REPO, run_cli

TABLES = ("articles", "mentions", "events", "rejects")
DATE_KEYS = {"articles": "date", "mentions": "event_date", "events": "event_date", "rejects": "date"}


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readers")
    inputs = root / "in"
    shutil.copytree(REPO / "seeds", inputs)
    (inputs / "empty.txt").write_text("")  # a reject: the rejects table exists too
    out = root / "out"
    result = run_cli("run", str(inputs), "--output", str(out), *FAST_BEAM)
    assert result.returncode == 0, result.stderr
    for table in TABLES:
        assert (out / table).is_dir(), table
    assert (out / "events" / "event_date=__HIVE_DEFAULT_PARTITION__").is_dir()  # the case that broke pandas
    return out


def file_rows(out: Path, table: str) -> int:
    """What the data files hold, counted from their footers (no reader's partition handling)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in (out / table).rglob("*.parquet"))


def dates_of(out: Path, table: str) -> set[dt.date | None]:
    key = DATE_KEYS[table]
    values = set()
    for path in (out / table).rglob("*.parquet"):
        part = next(s for s in path.parts if s.startswith(key + "="))
        text = part.split("=", 1)[1]
        values.add(None if text == "__HIVE_DEFAULT_PARTITION__" else dt.date.fromisoformat(text))
    return values


@pytest.mark.parametrize("table", TABLES)
def test_pandas_read_parquet_plain(output: Path, table: str) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(output / table)
    key = DATE_KEYS[table]
    assert len(frame) == file_rows(output, table) > 0
    assert frame[key].dtype == pd.ArrowDtype(pa.date32())
    assert {None if pd.isna(v) else v for v in frame[key]} == dates_of(output, table)
    if table == "articles":
        assert set(frame["language"].astype(str)) == {"de"}


def test_pandas_reads_a_column_selection_and_filters(output: Path) -> None:
    pd = pytest.importorskip("pandas")
    assert list(pd.read_parquet(output / "events", columns=["event_id"]).columns) == ["event_id"]
    dated = pd.read_parquet(output / "events", filters=[("event_date", "=", "2020-05-31")])
    assert len(dated) == 1 and dated["event_date"].iloc[0] == dt.date(2020, 5, 31)


@pytest.mark.parametrize("table", TABLES)
def test_pyarrow_dataset(output: Path, table: str) -> None:
    key = DATE_KEYS[table]
    plain = ds.dataset(output / table, partitioning="hive").to_table()
    assert plain.num_rows == file_rows(output, table)
    # Arrow's Hive discovery types keys from folder names as int or string only; the README's
    # one-line partitioning schema gives the date type
    typed = ds.dataset(output / table, partitioning=ds.partitioning(pa.schema([(key, pa.date32())]),
                                                                    flavor="hive")).to_table()
    assert typed.num_rows == plain.num_rows
    assert typed.schema.field(key).type == pa.date32()
    assert set(typed.column(key).to_pylist()) == dates_of(output, table)


@pytest.mark.parametrize("table", TABLES)
def test_polars_scan_parquet(output: Path, table: str) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.scan_parquet(f"{output / table}/**/*.parquet", hive_partitioning=True).collect()
    key = DATE_KEYS[table]
    assert frame.height == file_rows(output, table)
    assert frame.schema[key] == pl.Date
    assert set(frame[key].to_list()) == dates_of(output, table)


@pytest.mark.parametrize("table", TABLES)
def test_duckdb(output: Path, table: str) -> None:
    duckdb = pytest.importorskip("duckdb")
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{output / table}/**/*.parquet', hive_partitioning = true)")
    key = DATE_KEYS[table]
    rows = relation.fetchall()
    assert len(rows) == file_rows(output, table)
    assert dict(zip(relation.columns, relation.types, strict=True))[key] == "DATE"
    assert {row[relation.columns.index(key)] for row in rows} == dates_of(output, table)


def test_spark_local_mode_reads_every_table(output: Path) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("pyspark needs a Java runtime (apt-get install default-jre-headless; .ci/run installs it)")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("eventwire-readers")
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "1").getOrCreate())
    try:
        for table in TABLES:
            frame = spark.read.parquet(str(output / table))
            key = DATE_KEYS[table]
            types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
            assert types[key] == "date", (table, types)
            rows = frame.select(key).collect()
            assert len(rows) == file_rows(output, table), table
            assert {r[0] for r in rows} == dates_of(output, table), table
            if table == "articles":
                assert types["ingested_at"] == "timestamp"
    finally:
        spark.stop()
        # py4j logs "Closing down clientserver connection" from a finalizer at exit, after pytest has
        # closed the stream it logged to: shut the gateway down here, quietly
        import logging

        from pyspark import SparkContext

        logging.getLogger("py4j").setLevel(logging.WARNING)
        if SparkContext._gateway is not None:
            SparkContext._gateway.shutdown()
            SparkContext._gateway = SparkContext._jvm = None


def test_every_data_file_carries_the_pandas_hint(output: Path) -> None:
    """The hint is in each file's own footer (no sidecar file that a directory read would trip on):
    pyarrow's table converts to dates too, and polars reads the folder itself."""
    import json

    for table in TABLES:
        for path in (output / table).rglob("*.parquet"):
            meta = pq.read_schema(path).metadata
            assert meta[b"eventwire.schema_version"]
            assert json.loads(meta[b"pandas"])["columns"][0]["field_name"] == DATE_KEYS[table], path
        assert [p.name for p in (output / table).iterdir() if p.is_file()] == []  # partition folders only
    pd = pytest.importorskip("pandas")
    frame = pq.read_table(output / "events").to_pandas()
    assert frame["event_date"].dtype == pd.ArrowDtype(pa.date32())
    pl = pytest.importorskip("polars")
    assert pl.read_parquet(output / "events", hive_partitioning=True).schema["event_date"] == pl.Date
