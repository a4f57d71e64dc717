"""Articles from JSON: the records of JSON Lines files and of .json files (one array of records or
one object), and the values they and the .txt sidecars carry (timestamps, strings that may hold
half a surrogate pair). Pure functions; what cannot be read is a ``ReadError`` with a stable reason.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import orjson
from dateutil import parser as dateutil_parser

from transforms.read.payload import ReadError, read_bounded
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

_MIN_YEAR = 1900
_FUTURE_SLACK = dt.timedelta(days=2)
_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads already joined the valid pairs


def parse_timestamp(value: Any, now: dt.datetime | None = None) -> dt.datetime:
    """An input timestamp as UTC (naive ones are taken as UTC); ValueError if absurd or unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            stamp = dt.datetime.fromtimestamp(value, dt.timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:  # 1e20, -1e300, NaN, inf
            raise ValueError(f"timestamp out of range: {value!r}") from exc
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            stamp = dateutil_parser.isoparse(text)
        except (ValueError, OverflowError):
            try:
                stamp = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError) as exc:
                raise ValueError(f"unreadable timestamp {text[:60]!r}") from exc
    else:
        raise ValueError(f"timestamp must be a string or a number, got {type(value).__name__}")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    try:
        stamp = stamp.astimezone(dt.timezone.utc)
    except OverflowError as exc:  # "0001-01-01T00:00+05:00" falls before year 1 in UTC
        raise ValueError(f"timestamp out of range: {stamp!r}") from exc
    now = now or dt.datetime.now(dt.timezone.utc)
    if stamp.year < _MIN_YEAR or stamp > now + _FUTURE_SLACK:
        raise ValueError(f"implausible timestamp {stamp.isoformat()}")
    return stamp


def optional_str(record: dict[str, Any], key: str, surrogates: bool = True) -> str | None:
    """A string field, stripped; ``surrogates=False`` when the parser already refused lone surrogates."""
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReadError("read/invalid_record", f"field {key!r} must be a string, got {type(value).__name__}")
    return (without_lone_surrogates(value) if surrogates else value).strip() or None


