"""WARC files -> one RawDocument per HTML ``response`` record, or a Reject.

``iter_warc`` takes the RAW file stream (still gzip-compressed for ``.warc.gz``) and
streams it record by record, so a multi-gigabyte Common Crawl file is never held in
memory: one payload (capped at ``max_document_bytes``) at a time.

Why we own the gzip layer: Beam's gzip reader, warcio and fastwarc all return a short
payload without error when a ``.warc.gz`` is cut mid-member (measured: ``bench/warc_read.py``).
Here each gzip member is decompressed with zlib, which knows whether the member's
trailer (CRC32 + size) arrived; a member that ends early is ``read/truncated_gzip``.
Each member is parsed on its own, so one broken record does not take the rest of the
file with it (Common Crawl writes one member per record). warcio parses the WARC and
HTTP headers; its ``LimitReader`` tells exactly how many bytes of a record block are
missing, and after each block we check the ``\\r\\n\\r\\n`` that must follow it, so a
record whose ``Content-Length`` lies is a reject instead of silently eating its
neighbour.

``source_uri`` of a record is ``{path}#O{offset}``: the byte offset in the file where the
record starts (for ``.warc.gz`` the offset of its gzip member, the number Common Crawl's
CDX index gives, so ``dd``/``warcio extract`` find it), with ``+k`` appended for the k-th
record inside a gzip member that holds several.

Records that are not articles are counted through ``on_skip(kind)`` and skipped, never
rejected: ``warcinfo``, ``request``, ``metadata``, ``revisit``, ``resource``, ...,
``response_not_http``, ``response_status_3xx`` (etc.), ``response_non_html``,
``max_records_reached``.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from transforms.read.payload import GZIP_MAGIC
from transforms.read.warchttp import Budget, record_item
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

_CHUNK = 1 << 16
_PARSE_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, ValueError, IndexError)

WarcItem = RawDocument | Reject


class _Source:
    """The raw file stream with push-back (bytes read past a gzip member's end) and a position."""

    def __init__(self, stream: BinaryIO, base_offset: int = 0) -> None:
        self._stream = stream
        self._pending = b""
        self.position = base_offset  # file offset of the next byte not yet handed out

    def take(self, size: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
        else:
            data = self._stream.read(size) or b""
        self.position += len(data)
        return data

    def seek(self, offset: int) -> bool:
        """Move to file ``offset``; False if the stream cannot seek."""
        seekable = getattr(self._stream, "seekable", None)
        if not (seekable and seekable()):
            return False
        self._stream.seek(offset)
        self._pending, self.position = b"", offset
        return True

    def push_back(self, data: bytes) -> None:
        if data:
            self._pending = data + self._pending
            self.position -= len(data)


class _Segment(io.RawIOBase):
    """One independently parsed stretch: a gzip member, or the whole of a plain .warc."""

    def __init__(self, source: _Source, gzipped: bool) -> None:
        self.source = source
        self.gzipped = gzipped
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzipped else None
        self.offset = source.position  # where the segment starts in the file
        self.delivered = 0  # decompressed bytes handed out
        self.complete = False  # plain: EOF reached; gzip: trailer (CRC, size) checked
        self.truncated = False  # gzip member ended before its trailer
        self.corrupt: str | None = None  # zlib's complaint, if any

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.delivered

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        self.delivered += len(data)
        return len(data)

    def _read(self, size: int) -> bytes:
        if self.complete or self.truncated or self.corrupt:
            return b""
        if self._inflater is None:
            data = self.source.take(size)
            self.complete = not data
            return data
        while True:  # loop: a compressed chunk may inflate to nothing (headers, empty blocks)
            compressed = self._inflater.unconsumed_tail or self.source.take(_CHUNK)
            if not compressed:
                self.truncated = True
                return b""
            try:
                data = self._inflater.decompress(compressed, size)
            except zlib.error as exc:
                self.corrupt = str(exc)
                return b""
            if self._inflater.eof:
                self.source.push_back(self._inflater.unused_data)
                self.complete = True
            if data or self.complete:
                return data

    def drain(self) -> None:
        while self._read(_CHUNK):
            pass


def iter_warc(
    stream: BinaryIO,
    source_uri: str,
    read_settings: ReadSettings,
    on_skip: Callable[[str], None],
    base_offset: int = 0,
    end_offset: int | None = None,
) -> Iterator[WarcItem]:
    """Articles and rejects of a WARC file (or of the gzip members starting in [base, end))."""
    source = _Source(stream, base_offset)
    head = source.take(2)
    source.push_back(head)
    if not head:
        return
    gzipped = head == GZIP_MAGIC
    budget = Budget(read_settings.max_records_per_file, on_skip)
    while not budget.exhausted and (end_offset is None or source.position < end_offset):
        segment = _Segment(source, gzipped)
        yield from _iter_segment(segment, gzipped, source_uri, read_settings, on_skip, budget)
        if not gzipped or segment.truncated or segment.corrupt:
            return  # a plain file is one segment; after a cut or corrupt member nothing is trustworthy
        next_head = source.take(2)
        source.push_back(next_head)
        if not next_head:
            return
        if next_head != GZIP_MAGIC:
            yield Reject(f"{source_uri}#O{source.position}", "read", "read/corrupt_gzip",
                         "bytes after a gzip member are not another gzip member")
            return


def _iter_segment(
    segment: _Segment,
    gzipped: bool,
    path: str,
    settings: ReadSettings,
    on_skip: Callable[[str], None],
    budget: Budget,
) -> Iterator[WarcItem]:
    reader = io.BufferedReader(segment, _CHUNK)
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    statusline: str | None = None
    pending = b""  # the raw bytes of ``statusline``
    index = 0
    while not budget.exhausted:
        _skip_blank_lines(reader)
        start = reader.tell() - len(pending)  # a resync already read the record's first line
        uri = f"{path}#O{segment.offset}" + (f"+{index}" if index else "") if gzipped else f"{path}#O{segment.offset + start}"
        try:
            record = _parse_record(loader, reader, statusline)
        except EOFError:
            if segment.truncated or segment.corrupt:
                yield _broken_gzip(uri, segment)
            return
        except _PARSE_ERRORS as exc:
            if segment.truncated or segment.corrupt:
                yield _broken_gzip(uri, segment)
                return
            reason = exc.reason if isinstance(exc, _RecordError) else "read/corrupt_warc_record"
            yield Reject(uri, "read", reason, f"unparseable WARC record: {exc}"[:300])
            if gzipped:
                segment.drain()
                return
            pending = yield from _resync(reader, path, segment.offset + reader.tell())
            if not pending:
                return
            statusline = pending.decode("ascii").rstrip()
            index += 1
            continue
        statusline, pending = None, b""
        index += 1
        item = record_item(record, uri, settings, on_skip, budget)
        problem = _check_block_end(record, reader, segment)
        reader.peek(1)  # at a member's end this reads the gzip trailer: a cut there is a cut record
        if segment.truncated or segment.corrupt:
            yield _broken_gzip(uri, segment)
            return
        if problem is not None and not gzipped and problem[0] == "read/truncated_warc_record":
            rewound = _rewind(segment, segment.offset + start)
            if rewound is not None:  # a block that runs to EOF may hide whole records: look again
                segment, reader = rewound
                reader.readline(1 << 16)  # the record's own "WARC/1.x" line
                pending, _ = _find_record(reader)  # its block is what the reject is about
                if pending:
                    problem = ("read/warc_length_mismatch", f"{problem[1]}: the next WARC record starts inside it")
                yield Reject(uri, "read", problem[0], problem[1])
                if not pending:
                    return
                statusline = pending.decode("ascii").rstrip()
                continue
        if problem is not None:
            yield Reject(uri, "read", problem[0], problem[1])
            if gzipped:
                segment.drain()  # the rest of this member belongs to the lying record
                return
            pending = yield from _resync(reader, path, segment.offset + reader.tell())
            if not pending:
                return
            statusline = pending.decode("ascii").rstrip()
            continue
        if item is not None:
            yield item


class _RecordError(ValueError):
    """A record warcio could not parse, with the reject reason it deserves."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _parse_record(loader: ArcWarcRecordLoader, reader: io.BufferedReader, statusline: str | None) -> ArcWarcRecord:
    """warcio's parse, with its undocumented failures on hostile headers turned into ``_RecordError``."""
    try:
        return loader.parse_record_stream(reader, statusline, known_format="warc")
    except OverflowError as exc:  # LimitReader.readline(n) with n past sys.maxsize
        raise _RecordError("read/warc_bad_content_length", f"Content-Length too large to read: {exc}") from exc
    except AttributeError as exc:  # uri.startswith() on an HTTP record without the header
        raise _RecordError("read/corrupt_warc_record", f"no WARC-Target-URI ({exc})") from exc


def _declared_length(record: ArcWarcRecord) -> int | None:
    """The Content-Length header as a byte count; None if missing or not decimal digits
    (warcio reads "abc" or "1e3" as 0 without a word)."""
    value = (record.rec_headers.get_header("Content-Length") or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _broken_gzip(uri: str, segment: _Segment) -> Reject:
    if segment.corrupt:
        return Reject(uri, "read", "read/corrupt_gzip", f"gzip member at offset {segment.offset}: {segment.corrupt}")
    return Reject(uri, "read", "read/truncated_gzip",
                  f"gzip member at offset {segment.offset} ends before its trailer (file cut short)")


def _check_block_end(record: ArcWarcRecord, reader: io.BufferedReader, segment: _Segment) -> tuple[str, str] | None:
    """Drain the record block; (reason, detail) if it is short or not followed by the blank lines."""
    declared = _declared_length(record)
    if declared is None or record.length is None:
        return "read/warc_bad_content_length", f"Content-Length {record.rec_headers.get_header('Content-Length')!r}"
    while record.raw_stream.read(_CHUNK):
        pass
    missing = record.raw_stream.limit
    if missing:
        if segment.gzipped and segment.complete:
            return "read/warc_length_mismatch", f"Content-Length {declared} but the gzip member holds {declared - missing}"
        return "read/truncated_warc_record", f"Content-Length {declared} but only {declared - missing} bytes before EOF"
    separator = reader.read(4)
    if separator in (b"\r\n\r\n", b"") or (separator == b"\r\n" and not reader.peek(1)):
        return None
    return "read/warc_length_mismatch", f"Content-Length {declared} is not followed by the record separator"


def _skip_blank_lines(reader: io.BufferedReader) -> None:
    """Writers differ in how many CRLFs they put between records; warcio wants none."""
    while reader.peek(2)[:2] == b"\r\n" or reader.peek(1)[:1] == b"\n":
        reader.read(2 if reader.peek(2)[:2] == b"\r\n" else 1)


def _resync(reader: io.BufferedReader, path: str, offset: int) -> Iterator[Reject]:  # returns the status line bytes
    """Plain .warc after a broken record: skip to the next line that starts a WARC record.

    The skipped bytes may hold (part of) a record the lying length swallowed; a reject
    says how many, so nothing disappears without a row.
    """
    line, skipped = _find_record(reader)
    if skipped:
        yield Reject(f"{path}#O{offset}", "read", "read/warc_bytes_skipped",
                     f"{skipped} bytes skipped looking for the next WARC record")
    return line


def _find_record(reader: io.BufferedReader) -> tuple[bytes, int]:
    """The next "WARC/1.x" line as read (b"" at EOF), and how many non-blank bytes came before it."""
    skipped = 0
    while True:
        line = reader.readline(1 << 16)
        if not line or (line.startswith(b"WARC/1.") and line.rstrip() in (b"WARC/1.0", b"WARC/1.1")):
            return line, skipped
        if line.strip():
            skipped += len(line)


def _rewind(segment: _Segment, offset: int) -> tuple[_Segment, io.BufferedReader] | None:
    """Plain .warc: a fresh segment and reader from file ``offset``, if the stream can seek (else None)."""
    source = segment.source
    if not source.seek(offset):
        return None
    fresh = _Segment(source, gzipped=False)
    return fresh, io.BufferedReader(fresh, _CHUNK)
