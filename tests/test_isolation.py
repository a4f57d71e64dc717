"""The per-element guard: a real helper process, killed on a spinning element, restarted for the next."""

from __future__ import annotations

import time

import pytest

from tests.guard_tasks import Behave, BrokenFactory
from transforms.isolation.pool import GuardedPool
from transforms.isolation.worker import GuardedWorker, GuardStartError


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


# --- the pool: several helpers at once ------------------------------------------------------


def test_a_pool_returns_every_element_once_with_its_token() -> None:
    pool = GuardedPool(Behave(), size=2, timeout_seconds=5)
    try:
        done = []
        for n in range(7):
            if not pool.has_capacity():
                done.append(pool.next_outcome())
            pool.submit({"n": n}, token=n)
        done += pool.drain()
        assert sorted(token for token, _ in done) == list(range(7))
        assert all(outcome.status == "ok" and outcome.value == {"n": token} for token, outcome in done)
        assert pool.pending() == 0 and pool.restarts == 0
    finally:
        pool.close()


def test_a_spinning_element_in_a_pool_times_out_alone_while_the_other_helper_keeps_working() -> None:
    pool = GuardedPool(Behave(), size=2, timeout_seconds=1.0)
    try:
        pool.submit("warm", token="warm")  # both helpers started and ready before the clock matters
        pool.submit("warm", token="warm2")
        pool.drain()
        started = time.monotonic()
        pool.submit("spin", token="spin")
        finished = []
        for n in range(3):  # quick elements go through the free helper while the other one spins
            pool.submit(n, token=n)
            finished.append(pool.next_outcome())
        assert [token for token, _ in finished] == [0, 1, 2]
        assert time.monotonic() - started < 1.0  # none of them waited for the spinning one
        token, outcome = pool.next_outcome()
        assert token == "spin" and outcome.status == "timeout" and "limit 1s" in outcome.detail
        assert pool.restarts == 1
        pool.submit("after", token="after")
        assert pool.next_outcome()[1].value == "after"
    finally:
        pool.close()


def test_a_crash_in_a_pool_is_that_elements_outcome() -> None:
    pool = GuardedPool(Behave(), size=2, timeout_seconds=5)
    try:
        pool.submit("segfault", token="bad")
        pool.submit("fine", token="good")
        outcomes = dict(pool.drain())
        assert outcomes["good"].value == "fine"
        assert outcomes["bad"].status == "crashed" and "SIGSEGV" in outcomes["bad"].detail
        with pytest.raises(LookupError):
            pool.next_outcome()
    finally:
        pool.close()
