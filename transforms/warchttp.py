"""The HTTP payload of a WARC response record: its content type, its body with transfer and
content codings undone (never past a size limit), and the date to fall back on when the page
names none. Pure functions; the errors are ``BodyError`` with a stable reject reason.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import zlib

from dateutil import parser as dateutil_parser
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders


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
