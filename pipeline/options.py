"""eventwire's pipeline options: a PipelineOptions subclass, so they travel with the job."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import importlib
import os

from apache_beam.options.pipeline_options import (
    DebugOptions,
    DirectOptions,
    PipelineOptions,
    StandardOptions,
    TypeOptions,
    WorkerOptions,
)

from pipeline.runners import (
    DASK_UNSUPPORTED,
    DATAFLOW,
    IN_PROCESS,
    KNOWN_RUNNERS,
    Placement,
    canonical_runner,
    runner_module,
)
from transforms.settings import ConfigError, Settings


class EventwireOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--output", default="output", help="output root: a local folder or gs://bucket/prefix (default: output)")
        parser.add_argument("--config", default=None, help="a pipeline.yaml to use instead of the packaged one")
        parser.add_argument("--reprocess", action="store_true",
                            help="re-extract articles already in the output (e.g. after a lexicon update)")
        parser.add_argument("--max-records", dest="max_records", type=int, default=0,
                            help="read at most N records per input file (try a huge bucket on a sample)")
        parser.add_argument("--repair", action="store_true",
                            help="move damaged or foreign files and invalid partition folders of the output to "
                                 "OUT/_quarantine/RUN_ID/ (nothing is deleted), rebuild events from their mentions, "
                                 "and go on; without it such an output stops the run with exit status 2")
        parser.add_argument("--wait-for-lock", dest="wait_for_lock", type=float, default=0.0,
                            help="seconds to wait when another run holds the output (default: fail at once)")
        parser.add_argument("--type-check", dest="type_check", action="store_true",
                            help="local runs: check the graph's type hints while building it (Beam's "
                                 "pipeline_type_check; off by default, ~0.1 s; always on for Dataflow)")
        parser.add_argument("--shared-filesystem", dest="shared_filesystem", action="store_true",
                            help="the local --output and inputs are on a filesystem every worker mounts at "
                                 "the same path (else a runner whose workers are elsewhere refuses them)")


def runner_argument(argv: list[str]) -> str | None:
    """The value of the last ``--runner`` in argv (as Beam reads it), or None."""
    runner = None
    for index, token in enumerate(argv):
        if token == "--runner" and index + 1 < len(argv):
            runner = argv[index + 1]
        elif token.startswith("--runner="):
            runner = token.split("=", 1)[1]
    return runner


def check_runner(name: str | None) -> None:
    """ConfigError for a runner eventwire cannot run on: DaskRunner (wrong tables), a short name
    Beam does not know (a typo: Beam would fail with a traceback), a module that does not import.
    Importing the runner's module also registers its options (DaskOptions, RenderOptions and a
    custom runner's register only then), so they are not taken for typos."""
    if name is None:
        return
    canonical = canonical_runner(name)
    if canonical == "DaskRunner":
        raise ConfigError(DASK_UNSUPPORTED)
    module = runner_module(name)
    if module is None:
        close = difflib.get_close_matches(name, list(KNOWN_RUNNERS), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"unknown runner {name}{hint}: use a Beam runner name such as DataflowRunner, "
                          f"FlinkRunner, SparkRunner, PortableRunner or DirectRunner, or a runner's dotted path")
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"runner {name} is not available: {exc}") from None
    if "." in name and not hasattr(loaded, canonical or ""):
        raise ConfigError(f"runner {name}: {module} has no {canonical}")


def _pipeline_option_parser(argv: list[str] | None = None, prog: str | None = None) -> argparse.ArgumentParser:
    """Every pipeline option, as Beam collects them: its own, its runners', eventwire's (and those
    of the runner argv names, whose module registers them when imported). ``prog`` names the command
    in its errors (``eventwire run: error: argument --max-records: ...``)."""
    from apache_beam.options.pipeline_options import (
        _BeamArgumentParser,  # pinned Beam; the parser its options need
    )

    runner = runner_argument(argv or [])
    module = runner_module(runner) if runner else None
    if module and canonical_runner(runner) != "DaskRunner":
        with contextlib.suppress(ImportError):  # check_runner says so, in one line
            importlib.import_module(module)
    parser = _BeamArgumentParser(prog=prog, allow_abbrev=False, add_help=False)
    if prog:  # one line, not a usage listing every Beam option (~150 lines) before it
        parser.error = lambda message: parser.exit(2, f"{prog}: error: {message} (see {prog} --help)\n")  # type: ignore[method-assign]
    for cls in {str(c): c for c in PipelineOptions.__subclasses__()}.values():
        cls._add_argparse_args(parser)
    return parser


def pipeline_options_last(argv: list[str], command: argparse.ArgumentParser) -> list[str]:
    """argv with every pipeline option (eventwire's and Beam's) and its value moved behind the rest.

    A command's parser knows its positionals and its own flags and leaves the pipeline options to
    Beam, so an option given before the inputs (``run --output DIR a.html``, ``run --runner
    DataflowRunner gs://...``) lent its value to the inputs and reached Beam without one."""
    mine = command._option_string_actions
    pipeline = _pipeline_option_parser(argv)._option_string_actions
    rest: list[str] = []
    moved: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        name, equals, _ = token.partition("=")
        action = (mine.get(name) or pipeline.get(name)) if token.startswith("--") else None
        takes_value = action is not None and not equals and action.nargs != 0 and index + 1 < len(argv)
        span = argv[index : index + (2 if takes_value else 1)]  # the option and its value stay together
        (moved if action is not None and name not in mine else rest).extend(span)
        index += len(span)
    return rest + moved


