"""Runner defaults: what eventwire sets when the user does not."""

from __future__ import annotations

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
