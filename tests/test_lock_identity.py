"""The output lock against pid reuse (issue #25): a lock records the boot id and its process's start
time; a lock of a pid now running another process, of this very process, or from before a reboot is
stale; a long run keeps its lock fresh with a heartbeat. Real processes, a real pid namespace."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from transforms.output.lock import LOCK_NAME, OutputLock, OutputLocked, boot_id, process_start


def _plant(output: Path, **fields: object) -> None:
    info = {"run_id": "ghost", "host": socket.gethostname(), "pid": os.getpid(),
            "acquired_at": dt.datetime.now(dt.timezone.utc).isoformat(), **fields}
    output.mkdir(parents=True, exist_ok=True)
    (output / LOCK_NAME).write_text(json.dumps(info))


def _holder(output: Path) -> str | None:
    path = output / LOCK_NAME
    return json.loads(path.read_text())["run_id"] if path.exists() else None


def test_the_lock_records_what_identifies_its_process(tmp_path: Path) -> None:
    with OutputLock(str(tmp_path), "mine"):
        info = json.loads((tmp_path / LOCK_NAME).read_text())
    assert info["pid"] == os.getpid() and info["boot_id"] == boot_id() and info["started"] == process_start(os.getpid())
    assert boot_id() and process_start(os.getpid()) and process_start(1) != process_start(os.getpid())


def test_a_live_pid_that_started_at_another_time_is_a_reused_pid(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = process_start(other.pid)
        assert started is not None
        _plant(tmp_path, pid=other.pid, started=started, boot_id=boot_id())
        with pytest.raises(OutputLocked, match="held by run ghost"):  # that process is the holder: live
            OutputLock(str(tmp_path), "mine").acquire()
        _plant(tmp_path, pid=other.pid, started=started - 1, boot_id=boot_id())  # the holder started earlier
        with OutputLock(str(tmp_path), "mine"):
            assert _holder(tmp_path) == "mine"
    finally:
        other.kill()
        other.wait()


def test_a_lock_from_before_a_reboot_or_of_this_very_process_is_stale(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a live pid, but another boot: after a reboot, pids start over
        _plant(tmp_path, pid=other.pid, started=process_start(other.pid), boot_id="00000000-dead-beef-0000-000000000000")
        with OutputLock(str(tmp_path), "after-reboot"):
            assert _holder(tmp_path) == "after-reboot"
    finally:
        other.kill()
        other.wait()
    _plant(tmp_path, pid=os.getpid())  # "my" pid, but this process holds no such lock: a reused pid
    with OutputLock(str(tmp_path), "mine"):
        assert _holder(tmp_path) == "mine"
        with pytest.raises(OutputLocked, match="held by run mine"):  # a lock this process does hold is live
            OutputLock(str(tmp_path), "second").acquire()


def test_a_long_run_keeps_its_lock_alive_with_a_heartbeat(tmp_path: Path) -> None:
    horizon = dt.timedelta(seconds=1.2)
    with OutputLock(str(tmp_path), "long", stale_after=horizon, heartbeat_seconds=0.2):
        time.sleep(2.0)  # longer than the horizon
        info = json.loads((tmp_path / LOCK_NAME).read_text())
        assert dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(info["heartbeat_at"]) < horizon
        with pytest.raises(OutputLocked, match="held by run long"):
            OutputLock(str(tmp_path), "other", stale_after=horizon).acquire()
    assert _holder(tmp_path) is None  # released, heartbeat stopped
    with OutputLock(str(tmp_path), "silent", stale_after=horizon, heartbeat_seconds=0):
        time.sleep(1.5)  # no heartbeat: beyond the horizon the lock is stale
        with OutputLock(str(tmp_path), "other", stale_after=horizon):
            assert _holder(tmp_path) == "other"


_AS_PID_1 = """
import os, sys
sys.path.insert(0, {repo!r})
from transforms.output.lock import OutputLock
assert os.getpid() == 1, os.getpid()
lock = OutputLock({output!r}, sys.argv[1])
lock.acquire()
print("held", flush=True)
if sys.argv[1] == "killed":
    os.kill(os.getpid(), 9)  # pid 1 of a namespace ignores its own SIGKILL: leave without releasing
    os._exit(9)
lock.release()
"""


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_a_run_killed_as_pid_1_of_a_container_does_not_block_the_next_one(tmp_path: Path) -> None:
    """The issue's case: each run is pid 1 of its own pid namespace (``unshare --pid --fork``)."""
    script = _AS_PID_1.format(repo=str(REPO), output=str(tmp_path))

    def as_pid_1(run_id: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script, run_id],
                              capture_output=True, text=True, timeout=60)

    first = as_pid_1("killed")
    assert "held" in first.stdout and first.returncode != 0, first.stderr
    info = json.loads((tmp_path / LOCK_NAME).read_text())
    assert (info["run_id"], info["pid"]) == ("killed", 1)  # left behind, naming pid 1
    second = as_pid_1("next")
    assert second.returncode == 0 and "held" in second.stdout, second.stderr[-2000:]
    assert not (tmp_path / LOCK_NAME).exists()
