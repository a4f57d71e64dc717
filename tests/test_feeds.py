"""Feed parsing, the entity guard, new-entry selection, entry -> RawDocument, polling and page fetches."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

import transforms.feeds.poll as feeds
from tests.feedserver import FIXTURES, PAGES, FeedServer, localize_feed
from transforms.feeds.poll import (
    FeedEntry,
    FeedError,
    FeedSpec,
    FeedState,
    PendingEntry,
    advance_state,
    entry_document,
    parse_feed,
    parse_feed_list,
    poll_feed,
    select_new,
)
from transforms.feeds.stage import FetchEntries
from transforms.feeds.state import read_states, state_path, write_states
from transforms.net.client import FetchError, FetchResult, GuardedFetcher
from transforms.records import RawDocument, Reject
from transforms.settings import ConfigError, FeedSettings, FetchSettings

FEED_SETTINGS = FeedSettings(max_feed_bytes=256 * 1024, parse_timeout_seconds=5.0)
FETCH = FetchSettings(connect_timeout=1.0, read_timeout=1.0, deadline_seconds=3.0, retries=1,
                      backoff_seconds=0.05, min_host_delay_seconds=0.0, allow_private_networks=True)
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


def _read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- parsing --------------------------------------------------------------------------------


def test_corpus_feeds_parse_into_entries() -> None:
    # counts and first dates as listed in the corpus MANIFEST.tsv
    _, heise = parse_feed(_read("heise-developer.atom"), "u", {}, FEED_SETTINGS)
    assert len(heise) == 15
    assert heise[0].published_at == dt.datetime(2016, 2, 1, 16, 22, tzinfo=UTC)  # 17:22+01:00
    assert heise[0].entry_id == "http://heise.de/-3088438" and heise[0].content_is_html
    assert heise[0].title == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    title, nbc = parse_feed(_read("nbcnewyork.rss"), "u", {}, FEED_SETTINGS)
    assert title == "NBC New York" and len(nbc) == 1 and nbc[0].entry_id == "4956764"
    assert "Manhattan sidewalk" in (nbc[0].summary or "")
    _, spiegel = parse_feed(_read("spiegel-update-podcast.rss"), "u", {}, FEED_SETTINGS)
    assert spiegel[0].published_at == dt.datetime(2021, 2, 6, 23, 1, tzinfo=UTC)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<rss version="2.0"><channel><title>&lol2;</title><item><title>&lol2;</title></item></channel></rss>"""
QUADRATIC = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"a" * 50000 + b'">]><rss version="2.0">'
             b"<channel><item><title>" + b"&a;" * 5000 + b"</title></item></channel></rss>")
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>')


@pytest.mark.parametrize("data", [BILLION_LAUGHS, QUADRATIC, EXTERNAL, BILLION_LAUGHS.decode().encode("utf-16"),
                                  BILLION_LAUGHS.replace(b"ENTITY", b"entity")],
                         ids=["billion_laughs", "quadratic", "external", "utf16", "lowercase"])
def test_entity_declarations_are_rejected_before_feedparser(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds.feedparser, "parse", lambda *a, **k: pytest.fail("feedparser was called"))
    with pytest.raises(FeedError) as info:
        parse_feed(data, "u", {}, dataclasses.replace(FEED_SETTINGS, max_feed_bytes=10**6))
    assert info.value.reason == "feed/entity_declaration"


def test_oversized_feed_is_rejected() -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(_read("heise-developer.atom"), "u", {}, dataclasses.replace(FEED_SETTINGS, max_feed_bytes=1000))
    assert info.value.reason == "feed/too_large"


def test_parsing_has_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(feeds.feedparser, "parse", lambda *a, **k: time.sleep(3))
    start = time.monotonic()
    with pytest.raises(FeedError) as info:
        parse_feed(_read("nbcnewyork.rss"), "u", {}, dataclasses.replace(FEED_SETTINGS, parse_timeout_seconds=0.3))
    assert info.value.reason == "feed/timeout" and time.monotonic() - start < 1.0


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError):
        parse_feed((FIXTURES / "pages" / PAGES[0]).read_bytes(), "u", {}, FEED_SETTINGS)


