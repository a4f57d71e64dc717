"""The Hive layout of the tables: a row's partition folder, and the typed values of a folder.

One source of truth for the writer (``tables.py``), the damage check (``check.py``) and the
viewers (``pipeline/view/tables.py``). Partition values are ISO dates and language codes only,
never free text; Hive's ``__HIVE_DEFAULT_PARTITION__`` stands for a null. Beam-free.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from transforms.output.schema import HIVE_NULL

# The partition keys of each table, in path order.
PARTITION_KEYS: dict[str, tuple[str, ...]] = {
    "articles": ("date", "language"), "mentions": ("event_date",), "events": ("event_date",), "rejects": ("date",),
}
DATE_KEYS = frozenset({"date", "event_date"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


class UnsafePartition(ValueError):
    """A partition value that is not an ISO date or a language code."""


def date_value(value: dt.date | None) -> str:
    if value is None:
        return HIVE_NULL
    text = value.isoformat()
    if not isinstance(value, dt.date) or not _DATE.match(text):
        raise UnsafePartition(f"not a date: {value!r}")
    return text


def language_value(value: str | None) -> str:
    if value is None:
        return HIVE_NULL
    if not _LANGUAGE.match(value):
        raise UnsafePartition(f"not a language code: {value!r}")
    return value


def partition_of(table: str, row: Mapping[str, Any], run_date: dt.date) -> str:
    """The row's partition folder, relative to the table root: e.g. ``date=2024-05-31/language=de``."""
    if table == "articles":
        stamp = row["published_at"] or row["ingested_at"]
        return f"date={date_value(stamp.astimezone(dt.timezone.utc).date())}/language={language_value(row['language'])}"
    if table in ("mentions", "events"):
        return f"event_date={date_value(row['event_date'])}"
    if table == "rejects":
        stamp = row.get("rejected_at")
        return f"date={date_value(stamp.astimezone(dt.timezone.utc).date() if stamp else run_date)}"
    raise KeyError(table)


def parse_value(column: str, raw: str) -> Any:
    """A folder's value as the table has it: a date for a date key, None for Hive's null, else the
    text. ValueError for a date key that is not an ISO date."""
    if raw in (HIVE_NULL, ""):
        return None
    if column in DATE_KEYS:
        value = dt.date.fromisoformat(raw)
        if value.isoformat() != raw:
            raise ValueError(f"not an ISO date: {raw!r}")
        return value
    return raw


def partition_values(relative_dirs: str) -> dict[str, Any]:
    """``date=2020-05-31/language=de`` -> ``{"date": date(2020, 5, 31), "language": "de"}``."""
    values: dict[str, Any] = {}
    for segment in relative_dirs.replace("\\", "/").split("/"):
        name, sep, raw = segment.partition("=")
        if sep:
            values[name] = parse_value(name, raw)
    return values


def partition_value_from_path(path: str, column: str) -> str | None:
    """The raw value of ``column`` in a path (None for Hive's null or when the path has none)."""
    match = re.search(rf"(?:^|/){re.escape(column)}=([^/]+)", path)
    if not match or match.group(1) == HIVE_NULL:
        return None
    return match.group(1)


def _valid_key(column: str, value: str, table: str) -> bool:
    if value == HIVE_NULL:  # only a language and a mention's or event's date may be unknown
        return column == "language" or (column == "event_date" and table in ("mentions", "events"))
    if column == "language":
        return bool(_LANGUAGE.match(value))
    try:
        return parse_value(column, value) is not None
    except ValueError:
        return False


def segment_problem(table: str, column: str, segment: str) -> str | None:
    """Why one folder name is not ``column=<valid value>`` of ``table``, or None."""
    name, sep, value = segment.partition("=")
    if not sep or name != column:
        return f"not a {table} partition (expected {column}=... here)"
    if not _valid_key(column, value, table):
        return f"invalid partition key {segment!r}"
    return None


def partition_problem(table: str, relative: str) -> str | None:
    """Why a partition folder (relative to its table root) is not one eventwire writes, or None."""
    segments = relative.split("/")
    keys = PARTITION_KEYS[table]
    if len(segments) != len(keys):
        return f"not a {table} partition (expected {'/'.join(k + '=...' for k in keys)})"
    for column, segment in zip(keys, segments, strict=True):
        if problem := segment_problem(table, column, segment):
            return problem
    return None