def reject_unknown_options(beam_args: list[str], prog: str | None = None) -> None:
    """ConfigError for a ``--flag`` that no options class (Beam's, its runners', ours) declares.

    Beam only logs "Unparseable argument" and goes on, so a typo (``--outptu DIR``) ran with the
    default and wrote to ``./output``. The runner is checked first (``check_runner``). A bad value
    (``--max-records abc``) is argparse's usage error (exit 2), under the command's name."""
    check_runner(runner_argument(beam_args))
    parser = _pipeline_option_parser(beam_args, prog)
    _, unknown = parser.parse_known_args(beam_args)
    flags = [arg for arg in unknown if arg.startswith("-")]
    if flags:
        known = [opt for action in parser._actions for opt in action.option_strings]
        name = flags[0].split("=", 1)[0]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"unknown option {name}{hint}: neither an eventwire option (--help) nor a Beam pipeline option")


DATAFLOW_THREADS = 2  # DoFn threads per Dataflow SDK process (one process per vCPU); see with_local_defaults


def with_local_defaults(options: PipelineOptions, argv: list[str]) -> PipelineOptions:
    """Name the runner explicitly: Beam's bare default first tries to download Prism from GitHub.
    On Dataflow, bound the DoFn threads per SDK process (each thread's cleaning helper is a process).

    Locally that is FnApiRunner executing the graph in-process, with the cleaning (trafilatura,
    most of an article's cost) spread over one helper process per core (``clean.parse_processes``,
    see ``with_parallelism``). Measured with bench/throughput.py, this beats Beam's
    multi-process mode on the same cores: no worker processes that each import Beam and load
    every model again, and no gRPC hop for every element between stages.
    """
    standard = options.view_as(StandardOptions)
    given = " ".join(argv)
    if canonical_runner(standard.runner) in DATAFLOW and "--number_of_worker_harness_threads" not in given:
        # Each DoFn thread keeps its own cleaning helper (~300 MB: trafilatura, langdetect, simplemma).
        # Dataflow runs one SDK process per vCPU, so two threads each give ~2 helpers per vCPU: enough
        # to keep the vCPU busy while a thread waits on GCS, and ~2.5 GB on an n2-standard-4.
        options.view_as(DebugOptions).number_of_worker_harness_threads = DATAFLOW_THREADS
    if standard.runner is None:
        standard.runner = "FnApiRunner"
        direct = options.view_as(DirectOptions)
        if "--direct_num_workers" not in given:
            direct.direct_num_workers = 1
        if "--direct_running_mode" not in given:
            direct.direct_running_mode = "in_memory" if direct.direct_num_workers == 1 else "multi_processing"
        if "--default_sdk_harness_log_level" not in given:
            # worker processes would otherwise print Beam's harness chatter at INFO on every run
            options.view_as(WorkerOptions).default_sdk_harness_log_level = "WARNING"
        if not options.view_as(EventwireOptions).type_check:
            # Beam's construction-time check of type hints between transforms (~0.1 s of every local
            # run's start). The graph is eventwire's own and fixed: tests/test_options.py builds it
            # with the check on (--type-check).
            options.view_as(TypeOptions).pipeline_type_check = False
    return options


def runs_in_process(options: PipelineOptions) -> bool:
    """True when the local runner executes the whole graph in this one process."""
    direct = options.view_as(DirectOptions)
    return (canonical_runner(options.view_as(StandardOptions).runner) in IN_PROCESS
            and (direct.direct_num_workers or 1) == 1 and direct.direct_running_mode in (None, "in_memory"))


def with_parallelism(settings: Settings, options: PipelineOptions) -> Settings:
    """Resolve ``clean.parse_processes: 0``: one helper per core when the graph runs in-process
    (the helpers are then where the cores are used), else one per worker (Dataflow and the
    multi-process runner already run a worker per core)."""
    if settings.clean.parse_processes > 0:
        return settings
    processes = max(1, os.cpu_count() or 1) if runs_in_process(options) else 1
    return dataclasses.replace(settings, clean=dataclasses.replace(settings.clean, parse_processes=processes))


def placement(options: PipelineOptions) -> Placement:
    """Where the workers of these options run, as far as the launcher's disk is concerned."""
    from apache_beam.options.pipeline_options import FlinkRunnerOptions, PortableOptions, SparkRunnerOptions

    portable = options.view_as(PortableOptions)
    return Placement(canonical_runner(options.view_as(StandardOptions).runner), portable.job_endpoint,
                     portable.environment_type, portable.environment_config,
                     options.view_as(FlinkRunnerOptions).flink_master,
                     options.view_as(SparkRunnerOptions).spark_master_url)
