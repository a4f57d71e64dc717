"""The output tables on disk: partition paths, Parquet files, row merging.

Everything goes through Beam's ``FileSystems`` so the same code writes a local folder or a
``gs://`` prefix. What a partition folder is called comes from ``layout.py``; every path is
checked to stay under its table root.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from transforms.output.layout import UnsafePartition, parse_value, partition_value_from_path
from transforms.output.schema import HIVE_NULL, TABLES, to_arrow

DATA_FILE = "data.parquet"
STAGING_DIR = "_staging"
NEAR_DUPLICATE_PATCH = "_near_duplicate_patch"  # a writer input row that only lowers an article's near_duplicate_of


def join(root: str, *parts: str) -> str:
    if not parts:
        return root.rstrip("/")
    if is_local(root):  # what Beam's LocalFileSystem.join does, without finding the filesystem each time
        return posixpath.join(root.rstrip("/"), *parts)
    return FileSystems.join(root.rstrip("/"), *parts)


def is_local(path: str) -> bool:
    return "://" not in path


def partition_path(root: str, table: str, partition: str) -> str:
    """The folder of one partition; refuses anything that would leave the table root."""
    if table not in TABLES:
        raise KeyError(table)
    segments = partition.split("/")
    if any(s in ("", ".", "..") or "\\" in s or "=" not in s for s in segments):
        raise UnsafePartition(f"unsafe partition path {partition!r}")
    table_root = join(root, table)
    path = join(table_root, *segments)
    if is_local(path):
        real_root = posixpath.normpath(posixpath.abspath(table_root))
        if not posixpath.normpath(posixpath.abspath(path)).startswith(real_root + "/"):
            raise UnsafePartition(f"{partition!r} leaves the table root")
    return path


# --- files ----------------------------------------------------------------------------------


def list_parquet(folder: str) -> list[str]:
    """Parquet files directly in ``folder`` (empty if it does not exist).

    A listing error is raised, never read as "empty": an empty listing would make the writer
    replace a partition's committed rows with only the new ones.
    """
    if is_local(folder):  # one directory read: FileSystems.match compiles a regex per folder (~0.4 ms)
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        return sorted(join(folder, name) for name in names if name.endswith(".parquet"))
    result = FileSystems.match([join(folder, "*.parquet")])[0]
    return sorted(m.path for m in result.metadata_list)


def list_partitions(root: str, table: str) -> list[str]:
    """Every data file of a table (all partitions)."""
    depth = 2 if table == "articles" else 1
    pattern = join(root, table, *(["*"] * depth), "*.parquet")
    result = FileSystems.match([pattern])[0]  # errors propagate: see list_parquet
    return sorted(m.path for m in result.metadata_list)


def _schema_problem(schema: pa.Schema, path: str) -> str | None:
    """The problem of a table file's schema; the table is the folder above its partition folders."""
    segments = ["", "", "", "", *path.split("/")]
    articles = segments[-3].startswith("date=") and segments[-2].startswith("language=")
    table = segments[-4] if articles else segments[-3]
    if table not in TABLES:
        return None
    from transforms.output.check import schema_problem

    return schema_problem(schema, table)


def read_table(path: str, columns: list[str] | None = None) -> pa.Table:
    """One data file as Arrow, its schema checked; columns it lacks (written before a column was
    added) read as null. A damaged or foreign file raises DamagedOutput naming it: it is never merged
    (nor then deleted).

    A local file is read in place: a few columns of it (the articles index) are only those columns'
    chunks, not the whole file in memory (a day partition of 60k articles is hundreds of MB of text)."""
    if is_local(path):
        source: Any = pa.OSFile(path)
    else:
        with FileSystems.open(path, compression_type="uncompressed") as handle:
            source = pa.BufferReader(handle.read())
    try:
        schema = pq.read_schema(source)
        problem = _schema_problem(schema, path)
        if problem is None:
            present = None if columns is None else [c for c in columns if c in schema.names]
            source.seek(0)
            arrow = pq.ParquetFile(source).read(columns=present)
    except (pa.ArrowException, OSError) as exc:
        problem = f"not a readable Parquet file ({type(exc).__name__}: {str(exc)[:120]})"
    finally:
        source.close()
    if problem is not None:
        from transforms.output.check import DamagedOutput, refusal_for

        raise DamagedOutput(refusal_for(path, problem))
    for column in columns or ():
        if column not in arrow.column_names:
            arrow = arrow.append_column(column, pa.nulls(arrow.num_rows))
    return arrow


