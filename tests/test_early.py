"""``eventwire run``'s helpers started before Beam's import (pipeline/early.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline import early
from pipeline.options import runs_in_process, with_local_defaults, with_parallelism
from tests.conftest import REPO
from transforms.clean.document import CleanTask
from transforms.events.model import load_event_model
from transforms.isolation import pool as guardpool
from transforms.settings import load_settings


@pytest.mark.parametrize("argv", [
    [], ["--runner", "FnApiRunner"], ["--runner=DirectRunner"], ["--direct_num_workers=1"],
    ["--direct_num_workers", "2"], ["--direct_num_workers=2", "--direct_running_mode=in_memory"],
    ["--direct_running_mode=multi_processing"], ["--runner", "DataflowRunner"], ["--runner=PortableRunner"],
    ["--runner=FnApiRunner", "--direct_num_workers=3"],
    # every spelling Beam accepts for a runner (pipeline/runners.py)
    ["--runner=direct"], ["--runner", "fnapirunner"], ["--runner=SwitchingDirectRunner"], ["--runner=dataflow"],
    ["--runner=apache_beam.runners.portability.fn_api_runner.FnApiRunner"],
])
def test_the_command_line_decides_in_process_as_the_options_do(argv: list[str]) -> None:
    assert early.runs_in_process(argv) == runs_in_process(with_local_defaults(PipelineOptions(argv), argv))


def _children(pid: int | str = "self") -> set[int]:
    """Every living descendant: the helpers are the template's children (transforms/isolation/template.py)."""
    pids: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                pids.update(int(child) for child in handle.read().split())
    except FileNotFoundError:  # it ended meanwhile
        return set()
    return pids.union(*(_children(child) for child in pids))


def test_the_early_helpers_are_the_ones_the_run_would_start(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["seeds/", "--output", "out"]
    before = _children()
    started = early.start_helpers(argv)
    try:
        assert started is not None and len(guardpool._PRESTARTED) == started.settings.clean.parse_processes
        helpers = {worker.pid for _, worker in guardpool._PRESTARTED}  # known once forked
        assert None not in helpers and len(helpers) == started.settings.clean.parse_processes
        assert helpers <= _children() - before
        # what batch.run computes for the same command line: an equal task, so CleanFn adopts them
        options = with_local_defaults(PipelineOptions(argv), argv)
        settings = with_parallelism(load_settings(None), options)
        assert started.settings == settings and started.model == load_event_model(settings)
        task = CleanTask(settings.clean, started.started_at, settings.language, started.model)
        assert all(factory == task for factory, _ in guardpool._PRESTARTED)
    finally:
        assert guardpool.discard_prestarted() == started.settings.clean.parse_processes
    assert _children() <= before


def test_no_early_helpers_for_a_graph_that_runs_elsewhere_or_a_config_that_does_not_load(tmp_path: Path) -> None:
    assert early.start_helpers(["in/", "--direct_num_workers=2"]) is None
    bad = tmp_path / "pipeline.yaml"
    bad.write_text("clean: {no_such_key: 1}\n")
    assert early.start_helpers(["in/", "--config", str(bad)]) is None
    assert guardpool._PRESTARTED == []


def test_no_early_helpers_for_a_run_that_may_wait_for_the_output_lock() -> None:
    assert early.start_helpers(["in/", "--wait-for-lock", "30"]) is None
    assert early.start_helpers(["in/", "--wait-for-lock=0.5"]) is None
    assert guardpool._PRESTARTED == []


def test_a_command_line_that_does_not_parse_starts_nothing_and_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert early.runs_in_process(["in/", "--direct_num_workers", "two"]) is False
    assert early.start_helpers(["in/", "--config"]) is None
    assert early.start_helpers(["in/", "--wait-for-lock", "soon"]) is None
    assert guardpool._PRESTARTED == []
    assert capsys.readouterr() == ("", "")  # the run's own parser reports the error, in its words


def test_a_run_that_fails_before_its_cleaning_step_leaves_no_helper(tmp_path: Path) -> None:
    from pipeline.cli import main

    before = _children()
    assert main(["run", str(tmp_path / "missing"), "--output", str(tmp_path / "out")]) == 2
    assert guardpool._PRESTARTED == [] and _children() <= before


def test_a_run_adopts_its_early_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the command: the helpers started first clean the seeds; none is started again."""
    from pipeline.cli import main

    spawned = []
    original = guardpool.GuardedWorker._spawn

    def spawn(self):  # type: ignore[no-untyped-def]
        spawned.append(self)
        return original(self)

    monkeypatch.setattr(guardpool.GuardedWorker, "_spawn", spawn)
    assert main(["run", str(REPO / "seeds"), "--output", str(tmp_path / "out")]) == 0
    assert len(spawned) == (os.cpu_count() or 1)  # the default config: one helper per core, started once
    assert guardpool._PRESTARTED == []
