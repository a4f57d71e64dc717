"""The output lock on gs://, against a GCS that honours preconditions (the emulator behind
tests/gcs_preconditions.py: the bare emulator ignores them, so none of this would be tested)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys

import pytest
from google.api_core.exceptions import NotFound, PreconditionFailed
from google.cloud import storage

from tests.gcs_preconditions import PreconditionProxy
from transforms.output.lock import LOCK_NAME, LockInfo, OutputLock, OutputLocked


def _blob(url: str) -> storage.Blob:
    bucket, _, name = url.removeprefix("gs://").partition("/")
    return storage.Client().bucket(bucket).blob(name)


def _holder(output: str) -> str | None:
    """The run_id in the output's lock; None when there is no lock."""
    try:
        return json.loads(_blob(f"{output}/{LOCK_NAME}").download_as_bytes())["run_id"]
    except NotFound:
        return None


def _put_lock(output: str, info: LockInfo) -> None:
    _blob(f"{output}/{LOCK_NAME}").upload_from_string(info.to_json())


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def _ghost(pid: int | None = None, acquired: dt.datetime | None = None, host: str | None = None) -> LockInfo:
    return LockInfo("ghost", host or socket.gethostname(), pid if pid is not None else _dead_pid(),
                    (acquired or dt.datetime.now(dt.timezone.utc)).isoformat())


def test_the_proxy_refuses_what_gcs_refuses(strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    blob = _blob(f"{gcs_prefix}/object")
    blob.upload_from_string(b"one", if_generation_match=0)
    generation = blob.generation
    with pytest.raises(PreconditionFailed):
        _blob(f"{gcs_prefix}/object").upload_from_string(b"two", if_generation_match=0)
    with pytest.raises(PreconditionFailed):
        _blob(f"{gcs_prefix}/object").delete(if_generation_match=generation + 1)
    with pytest.raises(PreconditionFailed):
        _blob(f"{gcs_prefix}/object").download_as_bytes(if_generation_match=generation + 1)
    assert _blob(f"{gcs_prefix}/object").download_as_bytes(if_generation_match=generation) == b"one"
    assert len(strict_gcs.refused) == 3
    _blob(f"{gcs_prefix}/object").delete(if_generation_match=generation)
    with pytest.raises(NotFound):
        _blob(f"{gcs_prefix}/object").download_as_bytes()


def test_second_writer_fails_clearly_on_gcs(strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    # on the bare emulator the second create-if-absent overwrites the first lock and both runs "hold" it
    with OutputLock(gcs_prefix, "first"):
        with pytest.raises(OutputLocked, match="held by run first"):
            OutputLock(gcs_prefix, "second").acquire()
        assert _holder(gcs_prefix) == "first"
    assert _holder(gcs_prefix) is None  # released on exit


@pytest.mark.parametrize("stale", ["dead_pid", "too_old"])
def test_a_stale_lock_is_taken_over_on_gcs(strict_gcs: PreconditionProxy, gcs_prefix: str, stale: str) -> None:
    ghost = (_ghost() if stale == "dead_pid" else
             _ghost(pid=1, host="elsewhere", acquired=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)))
    _put_lock(gcs_prefix, ghost)
    with OutputLock(gcs_prefix, "third", stale_after=dt.timedelta(hours=1)):
        assert _holder(gcs_prefix) == "third"
    assert _holder(gcs_prefix) is None


def test_a_fresh_lock_from_elsewhere_is_not_taken_over_on_gcs(strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    _put_lock(gcs_prefix, _ghost(pid=1, host="elsewhere"))  # another host: its pid says nothing here
    with pytest.raises(OutputLocked, match="held by run ghost on elsewhere"):
        OutputLock(gcs_prefix, "mine", stale_after=dt.timedelta(hours=1)).acquire()
    assert _holder(gcs_prefix) == "ghost"


def test_taking_over_a_stale_lock_never_removes_the_fresh_lock_of_a_faster_run_on_gcs(
        strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    # two runs wait on a dead run's lock; both read it and find it stale; the slower one's delete
    # reaches GCS only after the faster one has taken the lock over: that fresh lock must stay
    _put_lock(gcs_prefix, _ghost())
    faster = OutputLock(gcs_prefix, "faster")
    strict_gcs.before_next("DELETE", faster.acquire)  # the faster run, inside the slower one's window
    with pytest.raises(OutputLocked, match="held by run faster"):
        OutputLock(gcs_prefix, "slower").acquire()  # reads the ghost, deletes it ... too late
    assert _holder(gcs_prefix) == "faster"
    assert sum(entry.startswith("DELETE") for entry in strict_gcs.refused) == 1  # GCS refused that delete
    faster.release()
    assert _holder(gcs_prefix) is None


def test_release_never_removes_a_lock_that_took_ours_over_on_gcs(strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    # ours was judged stale (stale_after=0) and taken over by another run; then we release
    ours = OutputLock(gcs_prefix, "ours")
    ours.acquire()
    OutputLock(gcs_prefix, "thief", stale_after=dt.timedelta(0)).acquire()
    ours.release()
    assert _holder(gcs_prefix) == "thief"
    assert sum(entry.startswith("DELETE") for entry in strict_gcs.refused) == 1  # GCS refused our delete


def test_release_never_removes_a_lock_that_took_ours_over_while_releasing_on_gcs(
        strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    # the take-over lands between release's look at the lock and its delete
    ours = OutputLock(gcs_prefix, "ours")
    ours.acquire()
    strict_gcs.before_next("DELETE", OutputLock(gcs_prefix, "thief", stale_after=dt.timedelta(0)).acquire)
    ours.release()
    assert _holder(gcs_prefix) == "thief"
    assert sum(entry.startswith("DELETE") for entry in strict_gcs.refused) == 1  # GCS refused our delete


def test_a_create_retried_after_a_lost_answer_finds_its_own_lock_on_gcs(strict_gcs: PreconditionProxy, gcs_prefix: str) -> None:
    # the client retries an upload whose answer was lost: the retry meets the lock the first try created
    from transforms.output.lock import _GcsBackend

    mine = _ghost(pid=1, host="elsewhere").to_json()
    _blob(f"{gcs_prefix}/{LOCK_NAME}").upload_from_string(mine)  # the first try, answer lost
    backend = _GcsBackend(f"{gcs_prefix}/{LOCK_NAME}")
    assert not backend.create(b'{"run_id": "someone else"}')  # another run's lock is not ours
    assert backend.create(mine)  # ours: held, and released as ours
    backend.release()
    assert _holder(gcs_prefix) is None