def without_lone_surrogates(text: str) -> str:
    """JSON may escape half a surrogate pair ("\\ud800"); Parquet (UTF-8) cannot hold it: U+FFFD instead."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")  # C speed; the regex walk is only needed when this fails
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def published_from(raw: Any) -> tuple[dt.datetime | None, str | None]:
    if raw in (None, ""):
        return None, None
    try:
        return parse_timestamp(raw), "metadata"
    except ValueError:
        return None, "invalid"  # kept as an article; the bad value is not guessed into a date


def load_json_record(line: bytes) -> tuple[Any, bool]:
    """The parsed line (or whole .json document), and whether its strings may hold lone surrogates.

    orjson first (faster than the standard library on records of crawled HTML). Whatever it refuses goes to the
    standard library, which decides as it always did: NaN, UTF-16 lines and escaped lone
    surrogates ("\\ud800", which only it lets through) parse there, the rest is invalid. orjson
    reads an integer beyond 64 bits as a float, so a record with a top-level float is parsed again exactly.
    """
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    else:
        records = value if isinstance(value, list) else [value]
        if not any(isinstance(r, dict) and any(type(v) is float for v in r.values()) for r in records):
            return value, False
    return json.loads(line), True


def _load_json(data: bytes) -> tuple[Any, bool]:
    try:
        return load_json_record(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReadError("read/invalid_json", str(exc)[:200]) from exc
    except RecursionError as exc:  # [[[[... thousands deep
        raise ReadError("read/invalid_json", "nested too deeply") from exc


def parse_json_record(line: bytes, source_uri: str) -> RawDocument:
    """One JSON Lines record: url, title, text or html, published_at, source (others ignored)."""
    record, maybe_surrogates = _load_json(line)
    return record_document(record, maybe_surrogates, source_uri, len(line), "a line")


def record_document(record: Any, maybe_surrogates: bool, source_uri: str, input_bytes: int,
                    what: str) -> RawDocument:
    """A parsed JSON record as a RawDocument; ReadError if it is no article object."""
    if not isinstance(record, dict):
        raise ReadError("read/invalid_record", f"{what} must hold a JSON object, got {type(record).__name__}")

    def field(key: str) -> str | None:
        return optional_str(record, key, surrogates=maybe_surrogates)

    text, html = field("text"), field("html")
    if not text and not html:
        raise ReadError("read/missing_text", "neither 'text' nor 'html' has content")
    published, basis = published_from(record.get("published_at"))
    return RawDocument(
        source_uri=source_uri, kind="html" if html and not text else "text", body=(text or html or ""),
        url=field("url"), title=field("title"), published_at=published, published_basis=basis,
        source=field("source"), language_hint=field("language"), encoding="utf-8", input_bytes=input_bytes,
    )


def iter_json_document(stream: BinaryIO, path: str, settings: ReadSettings,
                       keep: Callable[[int], bool] | None = None) -> Iterator[RawDocument | Reject]:
    """A .json file that is not JSON Lines: one JSON array of records (``path#I<n>``, from 1), or
    one record spread over several lines. The whole file is parsed at once, so it is capped at
    ``max_file_bytes`` after decompression; if it is no JSON document, its lines are read as
    JSON Lines (as every .json file was before)."""
    data = read_bounded(stream, settings.max_file_bytes, "a .json file that is not JSON Lines")
    try:
        value, maybe_surrogates = _load_json(data.removeprefix(b"\xef\xbb\xbf"))
    except ReadError:  # not one JSON document either: JSON Lines after all, each line judged on its own
        yield from iter_jsonl(io.BytesIO(data), path, settings, keep)
        return
    if not isinstance(value, list):
        if keep is None or keep(0):
            yield record_document(value, maybe_surrogates, path, len(data), "a .json file")
        return
    limit = settings.max_records_per_file or len(value)
    for index, record in enumerate(value[:limit]):
        if keep is None or keep(index):
            uri = f"{path}#I{index + 1}"
            try:
                yield record_document(record, maybe_surrogates, uri, 0, "an array item")
            except ReadError as exc:
                yield Reject(uri, "read", exc.reason, exc.detail)


def is_json_document(stream: BinaryIO, path: str) -> bool:
    """A .json file whose first line is not a whole record: an array, or an object over several
    lines (its first line, seen whole, does not close it). Anything else is read as JSON Lines."""
    if not path.removesuffix(".gz").endswith(".json"):
        return False
    head = stream.peek(1 << 12).removeprefix(b"\xef\xbb\xbf").lstrip()  # type: ignore[attr-defined]
    if head.startswith(b"["):
        return True
    first_line, newline, _ = head.partition(b"\n")
    return head.startswith(b"{") and bool(newline) and not first_line.rstrip().endswith(b"}")


def iter_jsonl(stream: BinaryIO, path: str, settings: ReadSettings,
               keep: Callable[[int], bool] | None = None, until: int | None = None) -> Iterator[RawDocument | Reject]:
    """Records of a JSON Lines stream; with ``keep``, only the records whose index it accepts
    (the others are skipped unparsed: several readers share one big file, see ``read_file``);
    ``until``: no record from this index on (a wave's range of a big file ends there)."""
    limit = settings.max_document_bytes
    emitted = 0
    seen = -1  # index of the current record, blank lines excluded
    for number in range(1, 1 << 62):
        if until is not None and seen + 1 >= until:
            return
        line = stream.readline(limit + 1)
        if not line:
            return
        uri = f"{path}#L{number}"
        if len(line) > limit and not line.endswith(b"\n"):
            while (chunk := stream.readline(limit)) and not chunk.endswith(b"\n"):
                pass  # skip the rest of the giant line without keeping it
            seen += 1
            if keep is None or keep(seen):
                yield Reject(uri, "read", "read/too_large", f"line longer than {limit} bytes")
            continue
        if not line.strip() or (number == 1 and not line.replace(b"\xef\xbb\xbf", b"").strip()):
            continue  # blank lines separate nothing and are not records
        seen += 1
        if keep is None or keep(seen):
            try:
                yield parse_json_record(line.removeprefix(b"\xef\xbb\xbf"), uri)
            except ReadError as exc:
                yield Reject(uri, "read", exc.reason, exc.detail)
        emitted += 1
        if settings.max_records_per_file and emitted >= settings.max_records_per_file:
            return
