"""eventwire's pipeline options: a PipelineOptions subclass, so they travel with the job."""

from __future__ import annotations

import os

from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    StandardOptions,
    WorkerOptions,
)


class EventwireOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--output", default="output", help="output root: a local folder or gs://bucket/prefix")
        parser.add_argument("--config", default=None, help="a pipeline.yaml to use instead of the packaged one")
        parser.add_argument("--reprocess", action="store_true",
                            help="re-extract articles already in the output (e.g. after a lexicon update)")
        parser.add_argument("--max-records", dest="max_records", type=int, default=0,
                            help="read at most N records per input file (try a huge bucket on a sample)")
        parser.add_argument("--wait-for-lock", dest="wait_for_lock", type=float, default=0.0,
                            help="seconds to wait when another run holds the output (default: fail at once)")


def with_local_defaults(options: PipelineOptions, argv: list[str]) -> PipelineOptions:
    """Name the runner explicitly: Beam's bare default first tries to download Prism from GitHub.

    Locally that is FnApiRunner on every core, multi-process (trafilatura and langdetect are
    CPU-bound Python; threads would share one core).
    """
    standard = options.view_as(StandardOptions)
    if standard.runner is None:
        standard.runner = "FnApiRunner"
        direct = options.view_as(DirectOptions)
        given = " ".join(argv)
        if "--direct_num_workers" not in given:
            direct.direct_num_workers = max(1, os.cpu_count() or 1)
        if "--direct_running_mode" not in given and direct.direct_num_workers > 1:
            direct.direct_running_mode = "multi_processing"
        if "--default_sdk_harness_log_level" not in given:
            # worker processes would otherwise print Beam's harness chatter at INFO on every run
            options.view_as(WorkerOptions).default_sdk_harness_log_level = "WARNING"
    return options