def read_rows(path: str, columns: list[str] | None = None, table: str | None = None) -> list[dict[str, Any]]:
    """Rows of one data file; with ``table``, the columns kept in the path are restored from it."""
    rows = read_table(path, columns).to_pylist()
    if table:
        restored = {}
        for column in TABLES[table].in_path:
            raw = partition_value_from_path(path, column)
            restored[column] = None if raw is None else parse_value(column, raw)
        for row in rows:
            row.update(restored)
    return rows


def _conformed(arrow: pa.Table, table: str) -> pa.Table:
    """A file's table in the current file schema: columns added since it was written are null."""
    schema = TABLES[table].file_schema
    columns = [arrow[f.name].cast(f.type) if f.name in arrow.column_names else pa.nulls(arrow.num_rows, f.type)
               for f in schema]  # the cast also names list items as written ("item", not Parquet's "element")
    return pa.Table.from_arrays(columns, schema=schema)


def _key_column(arrow: pa.Table, table: str) -> pa.ChunkedArray:
    key = TABLES[table].key
    if len(key) == 1:
        return arrow[key[0]]
    return pc.binary_join_element_wise(*[pc.fill_null(arrow[k], "") for k in key], "\x1f")


def _key_of(row: Mapping[str, Any], table: str) -> str:
    return "\x1f".join("" if row[k] is None else str(row[k]) for k in TABLES[table].key)


def in_order(arrow: pa.Table, column: str) -> bool:
    """Whether ``column`` has no nulls and never decreases down ``arrow``: ``sort_by`` on it (a stable
    sort) would return the same rows in the same order."""
    values = arrow[column]
    if values.null_count:
        return False
    if arrow.num_rows < 2:
        return True
    return bool(pc.all(pc.less_equal(values.slice(0, arrow.num_rows - 1), values.slice(1))).as_py())


