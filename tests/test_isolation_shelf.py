"""Helper templates kept between pools and started ahead of them (transforms/isolation/shelf.py):
real processes, real fork; a real multi-wave run of the CLI's code in this process."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from pipeline import batch
from tests.conftest import FAST_BEAM
from tests.guard_tasks import ParentPid, process_alive
from tests.test_waves import BODY, _config
from transforms.isolation import shelf, worker
from transforms.isolation import template as forking
from transforms.isolation.pool import GuardedPool

pytestmark = pytest.mark.skipif(not forking.available(), reason="helpers are forked on Linux only")


def _parents_of_helpers(pool: GuardedPool) -> set[int]:
    """The parent pid each helper of ``pool`` reports (its template's, when forked)."""
    for n in range(2):
        pool.submit(n, n)
    return {outcome.value for _, outcome in pool.drain()}


def test_inside_keeping_the_next_pool_of_the_same_task_forks_from_the_same_template() -> None:
    with shelf.keeping():
        first = GuardedPool(ParentPid(), size=2, timeout_seconds=10)
        [template] = _parents_of_helpers(first)
        first.close()
        assert process_alive(template)  # kept, not stopped with its pool
        second = GuardedPool(ParentPid(), size=2, timeout_seconds=10)
        assert _parents_of_helpers(second) == {template}
        second.close()
    assert not process_alive(template)  # the block's end stops what it kept


def test_a_pool_of_another_task_or_memory_cap_never_gets_a_kept_template() -> None:
    with shelf.keeping():
        first = GuardedPool(ParentPid(), size=2, timeout_seconds=10)
        [template] = _parents_of_helpers(first)
        first.close()
        capped = GuardedPool(ParentPid(), size=2, timeout_seconds=10, memory_bytes=2 << 30)
        [other] = _parents_of_helpers(capped)
        capped.close()
        assert other != template and process_alive(other)
    assert not process_alive(template) and not process_alive(other)


def test_outside_keeping_a_pool_stops_its_own_template() -> None:
    pool = GuardedPool(ParentPid(), size=2, timeout_seconds=10)
    [template] = _parents_of_helpers(pool)
    pool.close()
    assert not process_alive(template)


def test_a_kept_template_that_died_is_replaced_not_used() -> None:
    with shelf.keeping():
        first = GuardedPool(ParentPid(), size=2, timeout_seconds=10)
        [template] = _parents_of_helpers(first)
        first.close()
        os.kill(template, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while process_alive(template) and time.monotonic() < deadline:
            time.sleep(0.01)
        second = GuardedPool(ParentPid(), size=2, timeout_seconds=10)
        [replacement] = _parents_of_helpers(second)  # every element still gets its answer
        second.close()
        assert replacement != template and process_alive(replacement)
    assert not process_alive(replacement)


def test_a_run_in_waves_starts_one_template_per_stage_and_leaves_none(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(9):
        (inputs / f"a{i}.txt").write_text(f"Titel {i}\n\nMeldung {i}. {BODY}\n", encoding="utf-8")
    config = _config(tmp_path / "config", wave_files=3)
    templates: list[int] = []
    start_process = worker.start_process

    def spied(args: list[str], pass_fds: tuple[int, ...]):  # type: ignore[no-untyped-def]
        process = start_process(args, pass_fds)
        if args[0] == "template":
            templates.append(process.pid)
        return process

    monkeypatch.setattr(worker, "start_process", spied)
    summary = batch.run([str(inputs), "--output", str(tmp_path / "out"), "--config", str(config), *FAST_BEAM])
    assert summary.counters.get("articles") == 9
    assert len(templates) == 2  # cleaning and analysis, for all three waves
    assert not any(process_alive(pid) for pid in templates)
