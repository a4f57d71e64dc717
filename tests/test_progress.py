"""Progress lines of a run: input done out of the total, documents so far, the time left."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import FAST_BEAM, REPO, run_cli
from transforms.read.progress import InputTotals, ReadProgress, ends_file, work_bytes


def test_work_items_add_up_to_the_files_and_bytes() -> None:
    whole = ("a.txt", 1000, 0, None, 0, 1)
    ranges = [("b.warc.gz", 300, 0, 100, 0, 1), ("b.warc.gz", 300, 100, 300, 0, 1)]
    shards = [("c.jsonl", 900, 0, None, s, 3) for s in range(3)]
    items = [whole, *ranges, *shards]
    assert sum(work_bytes(w) for w in items) == 1000 + 300 + 900
    assert sum(ends_file(w) for w in items) == 3


def test_read_progress_line() -> None:
    progress = ReadProgress(InputTotals(4, 4e6), every=3600)
    progress._tracker.started = 0.0
    progress.work_done(("a", 1_000_000, 0, None, 0, 1))
    progress.documents = 12
    assert progress.line(now=10.0) == ("read 25% of the input (1.0 MB of 4.0 MB, 1/4 files), 12 documents so far, "
                                       "about 30 s left")


def test_a_run_logs_done_of_total(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(REPO / "seeds", inputs)
    (inputs / "more.txt").write_text("Titel\n\n" + "Der Minister traf den Botschafter in Wien. " * 10)
    result = run_cli("run", str(inputs), "--output", str(tmp_path / "out"), *FAST_BEAM,
                     env={"EVENTWIRE_PROGRESS_SECONDS": "0", "EVENTWIRE_LOG_LEVEL": "INFO"})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "eventwire.progress" in line]
    assert len(lines) == 3, result.stderr  # one per input file (the interval is 0)
    assert re.search(r"read 100% of the input \([\d.]+ MB of [\d.]+ MB, 3/3 files\), 3 documents so far, "
                     r"about 0 s left$", lines[-1]), lines[-1]
    assert all("/3 files" in line for line in lines)


def test_finished_in_counts_the_start_up(tmp_path: Path) -> None:
    """The summary's time is the command's, start-up included: close to what the shell measures."""
    import time

    started = time.monotonic()
    result = run_cli("run", str(REPO / "seeds"), "--output", str(tmp_path / "out"), *FAST_BEAM)
    wall = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    match = re.search(r"finished in ([\d.]+) s \(([\d.]+) s of start-up\)", result.stdout)
    assert match, result.stdout
    total, startup = float(match.group(1)), float(match.group(2))
    assert 0 < startup < total <= wall + 0.1
    assert wall - total < 1.5, (wall, total)  # what is left: exec, and the exit after the summary


def test_process_age_is_this_process_age() -> None:
    import subprocess
    import sys

    code = "import time; time.sleep(0.5); from transforms.eta import process_age_seconds as a; print(a())"
    age = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                               check=True).stdout)
    assert 0.5 <= age < 5