def sort_rows(arrow: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    """``arrow`` sorted by ``columns`` ascending, as ``sort_by`` sorts. A table already in order on a
    single column (a fresh partition's rows come sorted from ``to_arrow``) is returned as it is:
    Arrow's sort and take cost ~1 ms per file of ~25 columns, most of the cost of a small one."""
    if len(columns) == 1 and in_order(arrow, columns[0]):
        return arrow
    return arrow.sort_by([(column, "ascending") for column in columns])


def merge_arrow(table: str, existing: list[pa.Table], new: Iterable[Mapping[str, Any]],
                drop_article_ids: frozenset[str] = frozenset(),
                patch: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
                patched_ids: frozenset[str] = frozenset()) -> pa.Table:
    """``merge_rows`` on Arrow: the partition's rows stay columnar; only the rows a new row replaces
    (to keep their first ``ingested_at``/``rejected_at``) and the rows ``patch`` changes (ids in
    ``patched_ids``) become Python objects. Adding one article to a partition of 60k articles no
    longer turns the 60k into dicts. Sorted as ``to_arrow`` sorts (the sort keys are strings)."""
    spec = TABLES[table]
    latest: dict[str, dict[str, Any]] = {}
    for row in new:  # a later row with the same key wins, as in merge_rows
        latest[_key_of(row, table)] = dict(row)
    current = pa.concat_tables([_conformed(t, table) for t in existing]) if existing else spec.file_schema.empty_table()
    if drop_article_ids and "article_id" in current.column_names:
        current = current.filter(pc.invert(pc.is_in(current["article_id"], pa.array(sorted(drop_article_ids)))))
    replaced = pc.is_in(_key_column(current, table), pa.array(list(latest), pa.string()))
    for previous in current.filter(replaced).to_pylist():  # the first time stays (see merge_rows)
        row = latest[_key_of(previous, table)]
        if table == "articles":
            row["ingested_at"] = min(previous["ingested_at"], row["ingested_at"])
        if table == "rejects" and previous["rejected_at"] is not None:
            row["rejected_at"] = min(previous["rejected_at"], row["rejected_at"] or previous["rejected_at"])
    kept = current.filter(pc.invert(replaced))
    rows = list(latest.values())
    if patch is not None and patched_ids:
        touched = pc.is_in(kept["article_id"], pa.array(sorted(patched_ids)))
        rows += kept.filter(touched).to_pylist()
        kept = kept.filter(pc.invert(touched))
        rows = patch(rows)
    merged = pa.concat_tables([kept, to_arrow(rows, table)])
    return sort_rows(merged, spec.sort).combine_chunks()


# zstd sets up a compressor per column chunk (~0.6 ms per file of ~25 columns here), which is most of
# the cost of a file of a few rows and saves it a few hundred bytes; the long tail of small
# partitions (old publication dates) is written with snappy, every bigger one with zstd.
ZSTD_MIN_ROWS = 1000


def compression_for(rows: int) -> str:
    return "zstd" if rows >= ZSTD_MIN_ROWS else "snappy"


def write_rows(path: str, rows: Iterable[Mapping[str, Any]], table: str) -> int:
    """Write rows as one Parquet file with the table's fixed schema; returns the row count."""
    return write_arrow(path, to_arrow(rows, table), table)


# Rows per row group: a big partition is merged one row group at a time (transforms/output/partmerge.py);
# 4,096 articles are ~20 MB of text
ROW_GROUP_ROWS = 4096


def write_options(table: str, rows: int) -> dict[str, Any]:
    """The Parquet writer's options for a file of ``rows`` rows of ``table``."""
    return {"compression": compression_for(rows), "write_statistics": True,
            "use_dictionary": list(TABLES[table].dictionary) or False}


def write_arrow(path: str, arrow: pa.Table, table: str) -> int:
    """Write an Arrow table in the table's file schema (sorted) as one Parquet file; returns the rows."""
    options: dict[str, Any] = {**write_options(table, arrow.num_rows), "row_group_size": ROW_GROUP_ROWS}
    if is_local(path):  # straight into the file (staging: a file cut short by a crash is never committed)
        os.makedirs(posixpath.dirname(path), exist_ok=True)
        pq.write_table(arrow, path, **options)
        return arrow.num_rows
    buffer = pa.BufferOutputStream()
    pq.write_table(arrow, buffer, **options)
    with FileSystems.create(path, mime_type="application/octet-stream") as handle:
        handle.write(buffer.getvalue().to_pybytes())
    return arrow.num_rows


def merge_rows(
    table: str, existing: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]],
    drop_article_ids: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Existing rows updated by new ones with the same key; rows of ``drop_article_ids`` removed first.

    Articles keep their first ``ingested_at`` and rejects their first ``rejected_at``: re-ingesting,
    reprocessing or re-running never moves them.
    """
    spec = TABLES[table]
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in existing:
        if drop_article_ids and row.get("article_id") in drop_article_ids:
            continue
        merged[tuple(row[k] for k in spec.key)] = dict(row)
    for row in new:
        key = tuple(row[k] for k in spec.key)
        previous = merged.get(key)
        row = dict(row)
        if table == "articles" and previous is not None:
            row["ingested_at"] = min(previous["ingested_at"], row["ingested_at"])
        if table == "rejects" and previous is not None and previous["rejected_at"] is not None:
            # the first time the input was rejected stays: a re-run of the same bad input changes nothing
            row["rejected_at"] = min(previous["rejected_at"], row["rejected_at"] or previous["rejected_at"])
        merged[key] = row
    return list(merged.values())
