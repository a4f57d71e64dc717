"""The batch job through Beam's PortableRunner and an external SDK worker pool, against the default runner.

This is the execution model of Dataflow Runner v2 and of the Flink and Spark job servers: the
graph is pickled, the job service hands each stage to SDK worker processes that a worker pool
starts (here on this machine, in their own working folder, speaking the Fn API over gRPC), and
the launcher only builds, submits, waits and commits. Every table must be the one the default
runner writes (all columns but the clocks), and so must the counters of the run manifest.

Beam's embedded job service (``--job_endpoint embed``) runs one worker per environment whatever
``--sdk_worker_parallelism`` or ``--direct_num_workers`` say (``FnApiRunner.run_via_runner_api``
keeps ``_num_workers = 1``), so each job here gets one pooled worker process: the pool starts a
new one per job. What a second machine's worker would add (another working folder, another
process, the pickled job) is what this worker already has.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS, REPO, read_table, run_cli

pytestmark = pytest.mark.slow

WARC = CORPUS / "warc" / "assembled" / "fundus-news-sample.warc.gz"
TABLES = ("articles", "mentions", "events", "rejects")
# The clocks of the run that wrote a row; the rest of every row must be equal.
CLOCKS = {"articles": ("ingested_at",), "rejects": ("rejected_at", "date")}
# Manifest fields that belong to one run (its id, its clock, where it was told to write).
RUN_FIELDS = ("run_id", "started_at", "elapsed_seconds", "startup_seconds", "output")  # the run's identity and clocks


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker pool exited with {process.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the worker pool did not listen on 127.0.0.1:{port} within {seconds} s")


class WorkerPool:
    """``python -m apache_beam.runners.worker.worker_pool_main`` in a folder of its own.

    The pool starts each worker as ``python -c ...``, the first ``python`` on its PATH; that
    is a wrapper here which records the start and runs this test's own interpreter (the venv's),
    so the workers import the same Beam and eventwire as the launcher."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "pool-cwd"
        self.folder.mkdir()
        bin_dir = root / "pool-bin"
        bin_dir.mkdir()
        self.starts = root / "worker-starts.log"
        wrapper = bin_dir / "python"
        wrapper.write_text(f'#!/bin/sh\necho "$$ $(pwd)" >> "{self.starts}"\nexec "{sys.executable}" "$@"\n')
        wrapper.chmod(0o755)
        self.port = _free_port()
        self.log = root / "pool.log"
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO)}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main", f"--service_port={self.port}"],
                cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_for_port(self.port, self.process, self.log)

    def runner_args(self) -> list[str]:
        return ["--runner", "PortableRunner", "--job_endpoint", "embed", "--environment_type", "EXTERNAL",
                "--environment_config", f"127.0.0.1:{self.port}"]

    def worker_starts(self) -> list[str]:
        return self.starts.read_text().splitlines() if self.starts.exists() else []

    def stop(self) -> None:
        """SIGINT: the pool stops its server and its exit handler ends its workers; then its group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):  # a worker it left behind (its session is ours)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerPool]:
    worker_pool = WorkerPool(tmp_path_factory.mktemp("worker-pool"))
    try:
        yield worker_pool
    finally:
        worker_pool.stop()


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The launcher's working folder: the seeds and a corpus WARC, named by relative paths."""
    if not WARC.is_file():
        pytest.skip(f"the shared corpus is not beside the repository ({WARC})")
    work = tmp_path_factory.mktemp("launcher")
    shutil.copytree(REPO / "seeds", work / "seeds")
    shutil.copy(WARC, work / WARC.name)
    return work


INPUTS = ("seeds", WARC.name)


@pytest.fixture(scope="module")
def default_run(launcher: Path) -> Path:
    result = run_cli("run", *INPUTS, "--output", "out-default", cwd=launcher)
    assert result.returncode == 0, result.stderr[-3000:]
    return launcher / "out-default"


@pytest.fixture(scope="module")
def portable_run(launcher: Path, pool: WorkerPool) -> subprocess.CompletedProcess[str]:
    """The same command with a relative --output, through the portable runner."""
    result = run_cli("run", *INPUTS, "--output", "out-portable", *pool.runner_args(), cwd=launcher)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _rows(output: Path, table: str) -> list[str]:
    """A table as sorted canonical rows, without the clocks (an article's ``date`` is a clock
    only when it has no publication date: it is then the day it was first ingested)."""
    rows = []
    for row in read_table(output, table):
        dropped = set(CLOCKS.get(table, ()))
        if table == "articles" and row["published_at"] is None:
            dropped.add("date")
        rows.append(json.dumps({k: v for k, v in row.items() if k not in dropped}, sort_keys=True, default=str))
    return sorted(rows)


def _manifest(output: Path) -> dict:
    (path,) = sorted((output / "_runs").glob("*.json"))[-1:]
    return {k: v for k, v in json.loads(path.read_text()).items() if k not in RUN_FIELDS}


def test_portable_runner_writes_the_default_runners_tables(default_run: Path, portable_run: subprocess.CompletedProcess[str],
                                                           launcher: Path, pool: WorkerPool) -> None:
    portable = launcher / "out-portable"
    for table in TABLES:
        expected = _rows(default_run, table)
        assert expected, f"the default run wrote no {table}: the comparison would prove nothing"
        assert _rows(portable, table) == expected, table
    articles = read_table(portable, "articles")
    assert {r["source_uri"].split("#")[0].rsplit("/", 1)[-1] for r in articles} >= {WARC.name}
    assert sum(r["source_uri"].startswith(str(launcher / "seeds")) for r in articles) == 2
    # the same counters, partitions written, inputs and patterns (absolute: the launcher's folder)
    assert _manifest(portable) == _manifest(default_run)
    # the pool started its worker with this interpreter, in the pool's own folder, where nothing was written
    starts = pool.worker_starts()
    assert starts and all(line.endswith(str(pool.folder)) for line in starts)
    assert not list(pool.folder.iterdir())


def test_a_second_portable_run_finds_its_articles_in_the_launchers_output(
        portable_run: subprocess.CompletedProcess[str], launcher: Path, pool: WorkerPool) -> None:
    """With --output resolved by the workers, the tables went to the pool's folder and the next run
    read that copy; resolved on the launcher, the rerun sees every article as already there."""
    portable = launcher / "out-portable"
    before = {table: _rows(portable, table) for table in TABLES}
    result = run_cli("run", *INPUTS, "--output", "out-portable", *pool.runner_args(), cwd=launcher)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = _manifest(portable)
    # every input record, the in-run duplicate's too (its URL is in the output now)
    assert manifest["read"]["already_present"] == manifest["records"] == 25
    assert manifest["new"] == {"articles": 0, "mentions": 0}
    assert {table: _rows(portable, table) for table in TABLES} == before
    assert not list(pool.folder.iterdir())
