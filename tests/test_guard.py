"""The per-element guard: a real helper process, killed on a spinning element, restarted for the next."""

from __future__ import annotations

import time

import pytest

from tests.guard_tasks import Behave, BrokenFactory
from transforms.guard import GuardedWorker, GuardStartError


def test_results_come_back_and_the_helper_is_reused() -> None:
    with GuardedWorker(Behave(), timeout_seconds=5) as worker:
        outcomes = [worker.call({"n": i, "text": "ä" * i}) for i in range(5)]
        assert [o.status for o in outcomes] == ["ok"] * 5
        assert outcomes[3].value == {"n": 3, "text": "äää"}
        assert worker.restarts == 0


def test_a_spinning_regex_is_cut_off_and_the_next_element_is_served() -> None:
    with GuardedWorker(Behave(), timeout_seconds=0.5) as worker:
        started = time.monotonic()
        spun = worker.call("spin")
        assert spun.status == "timeout" and "limit 0.5s" in spun.detail
        assert time.monotonic() - started < 5
        assert worker.call("after").value == "after"
        assert worker.restarts == 1


def test_a_crashing_helper_is_reported_and_replaced() -> None:
    with GuardedWorker(Behave(), timeout_seconds=5) as worker:
        crashed = worker.call("segfault")
        assert crashed.status == "crashed" and "SIGSEGV" in crashed.detail
        assert worker.call("next").value == "next"


def test_memory_cap_turns_a_hog_into_a_crash_not_a_dead_run() -> None:
    with GuardedWorker(Behave(), timeout_seconds=10, memory_bytes=1 << 30) as worker:
        hog = worker.call("hog")
        assert hog.status == "crashed" and "MemoryError" in hog.detail
        assert worker.call(1).value == 1


def test_an_exception_is_that_elements_error_and_keeps_the_helper() -> None:
    with GuardedWorker(Behave(), timeout_seconds=5) as worker:
        error = worker.call("raise")
        assert error.status == "error" and error.detail == "ValueError: bad element"
        assert worker.call(2).value == 2 and worker.restarts == 0


def test_an_idle_helper_that_died_is_restarted_transparently() -> None:
    with GuardedWorker(Behave(), timeout_seconds=5) as worker:
        assert worker.call(1).value == 1
        worker._proc.kill()  # e.g. the OOM killer between two elements
        worker._proc.wait()
        assert worker.call(2).value == 2


def test_a_helper_that_cannot_set_up_fails_loudly() -> None:
    with pytest.raises(GuardStartError, match="cannot set up"):
        GuardedWorker(BrokenFactory(), timeout_seconds=5).call(1)
