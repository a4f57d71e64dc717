"""Read the Parquet tables of an output root (local folder or ``gs://``) back into rows.

The viewers (``show``, ``report``) read the tables alone, with no pipeline state, so they
work on any output. The partition columns (``event_date`` for events/mentions, ``date`` and
``language`` for articles, ``date`` for rejects) are not stored inside the files: they are
parsed from the Hive path segments (``event_date=2020-05-31``), and Hive's null partition
``__HIVE_DEFAULT_PARTITION__`` becomes ``None``.

Local roots are listed with ``os.walk`` so ``eventwire show`` never pays for importing Beam;
any other scheme (``gs://``, ...) goes through Beam's ``FileSystems``, imported lazily.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.output.layout import partition_values

# What the viewers need per table; article text and removed segments are left on disk.
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": (
        "event_id", "event_date", "event_type", "event_mode", "cameo_code", "quad_class", "goldstein",
        "participants", "num_mentions", "num_articles", "num_sources", "location_country",
        "location_name", "example_sentence", "example_url", "article_ids", "source_keys", "target_keys",
        "confidence",
    ),
    "mentions": ("mention_id", "event_id", "article_id", "url", "source", "language", "sentence"),
    "articles": ("article_id", "url", "source_uri", "source", "title", "language", "published_at", "ingested_at"),
    "rejects": ("source_uri", "stage", "reason", "detail", "rejected_at"),
}


def is_remote(root: str) -> bool:
    return "://" in root


def _hidden(name: str) -> bool:
    # Hive/Spark convention: "_SUCCESS", "_temporary", ".staging" are not data.
    return name.startswith((".", "_"))


def parse_partitions(relative_path: str) -> dict[str, Any]:
    """``event_date=2020-05-31/data.parquet`` -> ``{"event_date": date(2020, 5, 31)}``: the writer's
    layout (``transforms/output/layout.py``). Date keys become ``datetime.date``, the Hive null
    partition ``None``; a date key that is not an ISO date is an error (the writer never writes one)."""
    return partition_values(relative_path.replace("\\", "/").rsplit("/", 1)[0] if "/" in relative_path else "")


def _relative_dirs_ok(relative: str) -> bool:
    return not any(_hidden(part) for part in relative.replace("\\", "/").split("/"))


def list_table_files(root: str, table: str) -> list[str]:
    """Paths of the data files of one table, sorted; empty when the table folder is absent."""
    base = f"{root.rstrip('/')}/{table}"
    if not is_remote(root):
        found = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not _hidden(d))
            found += [os.path.join(folder, f) for f in files if f.endswith(".parquet") and not _hidden(f)]
        return sorted(found)
    from apache_beam.io.filesystems import FileSystems  # lazy: Beam takes seconds to import

    # Beam's glob: "**" crosses folder boundaries (on GCS it is a prefix listing), "*" does not.
    matched = FileSystems.match([f"{base}/**.parquet"])[0].metadata_list
    paths = [m.path for m in matched]
    return sorted(p for p in paths if _relative_dirs_ok(p[len(base) + 1:]))


def _read_file(path: str, columns: Sequence[str] | None) -> pa.Table:
    if is_remote(path):
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.open(path) as handle:  # Beam's readers are seekable, as Parquet needs
            parquet = pq.ParquetFile(pa.BufferReader(handle.read()))
    else:
        parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    wanted = names if columns is None else [c for c in columns if c in names]
    return parquet.read(columns=wanted)


def read_rows(root: str, table: str, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """All rows of one table as dicts, with the partition values from the path added.

    ``columns`` limits what is read (missing ones are simply absent: older files keep
    working); partition columns are always present. A value stored in the file wins over
    the path (the writer never stores them, but other tools may).
    """
    base = f"{root.rstrip('/')}/{table}"
    rows: list[dict[str, Any]] = []
    for path in list_table_files(root, table):
        partitions = parse_partitions(path[len(base) + 1:])
        for row in _read_file(path, columns).to_pylist():
            for name, value in partitions.items():
                if row.get(name) is None:
                    row[name] = value
            rows.append(row)
    return rows


def read_view(root: str, tables: Iterable[str] = ("events", "mentions", "articles", "rejects")) -> dict[str, list[dict[str, Any]]]:
    """The viewer's columns of several tables of one output root."""
    return {name: read_rows(root, name, VIEW_COLUMNS[name]) for name in tables}


def root_exists(root: str) -> bool:
    if not is_remote(root):
        return os.path.isdir(root)
    from apache_beam.io.filesystems import FileSystems

    # Object stores have no folders: an output "exists" when any table has a file.
    return any(FileSystems.match([f"{root.rstrip('/')}/**"])[0].metadata_list)
