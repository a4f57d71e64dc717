"""A WARC response record as an article: its HTTP content type, its body with transfer and
content codings undone (never past a size limit), the date to fall back on when the page names
none, and ``record_item``, which makes the document (or the reject) of one record. Pure
functions; body errors are ``BodyError`` with a stable reject reason.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import zlib
from collections.abc import Callable

from dateutil import parser as dateutil_parser
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from transforms.read.decoding import declared_charset, decode_bytes, sniff_binary
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body")


def content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = [p.strip() for p in value.split(";")]
    charset = next((p.split("=", 1)[1].strip("\"' ") for p in parts[1:] if p.lower().startswith("charset=")), None)
    return parts[0].lower() or None, (charset or None)


class BodyError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def decode_http_body(raw: bytes, http: StatusAndHeaders, limit: int) -> bytes:
    """Undo chunked transfer coding and gzip/deflate content coding, never past ``limit`` bytes."""
    transfer = (http.get_header("Transfer-Encoding") or "").lower()
    body = dechunk(raw) if "chunked" in transfer else raw
    coding = (http.get_header("Content-Encoding") or "identity").lower().strip()
    if coding in ("identity", ""):
        return body
    if coding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if coding != "deflate" else zlib.MAX_WBITS)
        try:
            data = inflater.decompress(body, limit + 1)
        except zlib.error:
            if coding != "deflate":
                raise BodyError("read/bad_content_encoding", f"{coding} body does not inflate") from None
            try:  # servers often send raw deflate without the zlib header
                data = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, limit + 1)
            except zlib.error as exc:
                raise BodyError("read/bad_content_encoding", f"deflate body: {exc}") from None
        if len(data) > limit:
            raise BodyError("read/too_large", f"{coding} body inflates past {limit} bytes")
        return data
    raise BodyError("read/unsupported_content_encoding", f"Content-Encoding {coding!r}")


def dechunk(raw: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = raw.find(b"\r\n", pos)
        if end < 0:
            raise BodyError("read/bad_chunked_encoding", f"chunk size line missing at byte {pos}")
        try:
            size = int(raw[pos:end].split(b";", 1)[0].strip() or b"x", 16)
        except ValueError:
            raise BodyError("read/bad_chunked_encoding", f"bad chunk size at byte {pos}") from None
        if size == 0:
            return bytes(out)
        start = end + 2
        if start + size > len(raw):
            raise BodyError("read/bad_chunked_encoding", "chunk runs past the end of the payload")
        out += raw[start : start + size]
        pos = start + size + 2


def fallback_date(record: ArcWarcRecord, http: StatusAndHeaders) -> tuple[dt.datetime | None, str | None]:
    """HTTP Last-Modified if plausible (not after the capture), else WARC-Date: the cleaner prefers a page date."""
    captured = parse_iso(record.rec_headers.get_header("WARC-Date"))
    modified = parse_http_date(http.get_header("Last-Modified"))
    if modified is not None and (captured is None or modified <= captured):
        return modified, "http_last_modified"
    if captured is not None:
        return captured, "warc_date"
    return None, None


def parse_iso(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:  # dateutil: Python 3.10's fromisoformat refuses fractions of 1, 2, 4 or 5 digits
        stamp = dateutil_parser.isoparse(value.strip())
    except (ValueError, OverflowError):
        return None
    return stamp.replace(tzinfo=dt.timezone.utc) if stamp.tzinfo is None else stamp.astimezone(dt.timezone.utc)


def parse_http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        stamp = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.year < 1995:
        return None  # epoch-zero and similar placeholders are not dates
    return stamp.replace(tzinfo=dt.timezone.utc) if stamp.tzinfo is None else stamp.astimezone(dt.timezone.utc)


class Budget:
    """--max-records: stop a file after N HTML responses (articles or rejects)."""

    def __init__(self, limit: int, on_skip: Callable[[str], None]) -> None:
        self.limit, self.used, self._on_skip = limit, 0, on_skip

    @property
    def exhausted(self) -> bool:
        return bool(self.limit) and self.used >= self.limit

    def spend(self) -> None:
        self.used += 1
        if self.exhausted:
            self._on_skip("max_records_reached")


def record_item(
    record: ArcWarcRecord,
    uri: str,
    settings: ReadSettings,
    on_skip: Callable[[str], None],
    budget: Budget,
) -> RawDocument | Reject | None:
    """The article or reject of one record, or None (counted via on_skip) if it is not an article."""
    if record.rec_type != "response":
        on_skip(record.rec_type or "untyped")
        return None
    http = record.http_headers
    if http is None:
        on_skip("response_not_http")
        return None
    status = http.get_statuscode() or ""
    if not status.startswith("2"):
        on_skip(f"response_status_{status[:1] or 'x'}xx")
        return None
    mime, charset = content_type(http.get_header("Content-Type"))
    if mime and mime not in _HTML_TYPES:
        on_skip("response_non_html")
        return None
    budget.spend()
    raw = record.raw_stream.read(settings.max_document_bytes + 1)
    if len(raw) > settings.max_document_bytes:
        return Reject(uri, "read", "read/too_large", f"payload over {settings.max_document_bytes} bytes")
    try:
        payload = decode_http_body(raw, http, settings.max_document_bytes)
    except BodyError as exc:
        return Reject(uri, "read", exc.reason, exc.detail)
    if not mime and not payload[:1024].lstrip().lower().startswith(_HTML_SNIFF):
        on_skip("response_non_html")
        return None
    binary = sniff_binary(payload)
    if binary:
        return Reject(uri, "read", "read/binary_content", f"{binary} payload served as {mime or 'untyped'}")
    if not payload.strip():
        return Reject(uri, "read", "read/empty", "empty HTML payload")
    text, encoding = decode_bytes(payload, charset or declared_charset(payload))
    published_at, basis = fallback_date(record, http)
    return RawDocument(
        source_uri=uri,
        kind="html",
        body=text,
        url=record.rec_headers.get_header("WARC-Target-URI"),
        published_at=published_at,
        published_basis=basis,
        encoding=encoding,
        input_bytes=len(raw),
    )
