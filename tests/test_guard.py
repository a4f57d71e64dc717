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


# --- prestarted helpers: started before the pool, adopted by it ------------------------------


def test_a_pool_adopts_helpers_prestarted_for_its_factory_and_limits_only() -> None:
    from transforms.isolation.pool import _PRESTARTED, discard_prestarted, prestart

    prestart(Behave(), size=2, timeout_seconds=5)
    other = GuardedPool(Behave(), size=1, timeout_seconds=9)  # other limits: starts its own
    assert len(_PRESTARTED) == 2
    pool = GuardedPool(Behave(), size=3, timeout_seconds=5)
    try:
        assert len(_PRESTARTED) == 0
        started = [w.pid for w in pool._workers]
        assert started[0] is not None and started[1] is not None and started[2] is None  # two adopted, one new
        for n in range(3):
            pool.submit(n, n)
        assert sorted((token, outcome.value) for token, outcome in pool.drain()) == [(0, 0), (1, 1), (2, 2)]
        assert discard_prestarted() == 0
    finally:
        pool.close()
        other.close()


def test_prestarted_helpers_no_pool_takes_are_stopped() -> None:
    from transforms.isolation.pool import _PRESTARTED, discard_prestarted, prestart

    prestart(Behave(), size=2, timeout_seconds=5)
    procs = [w._proc for _, w in _PRESTARTED]
    assert discard_prestarted() == 2
    assert all(p.poll() is not None for p in procs)  # killed and reaped


def test_the_clean_step_adopts_the_helpers_the_launcher_prestarted() -> None:
    """What `eventwire run` does locally: prestart, then Beam unpickles CleanFn and sets it up."""
    import datetime as dt

    from apache_beam.internal import pickler

    from transforms.clean.document import CleanTask, prestart_helpers
    from transforms.clean.stage import CleanFn
    from transforms.events.model import load_event_model
    from transforms.isolation.pool import _PRESTARTED
    from transforms.settings import load_settings

    settings = load_settings()
    started = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    model = load_event_model(settings)
    prestart_helpers(settings.clean, started, settings.language, model)
    assert len(_PRESTARTED) == max(1, settings.clean.parse_processes)
    fn = pickler.loads(pickler.dumps(CleanFn(CleanTask(settings.clean, started, settings.language, model))))
    fn.setup()
    try:
        assert len(_PRESTARTED) == 0
    finally:
        fn.teardown()


# --- idle pools lent to other stages of the process ------------------------------------------


def test_an_idle_pool_is_lent_to_one_borrower_at_a_time_and_only_to_one_that_accepts_it() -> None:
    from transforms.isolation.pool import borrow, give_back, lend, withdraw

    pool = GuardedPool(Behave(), size=2, timeout_seconds=5)
    try:
        assert borrow(lambda factory: True) is None  # nothing lent yet
        lend(Behave(), pool)
        assert borrow(lambda factory: False) is None  # a borrower that cannot use these helpers
        lent = borrow(lambda factory: isinstance(factory, Behave))
        assert lent is pool
        assert borrow(lambda factory: True) is None  # one borrower at a time
        for n in range(2):
            lent.submit(n, n)
        assert sorted(outcome.value for _, outcome in lent.drain()) == [0, 1]  # the owner's helpers work for it
        give_back(lent)
        assert borrow(lambda factory: True) is pool
        give_back(pool)
        withdraw(pool)
        assert borrow(lambda factory: True) is None  # back with its owner
    finally:
        pool.close()


def test_the_owner_waits_for_its_pool_until_the_borrower_gives_it_back() -> None:
    import threading

    from transforms.isolation.pool import borrow, give_back, lend, withdraw

    pool = GuardedPool(Behave(), size=1, timeout_seconds=5)
    try:
        lend(Behave(), pool)
        borrowed, returned = threading.Event(), threading.Event()

        def borrower() -> None:  # another stage's bundle, on another thread
            assert borrow(lambda factory: True) is pool
            borrowed.set()
            time.sleep(0.3)
            returned.set()
            give_back(pool)

        threading.Thread(target=borrower).start()
        assert borrowed.wait(5)
        withdraw(pool)  # blocks while the pool is borrowed
        assert returned.is_set()
        assert borrow(lambda factory: True) is None
        lend(Behave(), pool)
        assert borrow(lambda factory: True) is pool
        with pytest.raises(RuntimeError, match="same bundle"):  # borrowed by this very thread: no hang
            withdraw(pool)
        give_back(pool)
        withdraw(pool)
    finally:
        pool.close()
