"""Read: article files (txt, html, jsonl, warc; optionally gzipped; local or gs://) to RawDocuments.

Files are opened raw through Beam's ``FileSystems`` and gunzipped by ``transforms/read/payload.py``,
by magic bytes rather than by name, because Beam's gzip reader (and warcio) return the first half
of a truncated file without an error. Every size is capped while streaming, so a bomb or a giant line never
sits whole in memory. Whatever cannot be read becomes a ``Reject`` with a stable reason.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from transforms.read.decoding import declared_charset, decode_bytes, sniff_binary
from transforms.read.jsonrecords import (
    is_json_document,
    iter_json_document,
    iter_jsonl,
    optional_str,
    published_from,
)
from transforms.read.payload import ReadError, open_payload, read_bounded
from transforms.records import RawDocument, Reject
from transforms.settings import ReadSettings

FORMATS = {".txt": "txt", ".html": "html", ".htm": "html", ".jsonl": "jsonl", ".json": "jsonl",
           ".warc": "warc"}
SIDECAR_SUFFIX = ".meta.json"
# "Baku, 31. Mai, AZERTAC" / "MOSCOW, May 31 (Reuters)": a dateline, not a title. It stays in the
# body (the event extractor dates events from it) and names the agency when no source is given.
_DATELINE = re.compile(
    r"^(?P<place>[A-ZÄÖÜ][\w .'-]{1,40}),\s+(?:\d{1,2}\.\s*\w+|\w+\.?\s+\d{1,2})(?:\.?,?\s*\d{4})?"
    r"\s*(?:,\s*|\(\s*|[-–—]\s*)(?P<agency>[A-Za-z][A-Za-z&-]{1,20})\)?\s*$"
)

Opener = Callable[[str], BinaryIO]
log = logging.getLogger(__name__)


# --- names and containers ------------------------------------------------------------------


def file_format(path: str) -> str | None:
    """The reader for ``path`` by its extension (``.gz`` stripped), or None if unsupported."""
    name = posixpath.basename(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(SIDECAR_SUFFIX):
        return None
    return FORMATS.get(posixpath.splitext(name)[1])


def is_sidecar(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name.endswith(SIDECAR_SUFFIX) or name.endswith(SIDECAR_SUFFIX + ".gz")


MAX_SIDECAR_BYTES = 1 << 20


def parse_sidecar(data: bytes) -> dict[str, Any]:
    """A sidecar's metadata; ReadError("read/invalid_sidecar") if it is not a small JSON object."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise ReadError("read/invalid_sidecar", f"sidecar larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ReadError("read/invalid_sidecar", f"not JSON: {str(exc)[:150]}") from exc
    if not isinstance(value, dict):
        raise ReadError("read/invalid_sidecar", f"must hold a JSON object, got {type(value).__name__}")
    return value


def sidecar_path(path: str) -> str:
    """``a/b.txt`` and ``a/b.txt.gz`` have their metadata in ``a/b.meta.json``."""
    base = path[:-3] if path.lower().endswith(".gz") else path
    return posixpath.splitext(base)[0] + SIDECAR_SUFFIX


# --- formats -------------------------------------------------------------------------------


def _text_of(data: bytes, declared: str | None = None) -> tuple[str, str]:
    binary = sniff_binary(data)
    if binary:
        raise ReadError("read/binary", f"{binary} content under a text name")
    text, encoding = decode_bytes(data, declared)
    if not text.replace("\ufeff", "").strip():
        raise ReadError("read/empty", "no text")
    return text, encoding


def parse_txt(data: bytes, source_uri: str, meta: dict[str, Any] | None = None) -> RawDocument:
    """A text file: first non-empty line is the title, the rest the body; metadata from the sidecar."""
    text, encoding = _text_of(data)
    lines = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip())
    title, body = lines[start].strip(), "\n".join(lines[start + 1 :]).strip()
    meta = meta or {}
    dateline = _DATELINE.match(title)
    if dateline:
        title, body = None, f"{lines[start].strip()}\n\n{body}"
        meta = {"source": dateline.group("agency"), **meta}
    published, basis = published_from(meta.get("published_at"))
    return RawDocument(
        source_uri=source_uri, kind="text", body=body, title=optional_str(meta, "title") or title or None,
        url=optional_str(meta, "url"), published_at=published, published_basis=basis,
        source=optional_str(meta, "source"), encoding=encoding, input_bytes=len(data),
    )


