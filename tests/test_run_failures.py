"""A run that fails (issue #25): a full disk while staging leaves no staged Parquet behind and the
old tables; a full disk at the run manifest leaves the committed data, exit status 1 and one line,
and the next run writes the missing manifest from the commit journal. Real full filesystems: small
tmpfs mounts (needs root; skipped elsewhere)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_BEAM, REPO, read_table, run_cli

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None, reason="mounts a tmpfs: needs root")


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode()[:200]}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(folder: Path, leave: int) -> Path:
    stats = os.statvfs(folder)
    filler = folder / "filler.bin"
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave))
    return filler


def _articles(path: Path, count: int) -> None:
    body = ("Der Außenminister traf am Montag in Berlin seinen Amtskollegen zu Gesprächen über die Lage. "
            "Beide Seiten vereinbarten, die Zusammenarbeit im kommenden Jahr fortzusetzen. ") * 20
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps({"url": f"https://example.org/{i}", "title": f"Bericht {i}",
                                  "text": f"Bericht Nummer {i}. {body} Ende {i}.", "published_at": "2024-05-31"}) + "\n")


def _digest(output: Path) -> dict[str, str]:
    return {str(p.relative_to(output)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(output.rglob("*.parquet")) if "_staging" not in p.parts}


def test_a_full_disk_while_staging_leaves_the_old_tables_and_no_staging(tmp_path: Path) -> None:
    inputs = tmp_path / "in.jsonl"
    _articles(inputs, 40)
    with tmpfs(tmp_path / "out", "3m") as output:
        first = run_cli("run", str(REPO / "seeds"), "--output", str(output), *FAST_BEAM, timeout=240)
        assert first.returncode == 0, first.stderr[-2000:]
        before = _digest(output)
        filler = _fill(output, leave=24 << 10)  # room for the lock, not for 40 articles' Parquet
        failed = run_cli("run", str(inputs), "--output", str(output), *FAST_BEAM, timeout=240)
        assert failed.returncode == 1, failed.stderr[-3000:]
        last = failed.stderr.strip().splitlines()[-1]
        assert last.startswith("eventwire run: failed:") and "No space left" in last and "nothing was committed" in last
        assert "Traceback" not in failed.stderr
        assert _digest(output) == before
        staging = output / "_staging"
        assert not staging.exists() or not any(staging.iterdir())  # the failed run's staging is gone at once
        assert not (output / "_lock.json").exists()
        filler.unlink()
        again = run_cli("run", str(inputs), "--output", str(output), *FAST_BEAM, timeout=240)
        assert again.returncode == 0, again.stderr[-2000:]
        assert len(read_table(output, "articles")) == 2 + 40


def test_a_full_disk_at_the_manifest_is_exit_1_and_the_next_run_writes_it(tmp_path: Path) -> None:
    output = tmp_path / "out"
    runs = output / "_runs"
    with tmpfs(runs, "8k"):
        _fill(runs, leave=0)
        failed = run_cli("run", str(REPO / "seeds"), "--output", str(output), *FAST_BEAM, timeout=240)
        assert failed.returncode == 1, failed.stderr[-3000:]
        [line] = failed.stderr.strip().splitlines()[-1:]
        assert "new data is committed" in line and "manifest could not be written" in line and "No space" in line
        assert not [p for p in runs.iterdir() if p.name != "filler.bin"]  # no half manifest
        assert len(read_table(output, "articles")) == 2  # the data is committed
        journals = list((output / "_staging").glob("*/_commit.json"))
        assert len(journals) == 1
        failed_run = journals[0].parent.name
    again = run_cli("run", str(REPO / "seeds"), "--output", str(output), *FAST_BEAM, timeout=240)
    assert again.returncode == 0, again.stderr[-2000:]
    recovered = json.loads((runs / f"{failed_run}.json").read_text())
    assert recovered["complete"] is False and recovered["written"]["articles"][0]["rows"] == 2
    assert len(list(runs.glob("*.json"))) == 2 and not list((output / "_staging").glob("*/_commit.json"))


@pytest.fixture
def nbc_feed() -> Iterator[str]:
    """A real feed server on 127.0.0.1 with one feed of one entry (its page served too)."""
    from tests.feedserver import FIXTURES, FeedServer, localize_feed

    server = FeedServer().start()
    server.feeds["/feeds/nbc.rss"], _ = localize_feed((FIXTURES / "nbcnewyork.rss").read_bytes(), server.base, "nbc")
    try:
        yield f"{server.base}/feeds/nbc.rss"
    finally:
        server.stop()


FEEDS_LOCAL = ["--allow-private-networks", *FAST_BEAM]


def test_a_feeds_run_that_fails_removes_its_staging_and_says_so_in_one_line(tmp_path: Path, nbc_feed: str) -> None:
    with tmpfs(tmp_path / "out", "3m") as output:
        filler = _fill(output, leave=8 << 10)  # room for the lock, not for the tables' Parquet
        failed = run_cli("feeds", nbc_feed, "--output", str(output), *FEEDS_LOCAL, timeout=240)
        assert failed.returncode == 1, failed.stderr[-3000:]
        last = failed.stderr.strip().splitlines()[-1]
        assert last.startswith("eventwire feeds: failed:") and "No space left" in last, failed.stderr[-3000:]
        assert "nothing was committed" in last and "feed state is unchanged" in last
        assert "Traceback" not in failed.stderr
        staging = output / "_staging"
        assert not staging.exists() or not any(staging.iterdir())  # settled at once, as a failed run is
        assert not (output / "_lock.json").exists() and not (output / "_state" / "feeds.json").exists()
        filler.unlink()
        again = run_cli("feeds", nbc_feed, "--output", str(output), *FEEDS_LOCAL, timeout=240)
        assert again.returncode == 0, again.stderr[-2000:]
        assert len(read_table(output, "articles")) == 1  # the entry was not skipped


def test_a_watcher_whose_cycles_fail_goes_on_and_exits_1(tmp_path: Path, nbc_feed: str) -> None:
    with tmpfs(tmp_path / "out", "3m") as output:
        _fill(output, leave=8 << 10)
        watched = run_cli("watch", nbc_feed, "--output", str(output), "--interval", "1", "--max-cycles", "2",
                          *FEEDS_LOCAL, timeout=240, env={"EVENTWIRE_LOG_LEVEL": "INFO"})
        assert watched.returncode == 1, watched.stderr[-3000:]  # was 0: a supervisor saw no failure
        failures = [ln for ln in watched.stderr.splitlines() if "cycle" in ln and "failed: OSError" in ln]
        assert len(failures) == 2 and all("No space left" in ln for ln in failures), watched.stderr[-3000:]
        assert "Traceback" not in watched.stderr  # an environment failure is one line per cycle
        assert watched.stderr.strip().splitlines()[-1] == "eventwire watch: 2 of 2 cycle(s) failed (see the log above)"
        staging = output / "_staging"
        assert not staging.exists() or not any(staging.iterdir())
