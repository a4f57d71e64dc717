"""Runner defaults: what eventwire sets when the user does not."""

from __future__ import annotations

import shutil

import pytest
from apache_beam.options.pipeline_options import DebugOptions, DirectOptions, PipelineOptions, StandardOptions

from pipeline.options import DATAFLOW_THREADS, runs_in_process, with_local_defaults, with_parallelism
from transforms.settings import load_settings


def _options(argv: list[str]) -> PipelineOptions:
    return with_local_defaults(PipelineOptions(argv), argv)


def test_local_default_runs_in_process_with_one_cleaning_helper_per_core(monkeypatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    options = _options([])
    assert options.view_as(StandardOptions).runner == "FnApiRunner"
    assert options.view_as(DirectOptions).direct_running_mode == "in_memory" and runs_in_process(options)
    assert with_parallelism(load_settings(), options).clean.parse_processes == 6


def test_multi_process_mode_keeps_one_helper_per_worker() -> None:
    options = _options(["--direct_num_workers=2"])
    assert options.view_as(DirectOptions).direct_running_mode == "multi_processing" and not runs_in_process(options)
    assert with_parallelism(load_settings(), options).clean.parse_processes == 1


def test_dataflow_bounds_threads_per_sdk_process_unless_told() -> None:
    dataflow = ["--runner=DataflowRunner", "--project=p", "--region=r", "--temp_location=gs://b/t"]
    assert _options(dataflow).view_as(DebugOptions).number_of_worker_harness_threads == DATAFLOW_THREADS
    told = _options([*dataflow, "--number_of_worker_harness_threads=6"])
    assert told.view_as(DebugOptions).number_of_worker_harness_threads == 6
    assert with_parallelism(load_settings(), told).clean.parse_processes == 1


def test_eventwire_options_before_the_inputs_are_not_taken_for_inputs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`run --output DIR FILE` failed with "argument --output: expected one argument" (DIR was read as an input)."""
    from tests.conftest import FAST_BEAM, REPO, read_table, run_cli

    seed = next((REPO / "seeds").glob("003_*.txt"))
    out = tmp_path / "out"
    result = run_cli("run", "--output", str(out), "--max-records", "5", str(seed), *FAST_BEAM)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [row["source_uri"] for row in read_table(out, "articles")] == [str(seed)]


def test_feed_options_before_the_feeds_are_not_taken_for_feeds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.feeds import prepare

    job, args = prepare(["--output", str(tmp_path / "out"), "--wait-for-lock", "7", "https://example.org/feed.xml",
                         "--allow-private-networks"])
    assert (job.output, job.wait_for_lock) == (str(tmp_path / "out"), 7.0)
    assert [spec.url for spec in job.specs] == ["https://example.org/feed.xml"] and args.allow_private_networks


def test_a_mistyped_option_stops_the_run_instead_of_writing_to_the_default_output(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Beam only logs "Unparseable argument" and goes on: `run FILE --outptu DIR` wrote to ./output."""
    from tests.conftest import FAST_BEAM, REPO, run_cli

    seed = next((REPO / "seeds").glob("003_*.txt"))
    result = run_cli("run", str(seed), "--outptu", str(tmp_path / "out"), *FAST_BEAM, cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown option --outptu (did you mean --output?)" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither DIR nor ./output was written


def test_every_beam_and_eventwire_option_is_known_and_a_typo_is_not() -> None:
    import pytest

    from pipeline.options import reject_unknown_options
    from transforms.settings import ConfigError

    reject_unknown_options(["--runner", "DataflowRunner", "--project=p", "--region", "europe-west1",
                            "--temp_location", "gs://b/t", "--setup_file", "./setup.py", "--experiments=x",
                            "--output", "o", "--reprocess", "--direct_num_workers=2"])
    with pytest.raises(ConfigError, match=r"unknown option --regoin \(did you mean --region\?\)"):
        reject_unknown_options(["--regoin", "europe-west1"])
    with pytest.raises(ConfigError, match="unknown option --no-such-thing:"):
        reject_unknown_options(["--no-such-thing=1"])


def test_beam_options_before_the_inputs_keep_their_values(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`run --direct_running_mode in_memory --output DIR FILE`: a Beam option before the inputs lent
    its value ("in_memory") to the inputs, as eventwire's own options did."""
    from tests.conftest import REPO, read_table, run_cli

    seed = next((REPO / "seeds").glob("003_*.txt"))
    out = tmp_path / "out"
    result = run_cli("run", "--direct_num_workers", "1", "--direct_running_mode", "in_memory",
                     "--output", str(out), str(seed))
    assert result.returncode == 0, result.stderr[-2000:]
    assert [row["source_uri"] for row in read_table(out, "articles")] == [str(seed)]


def test_only_pipeline_options_move_and_each_keeps_its_value() -> None:
    from pipeline.batch import build_parser
    from pipeline.feeds import build_parser as feeds_parser
    from pipeline.options import pipeline_options_last

    run = build_parser()
    assert pipeline_options_last(["--runner", "DataflowRunner", "--project", "p", "gs://b/in", "--output=gs://b/o",
                                  "--reprocess", "gs://b/more"], run) == [
        "gs://b/in", "gs://b/more", "--runner", "DataflowRunner", "--project", "p", "--output=gs://b/o", "--reprocess"]
    assert pipeline_options_last(["a.html", "--outptu", "x"], run) == ["a.html", "--outptu", "x"]  # unknown: left for the error
    watch = feeds_parser("eventwire watch", None)
    watch.add_argument("--interval", type=float)
    args, beam_args = watch.parse_known_args(pipeline_options_last(
        ["--interval", "60", "--output", "o", "https://e.org/feed", "--allow-private-networks"], watch))
    assert (args.feeds, args.interval, args.allow_private_networks, beam_args) == (
        ["https://e.org/feed"], 60.0, True, ["--output", "o"])


def test_local_runs_skip_beams_construction_type_check_unless_asked() -> None:
    from apache_beam.options.pipeline_options import TypeOptions

    assert _options([]).view_as(TypeOptions).pipeline_type_check is False
    assert _options(["--type-check"]).view_as(TypeOptions).pipeline_type_check is True
    dataflow = ["--runner=DataflowRunner", "--project=p", "--region=r", "--temp_location=gs://b/t"]
    assert _options(dataflow).view_as(TypeOptions).pipeline_type_check is True  # Beam's default there


def test_the_batch_graph_passes_beams_type_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Local runs leave Beam's construction-time type check off (it costs ~0.1 s per run): this keeps
    the graph checked. The feeds graph is checked below; the watcher's is built by TestPipeline
    (checked by default) in tests/test_streaming.py."""
    from pipeline.batch import run
    from tests.conftest import FAST_BEAM, REPO

    summary = run([str(REPO / "seeds"), "--output", str(tmp_path / "out"), "--type-check", *FAST_BEAM])
    assert summary.get("articles") == 2


def test_the_feeds_graph_passes_beams_type_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import apache_beam as beam
    from apache_beam.options.pipeline_options import TypeOptions

    from pipeline.feeds import _graph, prepare
    from transforms.output.commit import RunContext

    job, _ = prepare(["https://example.org/feed.xml", "--output", str(tmp_path / "out"), "--type-check"])
    assert job.options.view_as(TypeOptions).pipeline_type_check
    pipeline = beam.Pipeline(options=job.options)
    try:
        _graph(pipeline, job, RunContext(str(tmp_path / "out"), "r", dt.datetime.now(dt.timezone.utc)), polls=[])
    finally:
        shutil.rmtree(pipeline.local_tempdir, ignore_errors=True)  # Beam removes it in run(); this graph never runs


@pytest.mark.parametrize(("argv", "in_process"), [
    ([], True), (["--runner", "FnApiRunner"], True), (["--runner=DirectRunner"], True),
    (["--direct_num_workers=1"], True), (["--direct_num_workers", "2"], False),
    (["--direct_num_workers=2", "--direct_running_mode=in_memory"], False),
    (["--direct_running_mode=multi_processing"], False), (["--runner", "DataflowRunner"], False),
    (["--runner=PortableRunner"], False), (["--runner=FnApiRunner", "--direct_num_workers=3"], False),
    # every spelling Beam accepts for a runner (pipeline/runners.py)
    (["--runner=direct"], True), (["--runner", "fnapirunner"], True), (["--runner=SwitchingDirectRunner"], True),
    (["--runner=dataflow"], False), (["--runner=apache_beam.runners.portability.fn_api_runner.FnApiRunner"], True),
])
def test_which_command_lines_run_the_whole_graph_in_this_process(argv: list[str], in_process: bool) -> None:
    """In-process runs read their input in waves and get one cleaning helper per core."""
    assert runs_in_process(with_local_defaults(PipelineOptions(argv), argv)) is in_process