def parse_html(data: bytes, source_uri: str) -> RawDocument:
    text, encoding = _text_of(data, declared_charset(data))
    return RawDocument(source_uri=source_uri, kind="html", body=text, encoding=encoding, input_bytes=len(data))


def read_file(
    path: str, size: int, settings: ReadSettings, opener: Opener, sidecar: Callable[[str], bytes | None],
    on_skip: Callable[[str], None] = lambda _kind: None, byte_range: tuple[int, int | None] = (0, None),
    keep: Callable[[int], bool] | None = None, until: int | None = None,
) -> Iterator[RawDocument | Reject]:
    """Every document of one file, or rejects that say why not. Never raises ReadError.

    WARC only: ``on_skip`` counts records that are not articles; ``byte_range`` reads the
    gzip members starting in [start, end) (see ``transforms.read.warcsplit.split_ranges``).
    JSON Lines only: ``keep(index)`` selects records, so N readers can share a big file; file-level
    rejects come from the reader that keeps record 0, so each is reported once; ``until`` stops
    reading at that record index (a wave's range of a big file).
    """
    fmt = file_format(path)
    first = keep is None or keep(0)  # the reader that reports file-level rejects
    if fmt != "jsonl" and not first:
        return
    if fmt is None:
        yield Reject(path, "read", "read/unsupported_type", "extension is not txt, html, htm, jsonl, json or warc")
        return
    # Only a file read whole has a whole-file cap: a WARC streams record by record and JSON Lines
    # line by line, each record or line capped (a .json file that is one document is capped after
    # decompression, where it is parsed whole: ``iter_json_document``), so --max-records and a
    # dump of a few GB work.
    if size > settings.max_file_bytes and fmt not in ("warc", "jsonl"):
        if first:
            yield Reject(path, "read", "read/file_too_large", f"{size} bytes > {settings.max_file_bytes}")
        return
    try:
        with opener(path) as raw:
            if fmt == "warc":
                from transforms.read.warcsplit import iter_warc_range

                yield from iter_warc_range(raw, path, settings, on_skip, *byte_range)
                return
            stream, _ = open_payload(raw, settings, streamed=fmt == "jsonl")
            if fmt == "jsonl" and is_json_document(stream, path):
                yield from iter_json_document(stream, path, settings, keep)
                return
            if fmt == "jsonl":
                yield from iter_jsonl(stream, path, settings, keep, until)
                return
            data = read_bounded(stream, settings.max_document_bytes)
            if stream.read(1):  # the cap was hit exactly; anything beyond is too much
                raise ReadError("read/too_large", f"document larger than {settings.max_document_bytes} bytes")
            if fmt == "txt":
                meta = None
                raw_meta = sidecar(path)
                if raw_meta is not None:
                    try:
                        meta = parse_sidecar(raw_meta)
                    except ReadError as exc:  # the article is still read, without the bad metadata
                        yield Reject(sidecar_path(path), "read", exc.reason, exc.detail)
                yield parse_txt(data, path, meta)
            else:
                yield parse_html(data, path)
    except ReadError as exc:
        if first:
            yield Reject(path, "read", exc.reason, exc.detail)
    except OSError as exc:
        if first:
            yield Reject(path, "read", "read/io_error", f"{type(exc).__name__}: {exc}"[:300])


def guarded_read(
    path: str, size: int, settings: ReadSettings, opener: Opener, sidecar: Callable[[str], bytes | None],
    on_skip: Callable[[str], None] = lambda _kind: None, byte_range: tuple[int, int | None] = (0, None),
    keep: Callable[[int], bool] | None = None, until: int | None = None,
) -> Iterator[RawDocument | Reject]:
    """``read_file``, and if a file still trips an unforeseen error, a reject for the rest of it.

    The last line of defence for hostile input: one file must never stop the run. The records
    already emitted stay; the reject names the file, so no record goes unaccounted.
    """
    try:
        yield from read_file(path, size, settings, opener, sidecar, on_skip, byte_range, keep, until)
    except Exception as exc:  # deliberately broad at the per-file boundary; logged as a bug
        log.exception("unexpected error reading %s", path)
        yield Reject(path, "read", "read/unexpected_error", f"{type(exc).__name__}: {exc}"[:300])
