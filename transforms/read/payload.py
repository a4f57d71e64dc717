"""A file's content as a stream: gunzipped by its magic bytes (not its name), every member of a
multi-member file, a truncated or corrupt stream or a decompression bomb an error, never a
silently short read (Beam's gzip reader and warcio return the first half of a truncated file).
"""

from __future__ import annotations

import io
import zlib
from typing import Any, BinaryIO

from transforms.settings import ReadSettings

try:  # python-isal inflates the same gzip streams ~2.5x faster than zlib: the launcher reads every page
    from isal import isal_zlib as inflate_library
except ImportError:  # no wheel for this platform: the standard library
    inflate_library = zlib

GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_ERRORS = (zlib.error, inflate_library.error)


class ReadError(Exception):
    """A file or record that cannot be read; ``reason`` is the stable reject id."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


GUNZIP_BUFFER = 1 << 20  # JSON Lines records of crawled HTML are ~300 KB: read them in few, large steps


class GuardedGunzip(io.RawIOBase):
    """Streaming gunzip over a raw stream: multi-member aware, truncation and bomb checked."""

    def __init__(self, raw: BinaryIO, max_output: int, chunk: int = 1 << 18, max_ratio: int = 0) -> None:
        self._raw = raw
        self._max_output = max_output
        self._max_ratio = max_ratio  # 0: max_output is a hard cap; else beyond it, output/input <= this
        self._consumed = 0
        self._chunk = chunk
        self._inflater = inflate_library.decompressobj(wbits=31)
        self._pending = b""
        self._offset = 0
        self._produced = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_input(self) -> bytes:
        """The next compressed bytes to inflate; starts a new member after a finished one."""
        if not self._inflater.eof:
            data = self._inflater.unconsumed_tail or self._counted(self._raw.read(self._chunk))
            if not data:
                raise ReadError("read/truncated_gzip", "gzip stream ends before its end-of-member marker")
            return data
        data = self._inflater.unused_data or self._counted(self._raw.read(self._chunk))
        while data and not data.strip(b"\x00"):  # zero padding after the last member is harmless
            data = self._counted(self._raw.read(self._chunk))
        if data:
            self._inflater = inflate_library.decompressobj(wbits=31)  # multi-member gzip: the next member
        return data

    def _fill(self) -> None:
        while not self._pending and not self._done:
            data = self._next_input()
            if not data:
                self._done = True
                return
            try:
                out = self._inflater.decompress(data, self._chunk)
            except _INFLATE_ERRORS as exc:
                raise ReadError("read/corrupt_gzip", str(exc)) from exc
            self._produced += len(out)
            if self._produced > self._max_output and (
                    not self._max_ratio or self._produced > self._max_ratio * self._consumed):
                raise ReadError("read/decompression_bomb", f"more than {self._max_output} bytes after gunzip"
                                + (f", {self._max_ratio} times the gzipped bytes" if self._max_ratio else ""))
            self._pending = out

    def _counted(self, data: bytes) -> bytes:
        self._consumed += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        self._fill()
        size = min(len(buffer), len(self._pending) - self._offset)
        buffer[:size] = memoryview(self._pending)[self._offset : self._offset + size]
        self._offset += size
        if self._offset == len(self._pending):  # consumed: an offset, not a shrinking copy, per read
            self._pending, self._offset = b"", 0
        return size


STREAMED_BOMB_RATIO = 200  # news text gzips 3-10 times; a bomb ~1000 times


def open_payload(raw: BinaryIO, settings: ReadSettings, streamed: bool = False) -> tuple[io.BufferedReader, bool]:
    """The file's content stream, gunzipped if its bytes (not its name) say gzip.

    ``streamed`` (JSON Lines: read line by line, each line capped): beyond
    ``max_decompressed_bytes`` only a bomb's ratio stops the stream, so a dump of a few GB is read."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    gzipped = buffered.peek(2)[:2] == GZIP_MAGIC
    if gzipped:
        ratio = STREAMED_BOMB_RATIO if streamed else 0
        return io.BufferedReader(GuardedGunzip(buffered, settings.max_decompressed_bytes, max_ratio=ratio),
                                 GUNZIP_BUFFER), True
    return buffered, False


def read_bounded(stream: BinaryIO, limit: int, what: str = "document") -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ReadError("read/too_large", f"{what} larger than {limit} bytes")
    return data