def test_feed_lists_in_text_and_yaml() -> None:
    text = "# my feeds\nhttps://a.example/rss\n\nhttp://b.example/atom.xml\n"
    assert [s.url for s in parse_feed_list(text, "f.txt")] == ["https://a.example/rss", "http://b.example/atom.xml"]
    yaml_text = ("feeds:\n  - url: https://a.example/rss\n    name: A\n    language: de\n    publisher: RT DE\n"
                 "  - https://b.example/atom.xml\n")
    specs = parse_feed_list(yaml_text, "f.yaml")
    assert specs[0] == FeedSpec("https://a.example/rss", "A", "de", "RT DE")
    assert specs[1] == FeedSpec("https://b.example/atom.xml")
    with pytest.raises(ConfigError, match="unknown key"):
        parse_feed_list("- url: https://a.example/\n  colour: red\n", "f.yaml")
    with pytest.raises(ConfigError, match="http"):
        parse_feed_list("- url: file:///etc/passwd\n", "f.yaml")


# --- state arithmetic ----------------------------------------------------------------------------


def _entry(i: int, link: str | None = None, **kw: object) -> FeedEntry:
    fields = dict(feed_url="f", entry_id=f"id{i}", link=link, title=f"t{i}", published_at=None, summary=None,
                  summary_is_html=False, content=None, content_is_html=False)
    fields.update(kw)
    return FeedEntry(**fields)  # type: ignore[arg-type]


def test_only_unseen_entries_are_selected_and_remembered() -> None:
    entries = [_entry(3), _entry(2), _entry(1)]  # newest first, as feeds list them
    state = FeedState(seen=("id1",))
    fresh = select_new(entries, state, limit=10)
    assert [e.entry_id for e in fresh] == ["id3", "id2"]
    new_state = advance_state(state, fresh, '"e"', "lm", NOW, max_seen=10)
    assert new_state.seen == ("id1", "id2", "id3") and new_state.etag == '"e"'
    assert select_new(entries, new_state, limit=10) == []
    assert advance_state(new_state, [_entry(4)], None, None, NOW, max_seen=2).seen == ("id3", "id4")
    assert [e.entry_id for e in select_new(entries, FeedState(), limit=1)] == ["id3"]


# --- entry -> RawDocument ----------------------------------------------------------------------


def _page(body: bytes, content_type: str = "text/html", charset: str | None = "utf-8") -> FetchResult:
    return FetchResult("u", "u", 200, {}, body, charset, content_type, 0.1)


def test_fetched_page_becomes_an_html_document() -> None:
    published = dt.datetime(2024, 4, 26, 8, 0, tzinfo=UTC)
    pending = PendingEntry(_entry(1, "http://x/a", published_at=published, summary="s"), "Pub", "de", NOW)
    doc = entry_document(pending, _page("<html><p>Grüße</p></html>".encode()))
    assert isinstance(doc, RawDocument)
    assert (doc.kind, doc.fetch_status, doc.url, doc.source, doc.language_hint) == ("html", "fetched", "http://x/a",
                                                                                      "Pub", "de")
    assert "Grüße" in doc.body and doc.encoding == "utf-8"
    assert (doc.published_at, doc.published_basis) == (published, "feed")


def test_failed_fetch_falls_back_to_content_then_summary_then_rejects() -> None:
    error = FetchError("http://x/a", "fetch/http_404", "HTTP 404")
    with_content = PendingEntry(_entry(1, "http://x/a", content="<p>full</p>", content_is_html=True,
                                       summary="short"), None, None, NOW)
    doc = entry_document(with_content, error)
    assert isinstance(doc, RawDocument) and (doc.fetch_status, doc.kind, doc.body) == ("fallback_content", "html",
                                                                                        "<p>full</p>")
    summary_only = PendingEntry(_entry(2, "http://x/b", summary="plain words"), None, None, NOW)
    doc = entry_document(summary_only, error)
    assert isinstance(doc, RawDocument) and (doc.fetch_status, doc.kind) == ("fallback_summary", "text")
    # an undated entry is dated by its first fetch, and says so
    assert (doc.published_at, doc.published_basis) == (NOW, "first_fetch")
    nothing = entry_document(PendingEntry(_entry(3, "http://x/c"), None, None, NOW), error)
    assert isinstance(nothing, Reject) and (nothing.stage, nothing.reason) == ("fetch", "fetch/http_404")
    binary = entry_document(summary_only, _page(b"%PDF-1.4 ...", "application/pdf", None))
    assert isinstance(binary, RawDocument) and binary.fetch_status == "fallback_summary"


# --- state storage ---------------------------------------------------------------------------------


