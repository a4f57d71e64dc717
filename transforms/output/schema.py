"""The Arrow schemas of the four output tables: the one place that defines them.

Each table has a fixed schema, a primary key (rows with the same key are one row: a
re-run replaces instead of appending) and a partition column. The schema version is
written into every file's metadata. This module imports nothing of ours.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = "2"  # 2: articles gained url_source and fetch_error; mentions and events source_keys, target_keys, confidence
HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"  # Hive's name for a null partition value (readers read it as NULL)
METADATA = {b"eventwire.schema_version": SCHEMA_VERSION.encode()}

UTC_TS = pa.timestamp("us", tz="UTC")

PARTICIPANT = pa.struct(
    [
        ("name", pa.string()),
        ("key", pa.string()),
        ("country", pa.string()),
        ("role", pa.string()),
        ("actor_code", pa.string()),
    ]
)
REMOVED = pa.struct([("text", pa.string()), ("rule", pa.string())])


def _schema(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema(fields, metadata=METADATA)


ARTICLES = _schema(
    [
        ("article_id", pa.string()),
        ("url", pa.string()),
        ("source_uri", pa.string()),
        ("source", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("removed", pa.list_(REMOVED)),
        ("language", pa.string()),
        ("language_prob", pa.float64()),
        ("published_at", UTC_TS),
        ("published_basis", pa.string()),
        ("ingested_at", UTC_TS),
        ("content_hash", pa.string()),
        ("authors", pa.list_(pa.string())),
        ("site_name", pa.string()),
        ("encoding", pa.string()),
        ("fetch_status", pa.string()),
        ("near_duplicate_of", pa.string()),
        ("simhash", pa.string()),
        ("url_source", pa.string()),
        ("fetch_error", pa.string()),
    ]
)

MENTIONS = _schema(
    [
        ("mention_id", pa.string()),
        ("event_id", pa.string()),
        ("article_id", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("language", pa.string()),
        ("sentence", pa.string()),
        ("trigger", pa.string()),
        ("event_type", pa.string()),
        ("event_mode", pa.string()),
        ("cameo_code", pa.string()),
        ("quad_class", pa.int8()),
        ("goldstein", pa.float32()),
        ("participants", pa.list_(PARTICIPANT)),
        ("event_date", pa.date32()),
        ("date_basis", pa.string()),
        ("date_text", pa.string()),
        ("location_country", pa.string()),
        ("location_name", pa.string()),
        ("source_keys", pa.list_(pa.string())),
        ("target_keys", pa.list_(pa.string())),
        ("confidence", pa.float32()),
    ]
)

EVENTS = _schema(
    [
        ("event_id", pa.string()),
        ("event_date", pa.date32()),
        ("event_type", pa.string()),
        ("event_mode", pa.string()),
        ("cameo_code", pa.string()),
        ("quad_class", pa.int8()),
        ("goldstein", pa.float32()),
        ("participants", pa.list_(PARTICIPANT)),
        ("num_mentions", pa.int32()),
        ("num_articles", pa.int32()),
        ("num_sources", pa.int32()),
        ("location_country", pa.string()),
        ("location_name", pa.string()),
        ("example_sentence", pa.string()),
        ("example_url", pa.string()),
        ("article_ids", pa.list_(pa.string())),
        ("source_keys", pa.list_(pa.string())),
        ("target_keys", pa.list_(pa.string())),
        ("confidence", pa.float32()),
    ]
)

REJECTS = _schema(
    [
        ("source_uri", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("rejected_at", UTC_TS),
    ]
)


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    schema: pa.Schema
    key: tuple[str, ...]  # rows with equal key are one row
    partition: str  # the first Hive partition key in the path
    sort: tuple[str, ...]  # row order inside a file, so reruns give identical bytes
    in_path: tuple[str, ...] = ()  # schema columns stored only in the partition path (Hive style)
    # Columns with few distinct values, dictionary-encoded in the files. Free text is not: trying a
    # dictionary on it was most of the write time (1x benchmark output, zstd: 1.22 ms per file with
    # every column, 1.02 with these, 0.81 with none; a 464-row articles file 47 ms against 19 ms),
    # and zstd compresses it as small without one.
    dictionary: tuple[str, ...] = ()

    @functools.cached_property  # built once per table, not once per file written
    def file_schema(self) -> pa.Schema:
        """The schema inside the files: Hive readers (BigQuery, Spark) reject a key in both places.
        Its metadata: the schema version, and the pandas hint for the date key (``pandas_hint``)."""
        metadata = {**METADATA, b"pandas": pandas_hint(self.partition)}
        return pa.schema([f for f in self.schema if f.name not in self.in_path], metadata=metadata)


def pandas_hint(date_key: str) -> bytes:
    """pandas metadata that types the Hive date key ``date_key`` (in the folder names only) as a date.

    Hive discovery types a key from its folder names: pyarrow as a string, and for pandas as a
    categorical whose null partition (``__HIVE_DEFAULT_PARTITION__``) made ``pd.read_parquet(DIR)``
    fail ("Cannot yet unify dictionaries with nulls"). A dataset read keeps the first file's schema
    metadata, and pandas converts a column its metadata names as an Arrow-backed ``date32`` by a
    cast, outside that dictionary path: ``pd.read_parquet(DIR)`` and ``pq.read_table(DIR).to_pandas()``
    give dates. Spark, polars and DuckDB ignore the key (tests/test_readers.py).
    """
    column = {"name": date_key, "field_name": date_key, "pandas_type": "date", "numpy_type": "date32[day][pyarrow]",
              "metadata": None}
    return json.dumps({"index_columns": [], "column_indexes": [], "columns": [column],
                       "creator": {"library": "eventwire"}, "pandas_version": "2.0.0"}, sort_keys=True).encode()


TABLES: dict[str, Table] = {
    "articles": Table("articles", ARTICLES, ("article_id",), "date", ("article_id",), ("language",),
                      ("source", "published_basis", "site_name", "encoding", "fetch_status", "url_source")),
    "mentions": Table("mentions", MENTIONS, ("mention_id",), "event_date", ("mention_id",), ("event_date",),
                      ("source", "language", "event_type", "event_mode", "cameo_code", "date_basis",
                       "location_country")),
    "events": Table("events", EVENTS, ("event_id",), "event_date", ("event_id",), ("event_date",),
                    ("event_type", "event_mode", "cameo_code", "location_country")),
    "rejects": Table(
        "rejects", REJECTS, ("source_uri", "stage", "reason"), "date", ("source_uri", "stage", "reason"),
        dictionary=("stage", "reason"),
    ),
}

# Commit order: an article row is the marker that its mentions are in place, so it lands last.
COMMIT_ORDER = ("rejects", "mentions", "events", "articles")


def _plain(value: Any) -> Any:
    """A record value as Arrow's Python conversion wants it (tuples of dataclasses -> lists of dicts)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} would be ambiguous in a UTC column")
    return value


def to_row(record: Any, table: str) -> dict[str, Any]:
    """One record (Article, Mention, Event, Reject) as a row dict with exactly the table's columns."""
    names = TABLES[table].schema.names
    return {name: _plain(getattr(record, name)) for name in names}


def to_arrow(rows: Iterable[Mapping[str, Any]], table: str) -> pa.Table:
    """Rows (dicts with the table's columns) as an Arrow table with the file schema, sorted.

    Columns kept in the partition path are left out of the file.
    """
    spec = TABLES[table]
    rows = sorted(rows, key=lambda r: tuple("" if r[c] is None else str(r[c]) for c in spec.sort))
    return pa.Table.from_pylist(list(rows), schema=spec.file_schema)
