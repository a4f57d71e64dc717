"""Stable identifiers: the same input gives the same id on every run, machine and runner."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

_WS = re.compile(r"\s+")
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|at_medium|at_campaign|ref|cmpid)=", re.I)


def stable_hash(*parts: str | None, length: int = 16) -> str:
    """A short hex digest of the parts (``None`` and "" differ)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"\x00" if part is None else b"\x01" + part.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()[:length]


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = "&".join(p for p in parts.query.split("&") if p and not _TRACKING.match(p))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def url_host(url: str | None) -> str:
    """The host of a URL, lower case, without "www." ("" when there is none): one publisher, one key."""
    if not url:
        return ""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:  # e.g. an invalid IPv6 literal
        return ""
    return host.removeprefix("www.")


def normalized_content(text: str) -> str:
    """Text as compared for content duplicates: NFKC, case-folded, whitespace collapsed."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(text: str) -> str:
    return stable_hash(normalized_content(text), length=32)


def article_id(url: str | None, text: str) -> str:
    """Same URL is one article; without a URL, same normalized content is one article."""
    if url:
        return stable_hash("url", canonical_url(url))
    return stable_hash("content", normalized_content(text))


def event_id(
    event_date: dt.date | None, event_type: str, participant_keys: Iterable[str], article_id: str | None = None
) -> str:
    """The dedup key's hash: (event_date, event_type, sorted participant keys).

    An event without a date merges only within its article, so the article id joins the key.
    """
    keys = sorted(set(participant_keys))
    scope = None if event_date is not None else article_id
    return stable_hash("event", event_date.isoformat() if event_date else None, event_type, "|".join(keys), scope)


def mention_id(article_id: str, sentence_index: int, event_id: str) -> str:
    return stable_hash("mention", article_id, str(sentence_index), event_id)


_SIMHASH_WORD = re.compile(r"\w+", re.UNICODE)
MIN_SIMHASH_WORDS = 30  # shorter texts collide by chance; they are not compared


def simhash(text: str, shingle: int = 3) -> int:
    """64-bit SimHash over word shingles: near-identical texts differ in a few bits."""
    import numpy as np  # only where texts are hashed (the cleaning helpers), not everywhere ids are

    words = _SIMHASH_WORD.findall(text.casefold())
    if shingle == 3 and len(words) >= 3:  # the common case, without a slice and a join per shingle
        grams = [f"{a} {b} {c}" for a, b, c in zip(words, words[1:], words[2:], strict=False)]
    else:
        grams = [" ".join(words[i : i + shingle]) for i in range(max(1, len(words) - shingle + 1))]
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(g.encode(), digest_size=8).digest() for g in grams])
    values = np.frombuffer(digests, dtype=">u8").astype("<u8")  # each digest read big-endian, as before
    set_counts = np.unpackbits(values.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little").sum(axis=0)
    # bit i of the little-endian value is column i; a bit is set where most shingles set it
    return sum(1 << bit for bit in range(64) if 2 * int(set_counts[bit]) > len(grams))


def text_simhash(text: str) -> str | None:
    """An article's SimHash as 16 hex digits (the ``simhash`` column), None for a text too short to compare."""
    if len(_SIMHASH_WORD.findall(text)) < MIN_SIMHASH_WORDS:
        return None
    return f"{simhash(text):016x}"
