"""Runner names as users type them, runners refused, and local paths under runners whose workers are elsewhere.

The run through a real portable runner and worker pool is tests/test_portable.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import DebugOptions, PipelineOptions, StandardOptions
from apache_beam.runners import runner as beam_runner

from pipeline.feeds import prepare
from pipeline.options import DATAFLOW_THREADS, reject_unknown_options, with_local_defaults
from pipeline.runners import KNOWN_RUNNERS, Placement, absolute, canonical_runner, local_path_refusal
from tests.conftest import REPO, run_cli
from transforms.settings import ConfigError

SHORT_NAMES = ("DataflowRunner", "FlinkRunner", "SparkRunner", "PortableRunner", "DirectRunner")


def test_the_runner_table_is_beams() -> None:
    beams = {path.rsplit(".", 1)[1]: path.rsplit(".", 1)[0] for path in StandardOptions.ALL_KNOWN_RUNNERS}
    assert {name: module for name, module in KNOWN_RUNNERS.items()} == beams


@pytest.mark.parametrize("spelling", [*SHORT_NAMES, "dataflow", "Dataflow", "flink", "spark", "portable", "direct",
                                      "fnapirunner", "apache_beam.runners.dataflow.dataflow_runner.DataflowRunner"])
def test_every_spelling_beam_accepts_names_the_runner_beam_runs(spelling: str) -> None:
    beams = beam_runner._RUNNER_MAP.get(spelling.lower(), beam_runner._RUNNER_MAP.get(spelling.lower() + "runner", spelling))
    assert canonical_runner(spelling) == beams.rsplit(".", 1)[1]
    reject_unknown_options(["--runner", spelling])  # accepted


@pytest.mark.parametrize("spelling", ["DataflowRunner", "dataflow", "Dataflow", "dataflowrunner",
                                      "apache_beam.runners.dataflow.dataflow_runner.DataflowRunner",
                                      "apache_beam.runners.dataflow.DataflowRunner"])
def test_two_worker_threads_on_dataflow_whatever_the_spelling(spelling: str) -> None:
    argv = ["--runner", spelling, "--project=p", "--region=r", "--temp_location=gs://b/t"]
    options = with_local_defaults(PipelineOptions(argv), argv)
    assert options.view_as(DebugOptions).number_of_worker_harness_threads == DATAFLOW_THREADS


def test_options_of_a_runner_that_registers_late_are_not_typos() -> None:
    """RenderOptions exist only once apache_beam.runners.render is imported (as DaskOptions do)."""
    render = ["--runner", "apache_beam.runners.render.RenderRunner", "--render_output", "graph.dot"]
    reject_unknown_options(render)
    with pytest.raises(ConfigError, match="unknown option --render_outptu"):
        reject_unknown_options([*render[:2], "--render_outptu", "graph.dot"])


@pytest.mark.parametrize("runner", ["DaskRunner", "apache_beam.runners.dask.dask_runner.DaskRunner"])
def test_dask_is_refused_with_its_reasons_and_its_options_are_not_typos(runner: str) -> None:
    with pytest.raises(ConfigError, match=r"DaskRunner is not supported.*finish_bundle"):
        reject_unknown_options(["--runner", runner, "--dask_client_address", "127.0.0.1:8786"])


def test_a_mistyped_runner_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"unknown runner Flnk \(did you mean FlinkRunner\?\)"):
        reject_unknown_options(["--runner", "Flnk"])
    with pytest.raises(ConfigError, match=r"runner nosuch\.module\.Runner is not available"):
        reject_unknown_options(["--runner=nosuch.module.Runner"])


@pytest.mark.parametrize(("placement", "shared"), [
    (Placement(None), True),
    (Placement("DirectRunner"), True),
    (Placement("FnApiRunner"), True),
    (Placement("PrismRunner"), True),
    (Placement("DataflowRunner"), False),
    (Placement("FlinkRunner", flink_master="[auto]"), False),  # the job server may name a cluster
    (Placement("FlinkRunner", flink_master="flink-jm:8081"), False),
    (Placement("FlinkRunner", environment_type="LOOPBACK", flink_master="[local]"), True),  # Flink in the job server
    (Placement("FlinkRunner", environment_type="DOCKER", flink_master="[local]"), False),
    (Placement("SparkRunner", spark_master_url="local[4]"), True),  # Beam's default: LOOPBACK workers
    (Placement("SparkRunner", spark_master_url="local"), True),
    (Placement("SparkRunner", spark_master_url="spark://master:7077"), False),
    (Placement("SparkRunner", environment_type="EXTERNAL", spark_master_url="local[4]"), False),
    (Placement("PortableRunner", "localhost:8099", "LOOPBACK"), False),  # a job server: where it runs is unknown
    (Placement("PortableRunner", "embed", None), False),  # Docker workers: their own filesystem
    (Placement("PortableRunner", "embed", "DOCKER"), False),
    (Placement("PortableRunner", "embed", "LOOPBACK"), True),
    (Placement("PortableRunner", "embed", "PROCESS"), True),
    (Placement("PortableRunner", "embed", "EXTERNAL", "localhost:50000"), True),
    (Placement("PortableRunner", "embed", "EXTERNAL", "127.0.0.1:50000"), True),
    (Placement("PortableRunner", "embed", "EXTERNAL", "[::1]:50000"), True),
    (Placement("PortableRunner", "embed", "EXTERNAL", "worker-pool.internal:50000"), False),
    (Placement("MyRunner"), False),
])
def test_which_runners_share_the_launchers_disk(placement: Placement, shared: bool) -> None:
    assert placement.shares_launcher_disk() is shared


def test_the_placement_reads_beams_defaults() -> None:
    from pipeline.options import placement

    assert placement(PipelineOptions(["--runner=flink"])) == Placement("FlinkRunner", flink_master="[auto]",
                                                                       spark_master_url="local[4]")
    assert not placement(PipelineOptions(["--runner=flink"])).shares_launcher_disk()
    assert placement(PipelineOptions(["--runner=SparkRunner"])).shares_launcher_disk()


def test_local_paths_are_refused_only_where_workers_do_not_share_the_disk() -> None:
    dataflow = Placement("DataflowRunner")
    assert local_path_refusal(dataflow, "gs://b/out", ["gs://b/in/*.warc.gz"]) is None
    refusal = local_path_refusal(dataflow, "output", ["gs://b/in"])
    assert refusal is not None and refusal.startswith("--output output is a local path, but DataflowRunner")
    assert "--shared-filesystem" in refusal and "\n" not in refusal
    refusal = local_path_refusal(dataflow, "gs://b/out", ["gs://b/in", "news/"])
    assert refusal is not None and refusal.startswith("input news/ is a local path")
    assert local_path_refusal(Placement(None), "output", ["news/"]) is None


def test_absolute_resolves_local_paths_against_the_launchers_folder(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute("out") == str(tmp_path / "out")
    assert absolute("news/") == f"{tmp_path / 'news'}/"  # a trailing slash still means a folder
    assert absolute("news/*.jsonl") == str(tmp_path / "news" / "*.jsonl")
    assert absolute("gs://bucket/out") == "gs://bucket/out"


def test_dataflow_with_a_local_output_stops_before_anything_is_written(tmp_path: Path) -> None:
    """The default --output is ./output: on Dataflow the tables would land on short-lived worker disks."""
    result = run_cli("run", str(REPO / "seeds"), "--runner", "DataflowRunner", "--project", "p", "--region", "r",
                     "--temp_location", "gs://b/tmp", cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("eventwire run: --output output is a local path, but DataflowRunner")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not list(tmp_path.iterdir())  # no output folder, no lock


def test_dask_is_refused_on_the_command_line(tmp_path: Path) -> None:
    result = run_cli("run", str(REPO / "seeds"), "--output", "out", "--runner",
                     "apache_beam.runners.dask.dask_runner.DaskRunner", "--dask_client_address", "127.0.0.1:8786",
                     cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("eventwire run: Beam's DaskRunner is not supported")
    assert not list(tmp_path.iterdir())


def test_feeds_refuse_a_local_output_on_dataflow_unless_it_is_on_a_shared_filesystem(tmp_path: Path,
                                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    dataflow = ["https://example.org/feed.xml", "--output", "out", "--runner", "DataflowRunner", "--project", "p",
                "--region", "r", "--temp_location", "gs://b/tmp"]
    with pytest.raises(ConfigError, match="--output out is a local path, but DataflowRunner"):
        prepare(dataflow)
    job, _ = prepare([*dataflow, "--shared-filesystem"])
    assert job.output == str(tmp_path / "out")
