"""What a feed run tells its operator: progress, failed hosts not retried, why each page was not
fetched, an exit status for cron, and short summaries kept when they hold a sentence.

A real HTTP server on 127.0.0.1 (tests/feedserver.py), a closed local port as a dead host, a second
server that answers 503 to everything, and ``eventwire feeds`` as a real subprocess.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

import pipeline.feeds as feeds_cli
from tests.conftest import read_table, run_cli
from tests.feedserver import PAGES, FeedServer
from transforms.eta import Tracker, duration, estimate_left


def sentence(i: int) -> str:  # a distinct text per entry: copies would be content duplicates
    return f"Der Außenminister traf am Montag in Wien seinen Amtskollegen aus dem Land Nummer {i} zu Gesprächen."
NO_SENTENCE = "Außenminister in Wien"  # a headline, no sentence
EVENT_SENTENCE = ("Einer Mitteilung des russischen Außenministeriums zufolge fand am Samstag ein Telefongespräch "
                  "zwischen Sergei Lawrow und seinem aserbaidschanischen Amtskollegen Dscheichun Bairamov statt.")
LONG = ("Die Regierung hat am Dienstag ein neues Gesetz beschlossen, das die Finanzierung der Gemeinden "
        "neu regelt. Der Finanzminister sprach von einem wichtigen Schritt für die Länder und Städte. ") * 2


def rss(items: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 feed of (link, plain-text summary) items."""
    body = "".join(f"<item><title>Meldung {i}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
                   f"<description>{escape(summary)}</description>"
                   f"<pubDate>Mon, 0{1 + i % 8} Jun 2025 10:00:00 GMT</pubDate></item>"
                   for i, (link, summary) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Test</title>'
            f"<link>http://example.org/</link><description>t</description>{body}</channel></rss>").encode()


def closed_port() -> int:
    with socket.socket() as sock:  # bound, then closed: nothing listens there afterwards
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FeedServer, FeedServer]]:
    main, broken = FeedServer().start(), FeedServer().start()
    yield main, broken
    main.stop()
    broken.stop()


def feeds_run(tmp_path: Path, *feeds: str) -> tuple[int, str, str, dict, Path]:
    out = tmp_path / "out"
    result = run_cli("feeds", *feeds, "--output", str(out), "--allow-private-networks", "--direct_num_workers=1",
                     env={"EVENTWIRE_LOG_LEVEL": "INFO", "EVENTWIRE_PROGRESS_SECONDS": "0"})
    manifests = [json.loads(p.read_text()) for p in sorted((out / "_runs").glob("*.json"))]
    return result.returncode, result.stdout, result.stderr, manifests[-1] if manifests else {}, out


def test_dead_host_is_tried_once_and_every_page_says_why(servers: tuple[FeedServer, FeedServer],
                                                         tmp_path: Path) -> None:
    main, broken = servers
    dead = f"http://127.0.0.1:{closed_port()}"
    items = [(f"{dead}/a/{i}", sentence(i)) for i in range(5)]  # connection refused, each retried
    items += [(f"{broken.base}/error?i={i}", sentence(10 + i)) for i in range(4)]  # 503 to every request
    items += [(f"{main.base}/articles/{PAGES[0]}", LONG)]  # fetched
    items += [(f"{dead}/b", NO_SENTENCE)]  # not fetched, and no sentence to keep
    items += [(f"{dead}/c", EVENT_SENTENCE)]  # a short summary that reports an event
    main.feeds["/feeds/mixed.rss"] = rss(items)
    broken_before = sum(broken.hits.values())
    status, stdout, stderr, manifest, out = feeds_run(tmp_path, f"{main.base}/feeds/mixed.rss")
    assert status == 0, stderr
    counters = manifest["counters"]
    # the dead host: one fetch with its retries (3 connection attempts), its other 6 pages not tried
    assert counters["fetch_error:fetch/connect_error"] == 7
    # the 503 host: two fetches (3 attempts each) make it a failed host; its other 2 pages are not tried
    assert sum(broken.hits.values()) - broken_before == 6
    assert counters["fetch_error:fetch/http_503"] == 4
    assert counters["pages_not_tried"] == 6 + 2
    assert counters["fetch:fetched"] == 1
    # the reason each page was not fetched is on its article row
    articles = {a["url"]: a for a in read_table(out, "articles")}
    dead_rows = [a for url, a in articles.items() if url.startswith(dead)]
    assert len(dead_rows) == 6 and all(a["fetch_error"].startswith("fetch/connect_error: ") for a in dead_rows)
    assert sum("not tried" in a["fetch_error"] for a in dead_rows) == 5
    assert all(a["fetch_status"] == "fallback_summary_short" for a in dead_rows)  # short, with a sentence: kept
    assert articles[items[9][0]]["fetch_status"] == "fetched" and articles[items[9][0]]["fetch_error"] is None
    rejects = {r["source_uri"]: r for r in read_table(out, "rejects")}
    assert rejects[f"{dead}/b"]["reason"] == "clean/too_short"  # a headline alone is not kept
    # the events of a short summary count
    call = articles[f"{dead}/c"]
    assert len(EVENT_SENTENCE) < 200 and call["fetch_status"] == "fallback_summary_short"
    assert "CONSULT" in {m["event_type"] for m in read_table(out, "mentions") if m["article_id"] == call["article_id"]}
    # the operator sees it: progress per feed, a line per failed host, the summary of outcomes
    assert "feed 1/1 " in stderr and "1 failed" not in stderr.split("feed 1/1", 1)[1].splitlines()[0]
    assert stderr.count("its other pages are not tried in this run") == 2
    assert "feed pages: 12/12 entries done (1 fetched, 11 not fetched; 2 host(s) failed), about 0 s left" in stderr
    assert "pages not fetched       11" in stdout and "8 not tried: their host had failed" in stdout


