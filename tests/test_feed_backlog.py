"""Large feeds (issue #25): a run takes the newest new entries first, reports the rest as a backlog
(summary and manifest), and never takes an entry again while the feed still lists it, however long
the feed. Pure state arithmetic, then real polls of a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tests.feedserver import FeedServer
from transforms.feeds.poll import (
    FeedEntry,
    FeedSpec,
    FeedState,
    advance_state,
    newest,
    poll_feed,
    select_new,
    unseen,
)
from transforms.net.client import GuardedFetcher
from transforms.settings import FeedSettings, FetchSettings, packaged_config_dir

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)
FETCH = FetchSettings(connect_timeout=1.0, read_timeout=1.0, deadline_seconds=3.0, retries=0,
                      backoff_seconds=0.05, min_host_delay_seconds=0.0, allow_private_networks=True)


def _entry(i: int, dated: bool = True) -> FeedEntry:
    return FeedEntry("f", f"id{i}", None, f"t{i}", T0 + dt.timedelta(hours=i) if dated else None, None, False,
                     None, False)


def test_the_newest_unseen_entries_are_taken_even_from_an_oldest_first_feed() -> None:
    oldest_first = [_entry(i) for i in range(10)]
    assert [e.entry_id for e in select_new(oldest_first, FeedState(seen=("id9",)), 3)] == ["id6", "id7", "id8"]
    mixed = [_entry(1, dated=False), _entry(5), _entry(2, dated=False), _entry(7)]
    assert [e.entry_id for e in newest(mixed, 3)] == ["id1", "id5", "id7"]  # dated first; taken in feed order
    assert [e.entry_id for e in unseen(mixed, FeedState(seen=("id5",)))] == ["id1", "id2", "id7"]


def test_a_feed_longer_than_the_memory_is_taken_whole_and_never_twice() -> None:
    """The issue's numbers, scaled: 200 taken per poll and 5,000 ids kept meant that of a 100k-item
    feed 5,200 distinct entries were ever taken and the oldest were taken again every 26 runs."""
    feed = [_entry(i) for i in range(999, -1, -1)]  # 1,000 entries, newest first
    state, taken, backlogs = FeedState(), [], []
    for _ in range(60):
        candidates = unseen(feed, state)
        fresh = newest(candidates, 20)
        backlogs.append(len(candidates) - len(fresh))
        taken += [e.entry_id for e in fresh]
        state = advance_state(state, fresh, None, None, T0, max_seen=50, in_feed=(e.entry_id for e in feed))
    assert len(taken) == len(set(taken)) == 1000  # every entry once, none again
    assert taken == [f"id{i}" for i in range(999, -1, -1)]  # newest first, run after run
    assert backlogs[:3] == [980, 960, 940] and backlogs[-1] == 0
    gone = advance_state(state, [], None, None, T0, max_seen=50, in_feed=["id1"])  # the feed moved on
    assert len(gone.seen) == 50 and "id1" in gone.seen  # forgetting starts with ids the feed no longer lists


def _rss(base: str, count: int) -> bytes:
    items = "".join(
        f"<item><guid>{base}/articles/n{i}</guid><link>{base}/articles/n{i}</link><title>Nachricht {i}</title>"
        f"<pubDate>{(T0 + dt.timedelta(hours=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>Kurz {i}.</description></item>" for i in range(count))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gross</title>{items}</channel></rss>'.encode()


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    srv.feeds["/feeds/big.rss"] = _rss(srv.base, 25)
    yield srv
    srv.stop()


def test_polls_of_a_real_feed_take_the_backlog_run_after_run(server: FeedServer) -> None:
    spec = FeedSpec(f"{server.base}/feeds/big.rss")
    settings = FeedSettings(max_entries_per_feed=10, max_seen_per_feed=5)
    fetcher = GuardedFetcher(FETCH)
    state, seen_titles = FeedState(), []
    for expected, backlog in ((10, 15), (10, 5), (5, 0)):
        poll = poll_feed(fetcher, spec, state, settings, T0)
        assert (poll.status, len(poll.entries), poll.backlog) == ("ok", expected, backlog)
        # with a backlog the feed's validators are not kept: an unchanged feed is read again, not a 304
        assert (poll.state.etag is None) == (backlog > 0)
        seen_titles += [p.entry.title for p in poll.entries]
        state = poll.state
    # the feed lists oldest first: each poll takes the newest ten left, in feed order
    assert seen_titles == [f"Nachricht {i}" for i in [*range(15, 25), *range(5, 15), *range(5)]]
    assert poll_feed(fetcher, spec, state, settings, T0).status == "not_modified"
    fetcher.close()


def test_the_summary_and_the_manifest_report_the_backlog(server: FeedServer, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(packaged_config_dir(), config, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    data = yaml.safe_load((config / "pipeline.yaml").read_text(encoding="utf-8"))
    data["feeds"]["max_entries_per_feed"] = 10
    data["fetch"]["min_host_delay_seconds"] = 0.0
    (config / "pipeline.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    output = tmp_path / "out"
    result = run_cli("feeds", f"{server.base}/feeds/big.rss", "--output", str(output), "--config",
                     str(config / "pipeline.yaml"), "--allow-private-networks", "--direct_num_workers=1", timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "15 more left for the next runs" in result.stdout and "backlog 15" in result.stdout
    [manifest] = [json.loads(p.read_text()) for p in (output / "_runs").glob("*.json")]
    assert manifest["backlog"] == 15
    assert manifest["feeds"][f"{server.base}/feeds/big.rss"]["backlog"] == 15
