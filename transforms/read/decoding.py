"""Bytes to text: binary sniffing and encoding detection that never produce U+FFFD soup.

Order of trust: a byte-order mark; strict UTF-8 (legacy bytes almost never form valid
UTF-8 by accident); UTF-8 with a few stray legacy bytes (decoded as Windows-1252, the
usual culprit); a declared legacy charset; charset-normalizer's guess; Windows-1252.
The encoding actually used is returned so the article row can record it.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# Magic bytes of formats that are never article text. Checked before any decoding.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"\x7fELF", "elf"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"RIFF", "riff"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"wOFF", "woff"),
    (b"wOF2", "woff2"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"PAR1", "parquet"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# WHATWG: a page that says latin-1 means windows-1252.
_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252"}


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("eventwire-cp1252", _cp1252_fallback)


def sniff_binary(data: bytes) -> str | None:
    """The binary format ``data`` starts with, or None if it may be text."""
    head = data[:64]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None  # UTF-16/32 text has NUL bytes by design
    sample = data[:8192]
    if sample and sample.count(b"\x00") > len(sample) // 100:
        return "binary"
    return None


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first 4 KB, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "ignore").lower() if match else None


def _normalize_encoding(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return _ALIASES.get(name, _ALIASES.get(canonical, canonical))


_WESTERN = re.compile(r"[^\x00-\x7f\u00a0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _western_cp1252(data: bytes) -> str | None:
    """Windows-1252 text if every non-ASCII character is one West European text uses.

    charset-normalizer often calls short German cp1252 text "cp1250"; for the languages
    eventwire extracts, cp1252 is the right prior when it yields only such characters.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if _WESTERN.search(text):
        return None
    letters = sum(ch.isalpha() for ch in text)
    accented = sum(ch.isalpha() and ord(ch) > 0x7F for ch in text)
    # West European prose has a few accented letters; Cyrillic or Greek read as cp1252 is mostly accents.
    return text if letters and accented / letters <= 0.4 else None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data``; return (text, encoding used). ``declared`` is an HTTP or meta charset."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding.replace("-sig", "")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    multibyte = len(_UTF8_MULTIBYTE.findall(data))
    if multibyte:
        text = data.decode("utf-8", errors="eventwire-cp1252")
        stray = len(data) - len(text.encode("utf-8", errors="surrogatepass"))  # rough; only the ratio matters
        if abs(stray) <= multibyte:
            return text, "utf-8+cp1252"
    legacy = _normalize_encoding(declared)
    if legacy and not legacy.startswith("utf"):
        try:
            return data.decode(legacy), legacy
        except UnicodeDecodeError:
            pass
    western = _western_cp1252(data)
    if western is not None:
        return western, "cp1252"
    guess = charset_normalizer.from_bytes(data[:65536]).best()
    encoding = _normalize_encoding(guess.encoding if guess else None) or "cp1252"
    if encoding.startswith("utf"):
        encoding = "cp1252"  # strict UTF-8 already failed above
    return data.decode(encoding, errors="replace"), encoding
