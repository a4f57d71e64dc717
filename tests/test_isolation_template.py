"""Helpers forked from a template process: real processes, real fork, real signals."""

from __future__ import annotations

import os
import time

import pytest

from tests.guard_tasks import Behave, BrokenFactory, ParentPid, SlowSetUp, process_alive
from transforms.isolation import template as guardfork
from transforms.isolation.pool import GuardedPool
from transforms.isolation.worker import GuardStartError

pytestmark = pytest.mark.skipif(not guardfork.available(), reason="helpers are forked on Linux only")


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_the_helpers_of_a_pool_are_children_of_one_template_not_of_the_launcher() -> None:
    pool = GuardedPool(ParentPid(), size=2, timeout_seconds=5)
    try:
        for n in range(2):
            pool.submit(n, n)
        parents = {outcome.value for _, outcome in pool.drain()}
        assert pool._template is not None
        assert parents == {pool._template._proc.pid} and os.getpid() not in parents
        assert len({w.pid for w in pool._workers}) == 2
    finally:
        pool.close()


def test_a_helper_killed_on_a_timeout_is_replaced_by_a_fork_without_setting_up_again() -> None:
    pool = GuardedPool(SlowSetUp(2.0), size=1, timeout_seconds=0.5, fork=True)
    try:
        pool.submit("warm", "warm")  # pays the template's set-up once
        assert pool.next_outcome()[1].value == "warm"
        first = pool._workers[0].pid
        pool.submit("spin", "spin")
        assert pool.next_outcome()[1].status == "timeout"
        started = time.monotonic()
        pool.submit("after", "after")
        assert pool.next_outcome()[1].value == "after"
        assert time.monotonic() - started < 1.5  # a fresh helper would sleep 2 s in its set-up
        assert pool._workers[0].pid != first and not process_alive(first) and pool.restarts == 1
    finally:
        pool.close()


def test_a_forked_helper_over_its_memory_cap_is_a_crash_with_its_cause() -> None:
    pool = GuardedPool(Behave(), size=2, timeout_seconds=10, memory_bytes=1 << 30)
    try:
        pool.submit("hog", "hog")
        pool.submit(1, "one")
        outcomes = dict(pool.drain())
        assert outcomes["hog"].status == "crashed" and "MemoryError" in outcomes["hog"].detail
        assert outcomes["one"].value == 1
        pool.submit(2, "two")
        assert pool.next_outcome()[1].value == 2
    finally:
        pool.close()


def test_without_its_template_a_pool_starts_its_helpers_itself() -> None:
    pool = GuardedPool(Behave(), size=1, timeout_seconds=0.5, fork=True)
    try:
        pool.submit(1, 1)
        assert pool.next_outcome()[1].value == 1
        template = pool._template
        assert template is not None
        helper = pool._workers[0].pid
        assert helper is not None
        template._proc.kill()  # the template dies, and its helper with it (it was the parent)
        template._proc.wait()
        deadline = time.monotonic() + 5
        while process_alive(helper) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not process_alive(helper)
        pool.submit(2, 2)  # the dead helper is noticed, the replacement cannot be forked: spawned
        assert pool.next_outcome()[1].value == 2
        assert not template.alive and _parent_of(pool._workers[0].pid) == os.getpid()
        pool.submit("spin", "spin")
        assert pool.next_outcome()[1].status == "timeout"
        pool.submit(3, 3)
        assert pool.next_outcome()[1].value == 3
    finally:
        pool.close()


def test_a_template_that_cannot_set_up_fails_its_helpers_loudly() -> None:
    pool = GuardedPool(BrokenFactory(), size=2, timeout_seconds=5)
    try:
        pool.submit(1, 1)
        with pytest.raises(GuardStartError, match="cannot set up"):
            pool.next_outcome()
    finally:
        pool.close()


def test_closing_the_pool_stops_the_template_and_every_helper() -> None:
    pool = GuardedPool(Behave(), size=2, timeout_seconds=5)
    pool.submit(1, 1)
    pool.submit(2, 2)
    pool.drain()
    assert pool._template is not None
    pids = [w.pid for w in pool._workers] + [pool._template._proc.pid]
    assert all(pid is not None and process_alive(pid) for pid in pids)
    pool.close()
    deadline = time.monotonic() + 5
    while any(process_alive(pid) for pid in pids if pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(process_alive(pid) for pid in pids if pid)


def test_by_default_only_a_pool_of_several_helpers_has_a_template() -> None:
    single, double = GuardedPool(ParentPid(), size=1, timeout_seconds=5), GuardedPool(ParentPid(), size=2, timeout_seconds=5)
    try:
        single.submit(0, 0)
        assert single.next_outcome()[1].value == os.getpid() and single._template is None
        double.submit(0, 0)
        assert double.next_outcome()[1].value != os.getpid() and double._template is not None
    finally:
        single.close()
        double.close()


def test_without_fork_the_helpers_are_the_launchers_children() -> None:
    pool = GuardedPool(ParentPid(), size=2, timeout_seconds=5, fork=False)
    try:
        for n in range(2):
            pool.submit(n, n)
        assert {outcome.value for _, outcome in pool.drain()} == {os.getpid()}
        assert pool._template is None
    finally:
        pool.close()