def test_state_round_trips_and_is_replaced_atomically(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = str(tmp_path / "out")
    assert read_states(out) == {}
    states = {"http://a/rss": FeedState('"e1"', "Mon, 01 Jan 2024 00:00:00 GMT", ("x", "y"), NOW.isoformat())}
    write_states(out, states)
    write_states(out, states)  # replacing an existing state works too
    assert read_states(out) == states
    assert sorted(p.name for p in (tmp_path / "out" / "_state").iterdir()) == ["feeds.json"]
    (tmp_path / "out" / "_state" / "feeds.json").write_text("{broken")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_states(out)
    assert state_path(out).endswith("_state/feeds.json")


# --- polling and page fetches over HTTP ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    yield srv
    srv.stop()


def _drop_entries(data: bytes, count: int) -> bytes:
    blocks = re.findall(rb"\s*<entry>.*?</entry>", data, flags=re.S)
    for block in blocks[:count]:
        data = data.replace(block, b"", 1)
    return data


def test_poll_is_conditional_and_counts_new_entries(server: FeedServer) -> None:
    full, links = localize_feed(_read("heise-developer.atom"), server.base, "poll")
    server.feeds["/feeds/poll.atom"] = _drop_entries(full, 2)
    spec = FeedSpec(f"{server.base}/feeds/poll.atom", name="heise", language="de")
    fetcher = GuardedFetcher(FETCH)
    first = poll_feed(fetcher, spec, FeedState(), FEED_SETTINGS, NOW)
    assert first.status == "ok" and len(first.entries) == 13 and first.requests == 1
    assert first.state is not None and first.state.etag and first.state.last_modified
    assert {p.entry.link for p in first.entries} == set(links[2:])
    assert all(p.source == "heise" and p.language_hint == "de" for p in first.entries)
    again = poll_feed(fetcher, spec, first.state, FEED_SETTINGS, NOW)
    assert (again.status, again.entries, again.requests) == ("not_modified", (), 1)
    assert server.requests[-1][1].get("If-None-Match") == first.state.etag
    server.feeds["/feeds/poll.atom"] = full  # two new entries on top
    third = poll_feed(fetcher, spec, first.state, FEED_SETTINGS, NOW)
    assert third.status == "ok" and [p.entry.link for p in third.entries] == links[:2]


def test_failed_poll_keeps_the_previous_state(server: FeedServer) -> None:
    fetcher = GuardedFetcher(FETCH)
    gone = poll_feed(fetcher, FeedSpec(f"{server.base}/feeds/missing.xml"), FeedState(seen=("a",)),
                     FEED_SETTINGS, NOW)
    assert gone.status == "failed" and gone.state is None
    assert gone.reject is not None and (gone.reject.stage, gone.reject.reason) == ("feed", "feed/http_404")
    server.feeds["/feeds/bomb.xml"] = BILLION_LAUGHS
    bomb = poll_feed(fetcher, FeedSpec(f"{server.base}/feeds/bomb.xml"), FeedState(), FEED_SETTINGS, NOW)
    assert bomb.status == "failed" and bomb.reject is not None and bomb.reject.reason == "feed/entity_declaration"


def test_fetch_entries_fetches_each_page_once_and_falls_back(server: FeedServer) -> None:
    page = f"{server.base}/articles/{PAGES[1]}?fetch-entries"
    dead = f"{server.base}/gone?fetch-entries"
    pending = [
        PendingEntry(_entry(1, page, summary="s"), "P", None, NOW),
        PendingEntry(_entry(2, dead, summary="the summary"), "P", None, NOW),
        PendingEntry(_entry(3, dead + "2"), "P", None, NOW),
    ]
    before = server.page_hits()
    with beam.Pipeline(runner=FnApiRunner()) as p:
        out = p | beam.Create(pending) | FetchEntries(FETCH)
        assert_that(out.documents | "Status" >> beam.Map(lambda d: (d.url, d.fetch_status, d.kind)),
                    equal_to([(page, "fetched", "html"), (dead, "fallback_summary", "text")]))
        assert_that(out.rejects | "Reason" >> beam.Map(lambda r: (r.source_uri, r.stage, r.reason)),
                    equal_to([(dead + "2", "fetch", "fetch/http_404")]), label="Rejects")
    assert server.page_hits() - before == 1


def test_an_atom_entry_without_a_link_is_not_fetched_at_its_id() -> None:
    from transforms.feeds.poll import parse_feed

    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:feed</id><updated>2024-01-01T00:00:00Z</updated>
<entry><id>urn:a4</id><title>No link</title><updated>2024-01-01T00:00:00Z</updated><summary>Nur eine Zusammenfassung.</summary></entry>
</feed>"""
    from transforms.settings import FeedSettings

    _, [entry] = parse_feed(atom, "https://example.org/feed", {}, FeedSettings())
    assert entry.link is None and entry.entry_id == "urn:a4"
