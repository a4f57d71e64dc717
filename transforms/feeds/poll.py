"""RSS/Atom feeds: safe parsing, new-entry selection, and entries as RawDocuments.

Pure functions (feed list, entity guard, parsing, state arithmetic, entry -> RawDocument),
then ``poll_feed`` (one conditional GET of a feed through the guarded fetcher). Beam-free: the
pages of the new entries are fetched by ``stage.FetchEntries``.

Feeds are polled in the driver and pages fetched in the pipeline: a feed poll is one
cheap request whose outcome decides what the run does (and what state to commit after
the outputs are written), while page fetches are the bulk of the work.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import feedparser
import yaml

from transforms import ids
from transforms.net.client import FetchError, FetchResult, GuardedFetcher
from transforms.read.decoding import declared_charset, decode_bytes, sniff_binary
from transforms.records import RawDocument, Reject
from transforms.settings import ConfigError, FeedSettings, load_dataclass

REJECTS = "rejects"
log = logging.getLogger("eventwire.progress")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# "<!ENTITY" in every encoding a feed may use: no entity declaration reaches feedparser.
_ENTITY_MARKERS = tuple("<!entity".encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be",
                                                             "utf-32-le", "utf-32-be"))


@dataclass(frozen=True)
class FeedSpec:
    """One feed to monitor, as listed on the command line or in a feed list file."""

    url: str
    name: str | None = None
    language: str | None = None  # hint for the language stage
    publisher: str | None = None  # becomes the article's source, so publisher rules match it


@dataclass(frozen=True)
class FeedEntry:
    feed_url: str
    entry_id: str  # guid, else link, else a hash of title and text
    link: str | None
    title: str | None
    published_at: dt.datetime | None  # UTC
    summary: str | None
    summary_is_html: bool
    content: str | None
    content_is_html: bool


@dataclass(frozen=True)
class FeedState:
    """What the previous successful run knew about one feed."""

    etag: str | None = None
    last_modified: str | None = None
    seen: tuple[str, ...] = ()  # entry ids, oldest first
    checked_at: str | None = None  # ISO time of the last successful poll


@dataclass(frozen=True)
class PendingEntry:
    """A new entry on its way to the page fetch, with what the feed list says about it."""

    entry: FeedEntry
    source: str | None
    language_hint: str | None
    first_seen: dt.datetime  # the poll time: the publication time of an undated entry


@dataclass(frozen=True)
class FeedPoll:
    """The outcome of polling one feed: new entries, and the state to commit if the run succeeds."""

    spec: FeedSpec
    status: str  # "ok", "not_modified", "failed"
    entries: tuple[PendingEntry, ...] = ()
    state: FeedState | None = None  # None: keep the previous state
    reject: Reject | None = None
    requests: int = 0
    backlog: int = 0  # new entries in the feed not taken this run (over max_entries_per_feed): later runs take them


class FeedError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


# --- feed lists ----------------------------------------------------------------------------


def parse_feed_list(text: str, where: str) -> list[FeedSpec]:
    """A feed list file: YAML (a list, or ``feeds:`` with a list) of URLs or mappings
    {url, name, language, publisher}; or plain text, one URL per line, ``#`` comments."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if lines and all(" " not in ln and "://" in ln for ln in lines):
        return [FeedSpec(url=ln) for ln in lines]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: neither a URL list nor valid YAML: {exc}") from exc
    if isinstance(data, dict) and set(data) == {"feeds"}:
        data = data["feeds"]
    if not isinstance(data, list):
        raise ConfigError(f"{where}: expected a list of feeds (or 'feeds:' with a list)")
    specs = []
    for i, item in enumerate(data):
        spec = FeedSpec(url=item) if isinstance(item, str) else load_dataclass(FeedSpec, item, f"{where}[{i}]")
        if urlsplit(spec.url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}[{i}]: feed URL must be http(s): {spec.url!r}")
        specs.append(spec)
    return specs


# --- parsing -----------------------------------------------------------------------------------


def entity_problem(data: bytes) -> str | None:
    """Why ``data`` must not be parsed: an entity declaration (billion laughs, quadratic
    blow-up, external entities). feedparser's fallback parser expands a large entity into
    gigabytes; no real feed declares entities, so any declaration anywhere is refused."""
    lowered = data.lower()
    for marker in _ENTITY_MARKERS:
        if marker in lowered:
            return "the feed declares XML entities (<!ENTITY ...>)"
    return None


def _utc(parsed: Any) -> dt.datetime | None:
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.timezone.utc)  # feedparser's tuples are UTC


def _entry_id(entry: Mapping[str, Any], link: str | None, title: str | None, text: str | None) -> str:
    guid = (entry.get("id") or "").strip()
    if guid:
        return guid
    if link:
        return link
    return "sha256:" + ids.stable_hash("entry", title, text, length=32)


