"""``eventwire run``'s cleaning helpers, started before Beam is imported.

A local run spends ~0.6 s importing Beam and ~0.6 s building its graph, on one core. Its cleaning
helpers need ~0.9 s of CPU to load their models (trafilatura, langdetect's profiles, the lemma
dictionaries; once, in the template they are forked from); started only after Beam's import,
they were what the first page waited for. ``start_helpers`` starts them first, with the settings,
the event model and the start time the run then uses (``pipeline.batch.run(argv, early)``), so
``CleanFn`` adopts them.

Beam-free by design: whether the graph will run in this process is read from the command line
the way ``pipeline.options`` decides it. A wrong guess costs time, never a result: helpers that
are not adopted are stopped, and the run starts its own. A run that may wait for its output
(``--wait-for-lock``) starts them once it holds it, as without the early start.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os

from pipeline.runners import IN_PROCESS, canonical_runner
from transforms.clean.document import prestart_helpers
from transforms.events.model import EventModel, load_event_model
from transforms.settings import ConfigError, Settings, load_settings


@dataclasses.dataclass(frozen=True)
class EarlyRun:
    """What ``start_helpers`` fixed for the run: ``batch.run`` uses these, not its own."""

    config: str | None  # the --config they were loaded from
    settings: Settings  # clean.parse_processes resolved for an in-process run
    model: EventModel
    started_at: dt.datetime


class _Unreadable(ValueError):
    """The command line does not parse: no early start; the run's own parser reports it."""


class _QuietParser(argparse.ArgumentParser):
    """Reads a few options and never exits nor prints: the error is the run's to report, in its words."""

    def __init__(self) -> None:
        super().__init__(add_help=False, allow_abbrev=False)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Unreadable(message)


def runs_in_process(argv: list[str]) -> bool:
    """``pipeline.options.runs_in_process(with_local_defaults(...))``, from the command line alone
    (False when it does not parse)."""
    parser = _QuietParser()
    parser.add_argument("--runner")
    parser.add_argument("--direct_num_workers", type=int)
    parser.add_argument("--direct_running_mode")
    try:
        args, _ = parser.parse_known_args(argv)
    except _Unreadable:
        return False
    workers, mode = args.direct_num_workers, args.direct_running_mode
    if args.runner is None:  # with_local_defaults: FnApiRunner, one worker, in memory
        workers = workers or 1
        mode = mode or ("in_memory" if workers == 1 else "multi_processing")
    return (args.runner is None or canonical_runner(args.runner) in IN_PROCESS) and (workers or 1) == 1 and mode in (None, "in_memory")


def start_helpers(argv: list[str]) -> EarlyRun | None:
    """Start the cleaning helpers of ``eventwire run argv`` now, when its graph will run in this
    process; None when it will not, or when its configuration does not load (the run then
    reports that as it always did)."""
    if not runs_in_process(argv):
        return None
    parser = _QuietParser()
    parser.add_argument("--config")
    parser.add_argument("--wait-for-lock", dest="wait_for_lock", type=float, default=0.0)
    try:
        args = parser.parse_known_args(argv)[0]
    except _Unreadable:
        return None
    if args.wait_for_lock:  # it may wait on another run: its helpers start once it holds the output
        return None
    config = args.config
    try:
        settings = load_settings(config)
        if settings.clean.parse_processes <= 0:  # pipeline.options.with_parallelism, in process
            clean = dataclasses.replace(settings.clean, parse_processes=max(1, os.cpu_count() or 1))
            settings = dataclasses.replace(settings, clean=clean)
        model = load_event_model(settings)
    except (ConfigError, OSError):
        return None
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    prestart_helpers(settings.clean, started, settings.language, model)
    return EarlyRun(config, settings, model, started)