def test_exit_status_when_no_feed_could_be_read(servers: tuple[FeedServer, FeedServer], tmp_path: Path) -> None:
    main, _ = servers
    main.feeds["/feeds/one.rss"] = rss([(f"{main.base}/articles/{PAGES[1]}", LONG)])
    status, stdout, stderr, manifest, _ = feeds_run(tmp_path / "all", f"{main.base}/feeds/missing.rss",
                                                    f"http://127.0.0.1:{closed_port()}/feed.rss")
    assert status == feeds_cli.NO_FEED_READ == 3, stderr
    assert "no feed could be read: exit status 3" in stdout
    assert (manifest["feeds_read"], manifest["feeds_failed"], manifest["exit_status"]) == (0, 2, 3)
    assert "feed 1/2 " in stderr and "feed 2/2 " in stderr
    # partial failure: exit 0, the failure in the summary and the manifest
    status, stdout, stderr, manifest, _ = feeds_run(tmp_path / "some", f"{main.base}/feeds/missing.rss",
                                                    f"{main.base}/feeds/one.rss")
    assert status == 0, stderr
    assert "1 failed" in stdout and "feed/http_404" in stdout
    assert (manifest["feeds_read"], manifest["feeds_failed"], manifest["exit_status"]) == (1, 1, 0)


def test_blocked_address_names_the_opt_in(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("feeds", f"http://127.0.0.1:{closed_port()}/feed.rss", "--output", str(out),
                     "--direct_num_workers=1")
    assert result.returncode == feeds_cli.NO_FEED_READ
    assert "feed/blocked_address" in result.stdout and "--allow-private-networks allows" in result.stdout


def test_tracker_estimates_time_left() -> None:
    tracker = Tracker(total=100, every=10, started=0.0)
    assert tracker.left(5.0) == ""  # nothing done: no estimate
    tracker.advance(25)
    assert tracker.left(30.0) == ", about 1 min 30 s left" and tracker.fraction() == "25%"
    assert not tracker.due(5.0) and tracker.due(10.0) and not tracker.due(15.0) and tracker.due(20.0)
    assert estimate_left(0, 10, 5) is None and estimate_left(10, 10, 5) == 0.0
    assert (duration(59.4), duration(61), duration(7325)) == ("59 s", "1 min 01 s", "2 h 02 min")


def test_fetcher_skips_a_failed_host_until_told_to_forget(servers: tuple[FeedServer, FeedServer]) -> None:
    import dataclasses

    from transforms.net.client import FetchError, FetchResult, GuardedFetcher
    from transforms.settings import FetchSettings

    main, broken = servers
    fast = dataclasses.replace(FetchSettings(), allow_private_networks=True, min_host_delay_seconds=0.0,
                               backoff_seconds=0.01, retries=1)
    fetcher = GuardedFetcher(fast)
    dead = f"http://127.0.0.1:{closed_port()}"
    first = fetcher.fetch(f"{dead}/1")
    assert isinstance(first, FetchError) and first.reason == "fetch/connect_error"
    requests = fetcher.requests
    again = fetcher.fetch(f"{dead}/2")
    assert isinstance(again, FetchError) and again.reason == "fetch/connect_error"
    assert again.detail.startswith("not tried: 127.0.0.1:") and fetcher.requests == requests  # no request sent
    assert isinstance(fetcher.fetch(f"{main.base}/articles/{PAGES[0]}"), FetchResult)  # another port: a server
    # 5xx: one failed fetch (with its retry) is not enough, the second in a row is
    hits = sum(broken.hits.values())
    assert fetcher.fetch(f"{broken.base}/error?a").reason == "fetch/http_503"
    assert fetcher.fetch(f"{broken.base}/error?b").reason == "fetch/http_503"
    assert "not tried" in fetcher.fetch(f"{broken.base}/error?c").detail
    assert sum(broken.hits.values()) - hits == 4
    fetcher.forget_failed_hosts()
    assert fetcher.fetch(f"{broken.base}/error?d").detail == "HTTP 503"  # asked again
    fetcher.close()