def _to_entry(feed_url: str, raw: Mapping[str, Any]) -> FeedEntry:
    link = (raw.get("link") or "").strip() or None
    if link and urlsplit(link).scheme.lower() not in ("http", "https"):
        link = None  # feedparser falls back to an Atom id such as "urn:uuid:…": that is no page to fetch
    title = (raw.get("title") or "").strip() or None
    contents = [c for c in raw.get("content") or () if (c.get("value") or "").strip()]
    content = contents[0]["value"] if contents else None
    content_is_html = bool(contents) and "html" in (contents[0].get("type") or "text/html")
    summary = (raw.get("summary") or "").strip() or None
    summary_is_html = "html" in ((raw.get("summary_detail") or {}).get("type") or "text/html")
    published = _utc(raw.get("published_parsed") or raw.get("updated_parsed"))
    return FeedEntry(feed_url, _entry_id(raw, link, title, content or summary), link, title, published,
                     summary, summary_is_html, content, content_is_html)


def parse_feed(data: bytes, feed_url: str, headers: Mapping[str, str], settings: FeedSettings
               ) -> tuple[str | None, list[FeedEntry]]:
    """Feed bytes -> (feed title, entries in feed order). Raises FeedError."""
    if len(data) > settings.max_feed_bytes:
        raise FeedError("feed/too_large", f"{len(data)} bytes, over the cap of {settings.max_feed_bytes}")
    problem = entity_problem(data)
    if problem:
        raise FeedError("feed/entity_declaration", problem)
    result: dict[str, Any] = {}

    def work() -> None:
        try:  # a stream, never a string: feedparser would fetch a string that looks like a URL
            result["parsed"] = feedparser.parse(io.BytesIO(data), response_headers=dict(headers))
        except Exception as exc:  # feedparser's own bug on odd input: a reject, not a crash
            result["error"] = exc

    worker = threading.Thread(target=work, name="feedparser", daemon=True)
    worker.start()
    worker.join(settings.parse_timeout_seconds)
    if worker.is_alive():  # the thread cannot be killed; it is a daemon and its result is dropped
        raise FeedError("feed/timeout", f"parsing took longer than {settings.parse_timeout_seconds}s")
    if "error" in result:
        raise FeedError("feed/parse_error", f"{type(result['error']).__name__}: {result['error']}")
    parsed = result["parsed"]
    if not parsed.entries and parsed.get("bozo"):
        raise FeedError("feed/parse_error", f"not a feed: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("feed/not_a_feed", "no RSS or Atom content")
    title = (parsed.feed.get("title") or "").strip() or None
    return title, [_to_entry(feed_url, e) for e in parsed.entries]


# --- state arithmetic ---------------------------------------------------------------------------


_UNDATED = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def unseen(entries: Sequence[FeedEntry], state: FeedState) -> list[FeedEntry]:
    """Entries not seen before (first occurrence of each id), in feed order."""
    seen = set(state.seen)
    fresh: list[FeedEntry] = []
    for entry in entries:
        if entry.entry_id in seen:
            continue
        seen.add(entry.entry_id)
        fresh.append(entry)
    return fresh


def newest(entries: Sequence[FeedEntry], limit: int) -> list[FeedEntry]:
    """The ``limit`` newest entries, in feed order: by publication time where the feed gives one (a
    feed may list oldest first), undated ones after the dated, in feed order."""
    if len(entries) <= limit:
        return list(entries)
    ranked = sorted(range(len(entries)), key=lambda i: entries[i].published_at or _UNDATED, reverse=True)
    chosen = set(ranked[:limit])  # sorted() is stable, reverse=True too: ties keep feed order
    return [entry for i, entry in enumerate(entries) if i in chosen]


def select_new(entries: Sequence[FeedEntry], state: FeedState, limit: int) -> list[FeedEntry]:
    """The newest ``limit`` unseen entries; the rest are the backlog a later run takes."""
    return newest(unseen(entries, state), limit)


def advance_state(state: FeedState, taken: Iterable[FeedEntry], etag: str | None, last_modified: str | None,
                  checked_at: dt.datetime, max_seen: int, in_feed: Iterable[str] = ()) -> FeedState:
    """The state after a run took ``taken``. At most ``max_seen`` ids are kept, oldest forgotten
    first, except ids still listed in the feed (``in_feed``): forgetting one would take that entry
    again, so a feed longer than ``max_seen`` keeps all of its ids."""
    seen = list(state.seen)
    known = set(seen)
    for entry in reversed(list(taken)):  # newest first; state keeps oldest first
        if entry.entry_id not in known:
            seen.append(entry.entry_id)
            known.add(entry.entry_id)
    listed = set(in_feed)
    excess = len(seen) - max_seen
    if excess > 0:
        kept = []
        for entry_id in seen:  # oldest first: forget the oldest ids the feed no longer lists
            if excess > 0 and entry_id not in listed:
                excess -= 1
                continue
            kept.append(entry_id)
        seen = kept
    return FeedState(etag=etag, last_modified=last_modified, seen=tuple(seen), checked_at=checked_at.isoformat())


# --- polling (driver side) ----------------------------------------------------------------------


def _feed_reject(spec: FeedSpec, reason: str, detail: str, now: dt.datetime) -> Reject:
    if reason.startswith("fetch/"):
        reason = "feed/" + reason.removeprefix("fetch/")
    return Reject(spec.url, "feed", reason, detail, now)


def poll_feed(fetcher: GuardedFetcher, spec: FeedSpec, state: FeedState, settings: FeedSettings,
              now: dt.datetime) -> FeedPoll:
    """One conditional GET of a feed; its new entries and the state to commit after the run."""
    before = fetcher.requests
    result = fetcher.fetch(spec.url, etag=state.etag, last_modified=state.last_modified,
                           max_bytes=settings.max_feed_bytes)
    requests = fetcher.requests - before
    if isinstance(result, FetchError):
        return FeedPoll(spec, "failed", reject=_feed_reject(spec, result.reason, result.detail, now),
                        requests=requests)
    if result.status == 304:
        return FeedPoll(spec, "not_modified", state=replace(state, checked_at=now.isoformat()), requests=requests)
    try:
        title, entries = parse_feed(result.body, spec.url, result.headers, settings)
    except FeedError as exc:
        return FeedPoll(spec, "failed", reject=_feed_reject(spec, exc.reason, exc.detail, now), requests=requests)
    candidates = unseen(entries, state)
    fresh = newest(candidates, settings.max_entries_per_feed)
    source = spec.publisher or spec.name or title
    pending = tuple(PendingEntry(e, source, spec.language, now) for e in fresh)
    # with a backlog the validators are not kept: an unchanged feed (a 304) must still be read to take it
    etag, last_modified = ((result.headers.get("etag"), result.headers.get("last-modified"))
                           if len(candidates) == len(fresh) else (None, None))
    new_state = advance_state(state, fresh, etag, last_modified, now, settings.max_seen_per_feed,
                              in_feed=(e.entry_id for e in entries))
    return FeedPoll(spec, "ok", pending, new_state, requests=requests, backlog=len(candidates) - len(fresh))


# --- entry -> RawDocument ------------------------------------------------------------------------


def _page_document(pending: PendingEntry, page: FetchResult) -> RawDocument | str:
    """The fetched page as a RawDocument, or why it cannot be one."""
    if sniff_binary(page.body) or (page.content_type and page.content_type not in _HTML_TYPES
                                   and not page.content_type.startswith("text/")):
        return f"not an article page ({page.content_type or sniff_binary(page.body)})"
    if not page.body.strip():
        return "empty page"
    text, encoding = decode_bytes(page.body, page.charset or declared_charset(page.body))
    kind = "text" if page.content_type == "text/plain" else "html"
    return _document(pending, kind, text, "fetched", encoding, len(page.body))


def _document(pending: PendingEntry, kind: str, body: str, status: str, encoding: str | None,
              size: int, fetch_error: str | None = None) -> RawDocument:
    entry = pending.entry
    published, basis = (entry.published_at, "feed") if entry.published_at else (pending.first_seen,
                                                                                       "first_fetch")
    return RawDocument(
        source_uri=entry.link or f"{entry.feed_url}#{entry.entry_id}",
        kind=kind, body=body, url=entry.link, title=entry.title, published_at=published,
        published_basis=basis, source=pending.source, encoding=encoding, fetch_status=status,
        language_hint=pending.language_hint, input_bytes=size, fetch_error=fetch_error,
    )


def entry_document(pending: PendingEntry, page: FetchResult | FetchError | None) -> RawDocument | Reject:
    """The article for an entry: the fetched page, else the entry's content, else its summary."""
    entry = pending.entry
    if isinstance(page, FetchResult):
        document = _page_document(pending, page)
        if isinstance(document, RawDocument):
            return document
        failure = ("fetch/not_article", document)
    elif isinstance(page, FetchError):
        failure = (page.reason, page.detail)
    else:
        failure = ("fetch/no_link", "the entry has no link")
    why = f"{failure[0]}: {failure[1]}"[:500]  # kept on the article row: the reason a fallback stands in
    if entry.content:
        kind = "html" if entry.content_is_html else "text"
        return _document(pending, kind, entry.content, "fallback_content", None, len(entry.content.encode()), why)
    if entry.summary:
        kind = "html" if entry.summary_is_html else "text"
        return _document(pending, kind, entry.summary, "fallback_summary", None, len(entry.summary.encode()), why)
    return Reject(entry.link or f"{entry.feed_url}#{entry.entry_id}", "fetch", failure[0],
                  f"{failure[1]}; the entry has no content or summary to fall back on")  # stamped by the run
