"""``eventwire run``: the batch job over article files. ``run(argv)`` builds and runs the graph."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import os
import posixpath
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions

from pipeline import interrupt, memory, waves
from pipeline.graph import ArticlesToTables
from pipeline.options import (
    EventwireOptions,
    pipeline_options_last,
    placement,
    reject_unknown_options,
    runs_in_process,
    with_local_defaults,
    with_parallelism,
)
from pipeline.preflight import OutputUnusable, check_output
from pipeline.runners import absolute, local_path_refusal
from pipeline.summary import RunSummary, counters_from, write_manifest
from transforms.events.model import EventModel, load_event_model
from transforms.isolation import shelf
from transforms.output.check import DamagedOutput, check_or_repair
from transforms.output.commit import (
    RunContext,
    recover,
    remove_staging,
    settle_failed_run,
    written_partitions,
)
from transforms.output.lock import OutputLock, OutputLocked
from transforms.output.write import remove_staging_folder
from transforms.read import formats, walk
from transforms.read.stage import ReadFiles, ReadWork, output_exclusion
from transforms.records import Reject
from transforms.settings import ConfigError, Settings, load_settings

log = logging.getLogger("eventwire")


class NoInput(ValueError):
    """An input that matches no file."""


class RunFailed(RuntimeError):
    """The run stopped (exit status 1); the message says what the output holds now."""


def _os_error(exc: BaseException | None) -> OSError | None:
    """The OSError behind an error (Beam re-raises a worker's error as another type, chained)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).split(" [while running")[0].strip().splitlines() or [""])[0][:300]


def expand_inputs(inputs: list[str], output: str | None = None) -> list[str]:
    """Files, folders (read recursively), globs and gs:// patterns -> match patterns, each checked.

    Local inputs are checked with the run's own walk (``transforms/read/walk.py``): the output root is
    not an input, a dangling link named directly is one (a reject), and only the first file is looked
    for (a folder of a million files is not listed twice)."""
    exclude = output_exclusion(output)
    patterns = []
    for item in inputs:
        pattern = item
        if "*" not in item and "?" not in item:
            if _is_dir(item) or ("://" in item and not FileSystems.exists(item)):
                # gs:// has no folder objects: a prefix is a folder when objects live under it
                pattern = FileSystems.join(item.rstrip("/"), "**")
            elif not (os.path.lexists(item) if "://" not in item else FileSystems.exists(item)):
                raise NoInput(f"{item}: no such file or folder")
        if "://" in pattern:
            found = FileSystems.match([pattern])[0].metadata_list
            any_input = any(not formats.is_sidecar(m.path) for m in found)
        else:
            any_input = any(isinstance(i, Reject) or not formats.is_sidecar(i.path)
                            for i in walk.match(pattern, exclude))
        if not any_input:
            raise NoInput(f"{item}: matches no file")
        patterns.append(pattern)
    return patterns


def time_since_start(clock: float) -> float:
    """Seconds from the command's start (``transforms.eta.COMMAND_STARTED``) to ``clock``; 0 outside the CLI."""
    from transforms import eta

    return max(0.0, clock - eta.COMMAND_STARTED) if eta.COMMAND_STARTED is not None else 0.0


def _is_dir(path: str) -> bool:
    if "://" in path:
        return path.endswith("/")
    return posixpath.isdir(path)


def new_run_id(now: dt.datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def build_parser(for_help: bool = False) -> argparse.ArgumentParser:
    """The command line. eventwire's own options belong to EventwireOptions (they travel with the
    job), so they are parsed there; ``for_help`` only adds them to what ``--help`` shows."""
    parser = argparse.ArgumentParser(prog="eventwire run", description="Process article files into the tables.",
                                     epilog="Any other --flag is a Beam pipeline option (--runner, --direct_num_workers, ...).")
    parser.add_argument("inputs", nargs="+", help="files, folders, quoted globs or gs:// patterns")
    if for_help:
        EventwireOptions._add_argparse_args(parser.add_argument_group("eventwire options"))
    return parser


def run(argv: list[str]) -> RunSummary:
    """Build and run the batch pipeline; returns the summary. Raises on configuration errors."""
    parser = build_parser()
    args, beam_args = parser.parse_known_args(pipeline_options_last(argv, parser))
    reject_unknown_options(beam_args, parser.prog)
    options = with_local_defaults(PipelineOptions(beam_args), beam_args)
    opts = options.view_as(EventwireOptions)
    options.view_as(SetupOptions).save_main_session = False
    refusal = None if opts.shared_filesystem else local_path_refusal(placement(options), opts.output, args.inputs)
    if refusal:
        raise ConfigError(refusal)
    # Workers resolve a relative path against their own working folder (a portable runner's
    # worker pool, Dataflow's workers), while the lock, the manifest and the staging clean-up
    # use the launcher's: resolve both here, before the graph is built.
    opts.output = absolute(opts.output)
    inputs = [absolute(item) for item in args.inputs]
    in_process = runs_in_process(options)
    settings = with_parallelism(load_settings(opts.config), options)
    if opts.max_records:
        settings = dataclasses.replace(settings, read=dataclasses.replace(settings.read, max_records_per_file=opts.max_records))
    model = load_event_model(settings)
    patterns = expand_inputs(inputs, opts.output.rstrip("/"))
    check_output(opts.output)
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ctx = RunContext(output=opts.output.rstrip("/"), run_id=new_run_id(started), started_at=started)
    summary = RunSummary(ctx.run_id, ctx.output, list(args.inputs))
    clock = time.monotonic()
    summary.startup_seconds = time_since_start(clock)
    interrupt.register_run(ctx.output, ctx.run_id)
    # The helpers' templates outlive a wave's pipeline: the next wave forks from them (transforms/isolation/shelf.py)
    with OutputLock(ctx.output, ctx.run_id, wait_seconds=opts.wait_for_lock), shelf.keeping():
        # What a killed run left behind: finish its commit if it reached the commit point, drop the rest.
        # We hold the lock, so nobody else is writing.
        summary.recovered = recover(ctx.output)
        quarantined = check_or_repair(ctx.output, ctx.run_id, opts.repair)
        for source, target in quarantined:
            log.warning("damaged output moved aside: %s -> %s", source, target)
        log.info("run %s: reading %s into %s", ctx.run_id, ", ".join(args.inputs), ctx.output)
        # Beam logs a failing step's traceback itself; the run reports its failure once (below)
        logging.getLogger("apache_beam.runners.common").setLevel(logging.CRITICAL)
        extra = {"started_at": started.isoformat(), "patterns": patterns, "reprocess": opts.reprocess,
                 "quarantined": [{"from": a, "to": b} for a, b in quarantined]}
        # In-process, the input is read in waves (pipeline/waves.py): memory is a wave's, not the run's
        plan: Iterator[waves.Wave | None] = (
            waves.plan(waves.listing(patterns, ctx.output), settings.read, split=not opts.max_records)
            if in_process else iter([None]))
        if in_process:  # the launcher runs every wave (pipeline/memory.py; the CLI chose them already)
            memory.choose_allocators()
        counters: dict[str, int] = {}
        written: dict[tuple[str, str], int] = {}
        for number, (wave, last) in enumerate(_with_last(plan)):
            wave_ctx = ctx if number == 0 else dataclasses.replace(ctx, run_id=f"{ctx.run_id}.w{number}")
            if wave is not None and not last:  # another wave follows (planned ahead): see pipeline/memory.py
                memory.fix_mmap_threshold()
            if wave is not None and not (number == 0 and last):
                log.info("run %s: wave %d, %d file(s) or part(s), %.0f MiB", ctx.run_id, number + 1, len(wave),
                         wave.bytes / (1 << 20))
            result = _run_wave(options, wave_ctx, number, settings, model, opts.reprocess, patterns, wave)
            for name, value in counters_from(result).items():
                counters[name] = counters.get(name, 0) + value
            for table, partition, rows in written_partitions(wave_ctx):
                written[(table, partition)] = rows
            summary.counters = counters
            summary.written = [(t, p, rows) for (t, p), rows in sorted(written.items())]
            summary.elapsed_seconds = time.monotonic() - clock
            try:  # the manifest before success: a run is reported done only with its audit record written
                write_manifest(ctx.output, ctx.run_id, summary.manifest(),
                               {**extra, "waves": number + 1, "complete": last})
            except OSError as exc:
                raise RunFailed(f"the new data is committed, but the run manifest could not be written ({exc}); "
                                f"the next run writes it from the commit journal") from exc
            # after the manifest: a crash in between leaves a journal that replays as a no-op
            if last:
                remove_staging(ctx)
            else:
                remove_staging_folder(wave_ctx)
                memory.release_freed()  # the next wave starts from what is live, not from this wave's peak
    return summary


def _with_last(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """Each item and whether it is the last (the next is looked at first: a wave is planned ahead)."""
    current = next(items)
    for following in items:
        yield current, False
        current = following
    yield current, True


def _run_wave(options: PipelineOptions, ctx: RunContext, number: int, settings: Settings, model: EventModel,
              reprocess: bool, patterns: list[str], wave: waves.Wave | None) -> Any:
    """One pipeline (a wave, or the whole input on a runner of its own) and its commit; a failure
    settles it at once (pipeline/batch.py RunFailed) and says what the output holds."""
    in_process = wave is not None
    try:
        with beam.Pipeline(options=options) as pipeline:
            if wave is None:
                read = pipeline | "ReadFiles" >> ReadFiles(patterns, settings.read, split=not in_process,
                                                           output=ctx.output)
            else:
                read = pipeline | "ReadFiles" >> ReadWork(wave.items, wave.rejects, settings.read)
            _ = read | "ToTables" >> ArticlesToTables(settings, model, ctx, reprocess=reprocess)
    except BaseException as exc:
        done = f"the {number} wave(s) before it are committed and in the run manifest" if number else ""
        raise_failed(exc, ctx, done)
    return pipeline.result


def raise_failed(exc: BaseException, ctx: RunContext, done: str = "") -> None:
    """Settle a pipeline that failed while holding the lock (``eventwire run`` and ``feeds``): complete
    its commit or remove its staging at once, then raise RunFailed saying what the output holds (an
    interrupt or a damaged output is re-raised as it is). ``done``: what earlier steps committed."""
    outcome = settle_failed_run(ctx)  # also on an interrupt: no staging left on a full disk
    if done:
        outcome += f"; {done}"
    if isinstance(exc, DamagedOutput) or not isinstance(exc, Exception) or interrupt.interrupted():
        raise exc  # an interrupt (Beam wraps it in a RuntimeError) is reported by pipeline/cli.py
    if _os_error(exc) is None:
        log.error("run %s failed", ctx.run_id, exc_info=exc)  # a bug: its traceback, then the one line
    else:  # the environment (a full disk, a permission): the one line says it
        exc = _os_error(exc)  # type: ignore[assignment]
    raise RunFailed(f"failed: {type(exc).__name__}: {_first_line(exc)}; {outcome}") from exc


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        build_parser(for_help=True).print_help()
        return 0
    try:
        summary = run(argv)
    except (NoInput, ConfigError, OutputLocked, OutputUnusable, DamagedOutput) as exc:
        print(f"eventwire run: {str(exc).split(' [while running')[0]}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"eventwire run: {exc}", file=sys.stderr)
        return 1
    print(summary.text())
    return 0
