"""The feed monitor and the watcher end to end: real HTTP server, real Beam runner, real Parquet."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
import duckdb
import pytest

import pipeline.feeds as feeds_cli
from pipeline.cli import main as cli_main
from tests.feedserver import FIXTURES, CountingListener, FeedServer, localize_feed
from transforms.feeds.state import read_states

REPO = Path(__file__).resolve().parents[1]
CYCLE = re.compile(r"cycle \d+: 1 feed\(s\)")
LOCAL = ["--allow-private-networks", "--direct_num_workers=1"]


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    srv = FeedServer().start()
    full, links = localize_feed((FIXTURES / "heise-developer.atom").read_bytes(), srv.base, "heise")
    srv.heise_full, srv.heise_links = full, links  # type: ignore[attr-defined]
    srv.feeds["/feeds/heise.atom"] = _drop_first_entries(full, 2)
    spiegel, _ = localize_feed((FIXTURES / "spiegel-update-podcast.rss").read_bytes(), srv.base, "spiegel")
    srv.feeds["/feeds/spiegel.rss"] = spiegel.replace(b"/articles/", b"/gone/")  # its page is dead: fallback
    nbc, _ = localize_feed((FIXTURES / "nbcnewyork.rss").read_bytes(), srv.base, "nbc")
    srv.feeds["/feeds/nbc.rss"] = nbc
    yield srv
    srv.stop()


def _drop_first_entries(data: bytes, count: int) -> bytes:
    for _ in range(count):
        start = data.index(b"<entry>")
        data = data[:start] + data[data.index(b"</entry>", start) + len(b"</entry>"):]
    return data


def _job(argv: list[str]) -> feeds_cli.Job:
    job, _ = feeds_cli.prepare(argv + LOCAL)
    fast = dataclasses.replace(job.settings.fetch, min_host_delay_seconds=0.0, connect_timeout=1.0,
                               read_timeout=2.0, deadline_seconds=5.0, backoff_seconds=0.05)
    job.settings = dataclasses.replace(job.settings, fetch=fast)
    return job


def _articles(out: Path) -> list[dict]:
    con = duckdb.connect()
    rows = con.execute(f"SELECT url, fetch_status, published_at, published_basis, source FROM read_parquet("
                       f"'{out}/articles/**/*.parquet', hive_partitioning=false)").fetchall()
    return [dict(zip(["url", "fetch_status", "published_at", "published_basis", "source"], r, strict=True)) for r in rows]


def test_monitor_fetches_only_what_is_new(server: FeedServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    heise, spiegel = f"{server.base}/feeds/heise.atom", f"{server.base}/feeds/spiegel.rss"
    job = _job([heise, spiegel, "--output", str(out)])

    pages = server.page_hits()
    first = feeds_cli.run_once(job)
    assert [p.status for p in first.polls] == ["ok", "ok"]
    assert server.page_hits() - pages == 13  # 15 entries, 2 of them not yet in the feed
    assert sum(n for p, n in server.hits.items() if p.startswith("/gone/")) == 1  # 404: no retry
    assert first.summary.get("fetch:fetched") == 13 and first.summary.get("fetch:fallback_content") == 1
    rows = _articles(out)
    assert rows and {r["url"] for r in rows} <= set(server.heise_links) | {  # type: ignore[attr-defined]
        p.entries[0].entry.link for p in first.polls[1:]}
    fetched = [r for r in rows if r["fetch_status"] == "fetched"]
    assert fetched and all(r["published_basis"] == "feed" and r["source"] == "heise developer neueste Meldungen"
                           for r in fetched)
    assert all(r["published_at"].year == 2016 for r in fetched)  # the entries' dates, not the fetch time
    state = read_states(str(out))
    assert len(state[heise].seen) == 13 and state[heise].etag

    # unchanged feeds: one conditional request each, no page
    feed_hits, pages = server.hits["/feeds/heise.atom"], server.page_hits()
    second = feeds_cli.run_once(job)
    assert [p.status for p in second.polls] == ["not_modified", "not_modified"]
    assert server.hits["/feeds/heise.atom"] - feed_hits == 1 and server.page_hits() == pages
    assert [h.get("If-None-Match") for p, h in server.requests if p == "/feeds/heise.atom"][-1] == state[heise].etag

    # two new entries: exactly two page fetches
    server.feeds["/feeds/heise.atom"] = server.heise_full  # type: ignore[attr-defined]
    third = feeds_cli.run_once(job)
    assert server.page_hits() - pages == 2
    assert [p.entry.link for p in third.polls[0].entries] == server.heise_links[:2]  # type: ignore[attr-defined]
    after_third = read_states(str(out))
    assert len(after_third[heise].seen) == 15

    # a failing feed keeps its state; the other one moves on
    del server.feeds["/feeds/heise.atom"]
    fourth = feeds_cli.run_once(job)
    assert fourth.polls[0].status == "failed" and fourth.polls[0].reject.reason == "feed/http_404"
    after_fourth = read_states(str(out))
    assert after_fourth[heise] == after_third[heise]
    assert after_fourth[spiegel].etag == after_third[spiegel].etag  # polled again (304), state carried over
    rejects = duckdb.connect().execute(f"SELECT stage, reason, source_uri FROM read_parquet("
                                       f"'{out}/rejects/**/*.parquet', hive_partitioning=false)").fetchall()
    assert ("feed", "feed/http_404", heise) in rejects
    server.feeds["/feeds/heise.atom"] = server.heise_full  # type: ignore[attr-defined]


class _Boom(beam.PTransform):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()

    def expand(self, pcolls):  # type: ignore[no-untyped-def]
        def explode(_: object) -> None:
            raise RuntimeError("disk full")

        return pcolls["docs"] | beam.Map(explode)


def test_state_is_committed_only_after_the_outputs(server: FeedServer, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    nbc = f"{server.base}/feeds/nbc.rss"
    job = _job([nbc, "--output", str(out)])
    monkeypatch.setattr(feeds_cli, "ArticlesToTables", _Boom)
    with pytest.raises(Exception, match="disk full"):
        feeds_cli.run_once(job)
    assert read_states(str(out)) == {}
    monkeypatch.undo()
    pages = server.page_hits()
    again = feeds_cli.run_once(job)  # nothing was skipped: the entry is fetched again
    assert again.polls[0].status == "ok" and server.page_hits() - pages == 1
    assert len(read_states(str(out))[nbc].seen) == 1


def test_without_the_opt_in_no_loopback_connection_is_opened(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    listener = CountingListener("127.0.0.1")
    try:
        out = tmp_path / "out"
        for host in ("127.0.0.1", "2130706433", "0x7f.1", "localhost"):
            rc = cli_main(["feeds", f"http://{host}:{listener.port}/feed.xml", "--output", str(out),
                           "--direct_num_workers=1"])
            assert rc == feeds_cli.NO_FEED_READ  # its only feed could not be read (was 0: cron could not alert)
        assert listener.accepted == 0
        reasons = duckdb.connect().execute(f"SELECT DISTINCT reason FROM read_parquet("
                                           f"'{out}/rejects/**/*.parquet', hive_partitioning=false)").fetchall()
        assert reasons == [("feed/blocked_address",)]
        printed = capsys.readouterr().out
        assert "feed/blocked_address" in printed
        assert "--allow-private-networks" in printed  # the message names the opt-in
        assert "eventwire feeds " in printed and "eventwire run " not in printed  # the summary names its command
        manifests = [json.loads(p.read_text()) for p in (out / "_runs").glob("*.json")]
        assert len(manifests) == 4 and {m["command"] for m in manifests} == {"feeds"}
    finally:
        listener.close()


def test_watch_runs_cycles_and_stops_cleanly_on_sigterm(server: FeedServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVENTWIRE_LOG_LEVEL": "INFO"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "watch", f"{server.base}/feeds/nbc.rss", "--output", str(out),
         "--interval", "3", *LOCAL], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        while sum("cycle " in ln and ": 1 feed(s)" in ln for ln in lines) < 2 and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
        cycles = [ln for ln in lines if CYCLE.search(ln)]
        assert len(cycles) == 2, "".join(lines)
        assert "1 changed" in cycles[0] and "1 page request(s)" in cycles[0]
        assert "1 not modified" in cycles[1] and "0 page request(s)" in cycles[1]
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = "".join(lines) + rest
    assert proc.returncode == 0, log
    assert "polling-loop mode" in log and "SIGTERM received" in log and "watch stopped after 2 cycle(s)" in log
    state = json.loads((out / "_state" / "feeds.json").read_text())
    assert len(state["feeds"][f"{server.base}/feeds/nbc.rss"]["seen"]) == 1


def test_watch_stops_on_a_damaged_output_with_one_line_and_exit_2(server: FeedServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    damaged = out / "articles" / "date=2024-06-01" / "language=de" / "data.parquet"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"PAR1 not parquet")
    env = {**os.environ, "PYTHONPATH": str(REPO), "EVENTWIRE_LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "watch", f"{server.base}/feeds/nbc.rss", "--output", str(out),
         "--interval", "1", "--max-cycles", "3", *LOCAL], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-3000:]  # was 0, after 3 tracebacks
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eventwire watch: ") and str(damaged) in lines[0], result.stderr
    assert "--repair" in lines[0] and "Traceback" not in result.stderr
    assert damaged.read_bytes() == b"PAR1 not parquet"  # nothing moved or deleted without --repair
