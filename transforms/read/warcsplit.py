"""Splitting one big .warc.gz over workers: byte ranges, each reading the gzip members that
START in it (a Common Crawl file is one gzip member per record). Reading a range is
``iter_warc`` from the first member at or after its start; see docs/warc.md.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from transforms.read.warc import WarcItem, iter_warc
from transforms.settings import ReadSettings

_CHUNK = 1 << 16

_MEMBER_HEAD = b"\x1f\x8b\x08"
SPLIT_BYTES = 64 * 1024 * 1024  # a range per 64 MiB of compressed WARC: ~2000 CC-NEWS records


def split_ranges(size: int, split_bytes: int = SPLIT_BYTES) -> list[tuple[int, int | None]]:
    """Byte ranges [start, end) of a file; each range reads the gzip members that START in it."""
    if size <= split_bytes:
        return [(0, None)]
    starts = list(range(0, size, split_bytes))
    return [(start, starts[i + 1] if i + 1 < len(starts) else None) for i, start in enumerate(starts)]


def find_member_start(stream: BinaryIO, start: int, end: int | None) -> int | None:
    """The offset of the first gzip member at or after ``start`` (and before ``end``) that holds a WARC record.

    ``stream`` must be seekable (Beam's local and GCS readers are). A candidate is a gzip
    header whose inflated bytes begin with ``WARC/``; a false match inside compressed data
    would have to be a valid deflate stream producing that text, which does not happen.
    """
    position = start
    window = b""
    stream.seek(start)
    while end is None or position < end:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return None
        window += chunk
        found = window.find(_MEMBER_HEAD)
        while found >= 0:
            offset = position + found
            if end is not None and offset >= end:
                return None
            if _starts_warc_member(window[found:]):
                return offset
            found = window.find(_MEMBER_HEAD, found + 1)
        keep = len(_MEMBER_HEAD) - 1 + 4096  # a header cut by the chunk edge, and room to inflate
        position += max(0, len(window) - keep)
        window = window[-keep:] if len(window) > keep else window
    return None


def iter_warc_range(
    stream: BinaryIO,
    source_uri: str,
    read_settings: ReadSettings,
    on_skip: Callable[[str], None],
    start: int,
    end: int | None,
) -> Iterator[WarcItem]:
    """``iter_warc`` over the members starting in [start, end) of a seekable .warc.gz."""
    if start == 0:  # the first range needs no seek: non-seekable streams work too
        yield from iter_warc(stream, source_uri, read_settings, on_skip, end_offset=end)
        return
    offset = find_member_start(stream, start, end)
    if offset is None:
        return
    stream.seek(offset)
    yield from iter_warc(stream, source_uri, read_settings, on_skip, base_offset=offset, end_offset=end)


def _starts_warc_member(data: bytes) -> bool:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        return inflater.decompress(data[:4096], 16).startswith(b"WARC/")
    except zlib.error:
        return False
