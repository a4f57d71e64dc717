"""The streaming watcher's graph under TestStream (BundleBasedDirectRunner), and its stateful poll.

Feeds and article pages are served by a real HTTP server on 127.0.0.1; the poll ticks come
from a TestStream instead of PeriodicImpulse, with watermark advances between them; the
rest of the graph is the one ``eventwire watch --streaming`` runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.portability import common_urns
from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.testing.test_stream import TestStream
from apache_beam.utils.timestamp import Timestamp

from pipeline import watch
from pipeline.feeds import prepare
from pipeline.streaming import WatchFeeds
from tests import records_factory
from tests.conftest import REPO, read_table
from tests.feedserver import PAGES, FeedServer
from transforms.events.model import load_event_model
from transforms.feeds.poll import FeedSpec, FeedState
from transforms.feeds.stream import PollFeedStatefulFn, decode_state, encode_state, next_state
from transforms.output import layout, tables
from transforms.output.commit import RunContext
from transforms.output.schema import to_row
from transforms.output.write import write_window
from transforms.settings import FeedSettings, FetchSettings, load_settings

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)  # windows of one minute from here
FEEDS = FeedSettings(max_feed_bytes=256 * 1024, parse_timeout_seconds=5.0)
FETCH = FetchSettings(connect_timeout=1.0, read_timeout=1.0, deadline_seconds=3.0, retries=0,
                      backoff_seconds=0.05, min_host_delay_seconds=0.0, allow_private_networks=True)
TEXT = {  # feed-only entries: long enough to be articles (clean.min_chars is 200)
    "a2": "The city council of Springfield voted on Tuesday to extend the opening hours of the public "
          "library. Council members said the change answers a petition signed by more than two thousand "
          "residents, and the library will now stay open until nine in the evening on weekdays.",
    # the seed article of the RT DE phone call: the feed-only entry that reports events
    "a4": (REPO / "seeds" / "000_016a57d3c07c75c1.txt").read_text(encoding="utf-8").strip().split("\n", 1)[1],
    "a5": "A new ferry connection between the two harbour towns will start in July, the transport "
          "authority announced. The ferry will run every hour during the summer season and every two hours "
          "in winter, and tickets will cost the same as the existing bus connection along the coast road.",
}


def _ts(seconds: float) -> Timestamp:
    return Timestamp.from_utc_datetime(T0 + dt.timedelta(seconds=seconds))


def _window_end(index: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=index + 1)


def atom(name: str, entries: list[dict[str, str]]) -> bytes:
    """A small Atom feed; an entry has id, title, updated, and a link, a summary or content."""
    parts = [f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
             f"<title>{name}</title><id>urn:{name}</id><updated>2024-06-01T11:00:00Z</updated>"]
    for e in entries:
        parts.append(f"<entry><id>{e['id']}</id><title>{escape(e['title'])}</title><updated>{e['updated']}</updated>")
        if "link" in e:
            parts.append(f'<link href="{escape(e["link"])}"/>')
        if "summary" in e:
            parts.append(f"<summary>{escape(e['summary'])}</summary>")
        if "content" in e:
            parts.append(f'<content type="text">{escape(e["content"])}</content>')
        parts.append("</entry>")
    return ("".join(parts) + "</feed>").encode("utf-8")


class SequencedFeeds(dict):  # type: ignore[type-arg]
    """The server's feed table, where a sequenced feed serves its next version on every request
    (the ETag follows the body, so an unchanged version still answers 304)."""

    def __init__(self) -> None:
        super().__init__()
        self.sequences: dict[str, list[bytes]] = {}
        self.served: dict[str, int] = {}

    def get(self, path: str, default: Any = None) -> Any:
        if path in self.sequences:
            n = self.served.get(path, 0)
            self.served[path] = n + 1
            versions = self.sequences[path]
            return versions[min(n, len(versions) - 1)]
        return super().get(path, default)


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    srv.feeds = SequencedFeeds()
    yield srv
    srv.stop()


def _entries(base: str) -> dict[str, dict[str, str]]:
    return {
        "a1": {"id": "urn:a1", "title": "ORF report", "updated": "2024-06-01T09:00:00Z",
               "link": f"{base}/articles/{PAGES[1]}?stream=a1", "summary": "short"},
        "a2": {"id": "urn:a2", "title": "Library hours", "updated": "2024-06-01T09:10:00Z",
               "link": f"{base}/gone?stream=a2", "summary": TEXT["a2"]},
        "a3": {"id": "urn:a3", "title": "Junge Welt report", "updated": "2024-06-01T09:20:00Z",
               "link": f"{base}/articles/{PAGES[0]}?stream=a3"},
        "a4": {"id": "urn:a4", "title": "Telefonat der Außenminister", "updated": "2024-06-01T09:30:00Z", "content": TEXT["a4"]},
        "a5": {"id": "urn:a5", "title": "Ferry", "updated": "2024-05-31T22:00:00Z", "content": TEXT["a5"]},
        "b1": {"id": "urn:b1", "title": "VOA report", "updated": "2024-06-01T08:00:00Z",
               "link": f"{base}/articles/{PAGES[2]}?stream=b1"},
    }


def _serve(server: FeedServer, run: str) -> tuple[FeedSpec, FeedSpec, dict[str, dict[str, str]]]:
    """Feed A changes on every poll (the entries newest first, old ones repeated); feed B never
    changes, so every poll after the first is a 304."""
    e = _entries(server.base)
    versions = [[e["a1"], e["a2"]], [e["a3"], e["a1"]], [e["a4"], e["a3"], e["a1"]], [e["a5"], e["a4"], e["a3"]]]
    path_a, path_b = f"/feeds/stream-{run}-a.atom", f"/feeds/stream-{run}-b.atom"
    server.feeds.sequences[path_a] = [atom("Feed A", v) for v in versions]
    server.feeds[path_b] = atom("Feed B", [e["b1"]])
    return (FeedSpec(server.base + path_a, publisher="Feed A"), FeedSpec(server.base + path_b, publisher="Feed B"), e)


def _ticks() -> TestStream:
    """Three on-time polls in three one-minute windows, then a late poll that belongs to the first."""
    return (TestStream()
            .advance_watermark_to(_ts(0))
            .add_elements([beam.window.TimestampedValue(_ts(10), _ts(10))])
            .advance_watermark_to(_ts(60))
            .add_elements([beam.window.TimestampedValue(_ts(70), _ts(70))])
            .advance_watermark_to(_ts(120))
            .add_elements([beam.window.TimestampedValue(_ts(130), _ts(130))])
            .advance_watermark_to(_ts(180))
            .add_elements([beam.window.TimestampedValue(_ts(50), _ts(50))])  # late: window 1 has fired
            .advance_watermark_to_infinity())


def _run_watch(specs: list[FeedSpec], out: Path) -> Any:
    settings = dataclasses.replace(load_settings(), fetch=FETCH, feeds=FEEDS)
    ctx = RunContext(output=str(out), run_id="stream-test", started_at=T0)
    options = PipelineOptions(runner="BundleBasedDirectRunner")
    options.view_as(StandardOptions).streaming = True
    pipeline = beam.Pipeline(options=options)
    _ = pipeline | "Ticks" >> _ticks() | "Watch" >> WatchFeeds(specs, settings, load_event_model(settings), ctx,
                                                                  window_minutes=1)
    result = pipeline.run()
    result.wait_until_finish()
    return result


def _article_of(rows: list[dict[str, Any]], entry: dict[str, str]) -> dict[str, Any]:
    """The article row of a feed entry: by its link, else (no link) by the entry id in its source URI."""
    found = [r for r in rows if r["url"] == entry.get("link", entry["id"]) or r["source_uri"].endswith("#" + entry["id"])]
    assert len(found) == 1, entry
    return found[0]


def _hits(server: FeedServer, marker: str) -> int:
    with server.lock:
        return sum(1 for path, _ in server.requests if marker in path)


def _all_rows(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {t: sorted(read_table(out, t), key=repr) for t in ("articles", "mentions", "events", "rejects")}


def test_streaming_graph_over_three_windows_a_repeat_a_304_and_a_late_poll(server: FeedServer,
                                                                            tmp_path: Path) -> None:
    spec_a, spec_b, e = _serve(server, "one")
    out = tmp_path / "out"
    _run_watch([spec_a, spec_b], out)

    rows = read_table(out, "articles")
    assert len(rows) == 6
    articles = {k: _article_of(rows, entry) for k, entry in e.items()}
    # Each article row is stamped with the end of the window that wrote it: the per-window output.
    assert {k: row["ingested_at"] for k, row in articles.items()} == {
        "a1": _window_end(0), "a2": _window_end(0), "b1": _window_end(0),  # first poll of both feeds
        "a3": _window_end(1),  # second poll: a1 again (remembered), feed B 304
        "a4": _window_end(2),  # third poll: a3 and a1 again, feed B 304
        "a5": _window_end(0),  # the late poll: a late pane of the first window
    }
    assert {k: row["fetch_status"] for k, row in articles.items()} == {
        "a1": "fetched", "a2": "fallback_summary", "a3": "fetched", "a4": "fallback_content",
        "a5": "fallback_content", "b1": "fetched"}
    # a1 is listed by three polls and a3 by two: each page was fetched once; feed B answered 304.
    assert _hits(server, "stream=a1") == 1 and _hits(server, "stream=a3") == 1 and _hits(server, "stream=b1") == 1
    assert server.feeds.served[spec_a.url.removeprefix(server.base)] == 4
    feed_b = [headers for path, headers in server.requests if path == spec_b.url.removeprefix(server.base)]
    etag_b = '"' + hashlib.sha1(server.feeds[spec_b.url.removeprefix(server.base)]).hexdigest()[:16] + '"'
    assert [h.get("If-None-Match") for h in feed_b] == [None, etag_b, etag_b, etag_b]  # answered 304
    # The articles are partitioned by their own dates, never by window.
    assert articles["a5"]["published_at"].date() == dt.date(2024, 5, 31)
    assert {p.parent.relative_to(out / "articles").as_posix() for p in (out / "articles").rglob("*.parquet")} == {
        "date=2024-05-31/language=en", "date=2024-06-01/language=en", "date=2024-06-01/language=de"}
    assert not list((out / tables.STAGING_DIR).rglob("*.parquet"))

    # A replay (a new job without state, every window firing again) writes identical partitions:
    # on the same output (nothing doubles, nothing moves) and on a fresh one (the same rows).
    before = _all_rows(out)
    assert before["mentions"] and before["events"]  # a4 reports a phone call
    files_before = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    for replay in (out, tmp_path / "fresh"):
        server.feeds.served.clear()
        _run_watch([spec_a, spec_b], replay)
        assert _all_rows(replay) == before
        assert sorted(p.relative_to(replay) for p in replay.rglob("*.parquet")) == files_before


def test_rewriting_a_window_gives_identical_partitions(tmp_path: Path) -> None:
    """The window's write, retried after it committed (or re-fired), leaves the same files."""
    ctx = RunContext(output=str(tmp_path), run_id="w", started_at=T0)
    a = records_factory.article(1)
    keyed = [(("articles", layout.partition_of("articles", to_row(a, "articles"), T0.date())), to_row(a, "articles"))]
    keyed += [(("mentions", layout.partition_of("mentions", to_row(m, "mentions"), T0.date())), to_row(m, "mentions"))
              for m in (records_factory.mention(a, 0), records_factory.mention(a, 1))]
    parts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key, row in keyed:
        parts.setdefault(key, []).append(row)
    first = write_window(ctx, list(parts.items()))
    files = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.parquet")}
    second = write_window(ctx, list(parts.items()))
    assert [(s.table, s.partition, s.rows) for s in first] == [(s.table, s.partition, s.rows) for s in second]
    assert {(s.table, s.rows) for s in second} == {("articles", 1), ("mentions", 2), ("events", 1)}
    assert {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.parquet")} == files
    assert not (tmp_path / tables.STAGING_DIR / "w").exists()


# --- the stateful poll, called directly ---------------------------------------------------------


class FakeState:
    """Stands in for Beam's ReadModifyWriteRuntimeState."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.writes = 0

    def read(self) -> str | None:
        return self.value

    def write(self, value: str) -> None:
        self.value, self.writes = value, self.writes + 1

    def clear(self) -> None:
        self.value = None


def test_poll_state_transitions(server: FeedServer) -> None:
    spec_a, spec_b, _ = _serve(server, "unit")
    fn = PollFeedStatefulFn(FEEDS, FETCH)
    fn.setup()
    try:
        state = FakeState()

        def poll(spec: FeedSpec, seconds: float) -> list[Any]:
            return list(fn.process((spec.url, spec), timestamp=_ts(seconds), state=state))

        first = poll(spec_a, 10)
        assert [p.entry.entry_id for p in first] == ["urn:a1", "urn:a2"]
        assert first[0].first_seen == T0 + dt.timedelta(seconds=10)
        s1 = decode_state(state.value, spec_a.url)
        assert s1.etag and s1.last_modified and set(s1.seen) == {"urn:a1", "urn:a2"}
        second = poll(spec_a, 70)  # a3 is new, a1 is remembered
        assert [p.entry.entry_id for p in second] == ["urn:a3"]
        s2 = decode_state(state.value, spec_a.url)
        assert s2.seen == ("urn:a2", "urn:a1", "urn:a3") and s2.etag != s1.etag

        state_b = FakeState()
        assert [p.entry.entry_id for p in fn.process((spec_b.url, spec_b), timestamp=_ts(10), state=state_b)] == [
            "urn:b1"]
        b1 = decode_state(state_b.value, spec_b.url)
        assert list(fn.process((spec_b.url, spec_b), timestamp=_ts(70), state=state_b)) == []  # 304
        b2 = decode_state(state_b.value, spec_b.url)
        assert (b2.etag, b2.seen) == (b1.etag, b1.seen) and b2.checked_at == _window_end(0).replace(
            second=10).isoformat()
        assert server.requests[-1][1].get("If-None-Match") == b1.etag

        gone = FeedSpec(f"{server.base}/feeds/stream-unit-missing.atom")
        state_gone = FakeState()
        state_gone.value = encode_state(gone.url, FeedState(etag='"x"', seen=("old",)))
        out = list(fn.process((gone.url, gone), timestamp=_ts(10), state=state_gone))
        assert len(out) == 1 and out[0].tag == "rejects" and out[0].value.reason == "feed/http_404"
        assert decode_state(state_gone.value, gone.url) == FeedState(etag='"x"', seen=("old",))  # kept
    finally:
        fn.teardown()


def test_state_encoding_round_trips_and_failed_polls_keep_state() -> None:
    state = FeedState(etag='"e"', last_modified="Mon, 01 Feb 2016 17:00:00 GMT", seen=("a", "b"),
                      checked_at=T0.isoformat())
    assert decode_state(encode_state("https://f/x", state), "https://f/x") == state
    assert decode_state(None, "https://f/x") == FeedState()
    from transforms.feeds.poll import FeedPoll
    failed = FeedPoll(FeedSpec("https://f/x"), "failed")
    assert next_state(state, failed) is state
    moved = FeedState(seen=("c",))
    assert next_state(state, FeedPoll(FeedSpec("https://f/x"), "ok", state=moved)) is moved


# --- eventwire watch --streaming -------------------------------------------------------------------


def test_watch_refuses_streaming_on_the_local_runners(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for runner in ("FnApiRunner", "DirectRunner", "BundleBasedDirectRunner"):
        code = watch.main(["http://127.0.0.1:9/feed.xml", "--output", str(tmp_path), "--streaming",
                           "--runner", runner])
        err = capsys.readouterr().err
        assert code == 2 and f"{runner} cannot fire the windows of an unbounded source" in err
        assert "polling loop" in err
    assert not list(tmp_path.iterdir())  # nothing polled, nothing written


def test_streaming_job_for_a_streaming_runner_has_the_impulse_the_state_and_the_windows(tmp_path: Path) -> None:
    """The job ``watch --streaming`` submits, built without a runner service (no network here)."""
    # a job server elsewhere: a local --output needs --shared-filesystem (tests/test_runners.py)
    job, _ = prepare(["https://example.org/feed.xml", "--output", str(tmp_path), "--runner", "PortableRunner",
                      "--job_endpoint", "localhost:9", "--shared-filesystem"], "eventwire watch",
                     watch.build_parser("eventwire watch", None))
    assert watch.runner_name(job) == "PortableRunner"
    pipeline = watch.streaming_pipeline(job, interval=300, window_minutes=5)
    assert job.options.view_as(StandardOptions).streaming
    proto = pipeline.to_runner_api()  # pickles every DoFn, as a submission does
    stateful = {}
    for transform in proto.components.transforms.values():
        if transform.spec.urn == common_urns.primitives.PAR_DO.urn:
            payload = beam_runner_api_pb2.ParDoPayload.FromString(transform.spec.payload)
            if payload.state_specs:
                stateful[transform.unique_name.rsplit("/", 1)[0]] = sorted(payload.state_specs)
    assert stateful == {"Watch/PollFeeds/Poll": ["feed_state"], "Watch/ToTables/Write/WriteWindows": ["last_window"]}
    names = {t.unique_name for t in proto.components.transforms.values()}
    assert "PollTicks/Impulse/GenSequence" in names
    # The batch stages, under the same names as in `eventwire feeds`: shared, not copied.
    assert {"Watch/FetchPages/GroupByHost", "Watch/ToTables/Clean", "Watch/ToTables/DedupArticles",
            "Watch/ToTables/LearnedBoilerplate", "Watch/ToTables/Analyze", "Watch/ToTables/Write/ByPartition"} <= names
    assert not any("JoinMentions" in n or "Reanalyze" in n for n in names)  # one path per article, no join
    assert not any("ExistingArticles" in n for n in names)  # no stale index side input in streaming
    fixed = [w for w in proto.components.windowing_strategies.values()
             if w.window_fn.urn == "beam:window_fn:fixed_windows:v1"]
    assert fixed and {w.allowed_lateness for w in fixed} == {24 * 3600 * 1000}
