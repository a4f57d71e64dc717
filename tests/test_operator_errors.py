"""What an operator sees when the environment is wrong or they press Ctrl-C: one line, a status.

Real subprocesses: a read-only filesystem is a real read-only tmpfs mount in a private mount
namespace (``unshare -m``, as root) or, for a developer who is not root, a folder without write
permission; Ctrl-C is SIGINT to the run's whole process group, as a terminal sends it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAST_BEAM, REPO, run_cli


def error_lines(stderr: str) -> list[str]:
    """stderr without the INFO/WARNING log lines a run prints on its way."""
    return [line for line in stderr.splitlines() if line.strip() and " INFO " not in line and " WARNING " not in line]


def assert_one_line(result: subprocess.CompletedProcess[str], status: int, *words: str) -> str:
    lines = error_lines(result.stderr)
    assert result.returncode == status, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_output_naming_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "results.parquet"
    target.write_bytes(b"not a folder")
    result = run_cli("run", str(REPO / "seeds"), "--output", str(target), *FAST_BEAM)
    assert_one_line(result, 2, "eventwire run:", str(target), "is a file, not a folder")
    assert target.read_bytes() == b"not a folder"
    feeds = run_cli("feeds", "http://127.0.0.1:9/feed.xml", "--output", str(target / "sub"))
    assert_one_line(feeds, 2, "eventwire feeds:", "cannot create the folder")


def _in_read_only_mount(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``eventwire ARGS`` with MOUNT (in the args) a read-only filesystem, or a folder it cannot write."""
    mount = tmp_path / "ro"
    mount.mkdir()
    command = [sys.executable, "-m", "pipeline.cli", *[a.replace("MOUNT", str(mount)) for a in args]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("root without unshare: no private mount namespace for a read-only mount")
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip(f"unshare -m is not permitted here: {probe.stderr.decode().strip()}")
        script = f'mount -t tmpfs -o ro,size=1m tmpfs "{mount}" && exec "$@"'
        return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *command], capture_output=True, text=True,
                              cwd=REPO, env=env, timeout=300)
    mount.chmod(0o555)  # not root: a folder without write permission is the same failure to the program
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    finally:
        mount.chmod(0o755)


def test_output_on_a_read_only_filesystem(tmp_path: Path) -> None:
    result = _in_read_only_mount(tmp_path, "run", str(REPO / "seeds"), "--output", "MOUNT", *FAST_BEAM)
    line = assert_one_line(result, 2, "eventwire run:", "cannot write there")
    assert "Read-only file system" in line or "Permission denied" in line


def test_output_folder_to_create_on_a_read_only_filesystem(tmp_path: Path) -> None:
    result = _in_read_only_mount(tmp_path, "run", str(REPO / "seeds"), "--output", "MOUNT/out", *FAST_BEAM)
    assert_one_line(result, 2, "eventwire run:", "cannot create the folder")


@pytest.fixture(scope="module")
def seeds_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("operator") / "out"
    result = run_cli("run", str(REPO / "seeds"), "--output", str(out), *FAST_BEAM)
    assert result.returncode == 0, result.stderr
    return out


def test_report_into_a_missing_folder(seeds_output: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "dir" / "x.html"
    assert_one_line(run_cli("report", str(seeds_output), "--html", str(target)), 2, "eventwire report:",
                    "does not exist")
    assert not (tmp_path / "missing").exists()
    assert_one_line(run_cli("report", str(seeds_output), "--html", str(tmp_path)), 2, "is a folder")


def test_report_into_a_read_only_filesystem(seeds_output: Path, tmp_path: Path) -> None:
    result = _in_read_only_mount(tmp_path, "report", str(seeds_output), "--html", "MOUNT/report.html")
    assert_one_line(result, 2, "eventwire report:", "cannot write")


# --- Ctrl-C -----------------------------------------------------------------------------------


def _start(args: list[str]) -> subprocess.Popen[str]:
    """A run as a terminal starts it: its own process group, SIGINT at its default."""
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float = 120) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} never logged: {''.join(seen)}")


def _ctrl_c(process: subprocess.Popen[str], before: list[str]) -> tuple[int, str]:
    os.killpg(process.pid, signal.SIGINT)  # the whole group, helpers included, as a terminal does
    _, rest = process.communicate(timeout=120)
    return process.returncode, "".join(before) + rest


def _group_gone(pgid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_during_a_run(corpus: Path, tmp_path: Path) -> None:
    """Interrupted while the pipeline cleans pages: one line, 130, no lock, nothing committed, no helper left."""
    out = tmp_path / "out"
    process = _start(["run", str(corpus / "fundus"), "--output", str(out)])
    before = _wait_for_line(process, "reading")
    time.sleep(1.5)  # the graph is built and its cleaning helpers are at work (the run takes ~10 s)
    status, stderr = _ctrl_c(process, before)
    assert status == 130, stderr
    assert error_lines(stderr) == ["eventwire run: interrupted: nothing committed"], stderr
    assert not (out / "_lock.json").exists()
    assert not (out / "articles").exists()
    assert _group_gone(process.pid), "a helper process outlived the interrupted run"
    rerun = run_cli("run", str(REPO / "seeds"), "--output", str(out), *FAST_BEAM)
    assert rerun.returncode == 0, rerun.stderr


def test_ctrl_c_while_waiting_for_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = {"run_id": "other", "host": os.uname().nodename, "pid": os.getpid(),
              "acquired_at": "2099-01-01T00:00:00+00:00"}  # this test process: alive, so never stale
    (out / "_lock.json").write_text(json.dumps(holder))
    process = _start(["run", str(REPO / "seeds"), "--output", str(out), "--wait-for-lock", "120", *FAST_BEAM])
    time.sleep(4)  # parsing options, importing Beam, then the wait
    status, stderr = _ctrl_c(process, [])
    assert status == 130, stderr
    assert error_lines(stderr) == ["eventwire run: interrupted: nothing committed"], stderr
    assert json.loads((out / "_lock.json").read_text())["run_id"] == "other"  # not ours: left alone


def test_interrupt_outcome_names_what_the_output_holds(tmp_path: Path) -> None:
    from pipeline import interrupt

    interrupt._RUNS.clear()
    assert interrupt.outcome() == "interrupted: nothing committed"
    assert interrupt.outcome(writes=False) == "interrupted"  # show, report
    interrupt.register_run(str(tmp_path), "r1")
    try:
        assert interrupt.outcome() == "interrupted: nothing committed"
        (tmp_path / "_staging" / "r1").mkdir(parents=True)
        (tmp_path / "_staging" / "r1" / "_commit.json").write_text("[]")
        assert "during the commit of run r1: the next run" in interrupt.outcome()
        (tmp_path / "_runs").mkdir()
        (tmp_path / "_runs" / "r1.json").write_text("{}")
        assert "had committed its tables and its manifest" in interrupt.outcome()
    finally:
        interrupt._RUNS.clear()
