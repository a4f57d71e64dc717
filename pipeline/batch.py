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

from pipeline import interrupt, waves
from pipeline.early import EarlyRun
from pipeline.graph import ArticlesToTables
from pipeline.localrunner import prompt_bundle_ends
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
from pipeline.progress import InputTotals, Progress, ReadProgress, ends_file, work_bytes
from pipeline.runners import absolute, local_path_refusal
from pipeline.summary import RunSummary, counters_from, write_manifest
from transforms import read as read_stage
from transforms import walk
from transforms.boilerplate import prestart_helpers
from transforms.commit import RunContext, recover, remove_staging, settle_failed_run, written_partitions
from transforms.eventmodel import EventModel, load_event_model
from transforms.guardpool import discard_prestarted
from transforms.lock import OutputLock, OutputLocked
from transforms.outputcheck import DamagedOutput, check_or_repair
from transforms.records import Reject
from transforms.settings import ConfigError, ReadSettings, Settings, load_settings
from transforms.warcsplit import split_ranges
from transforms.write import remove_staging_folder

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

    Local inputs are checked with the run's own walk (``transforms/walk.py``): the output root is
    not an input, a dangling link named directly is one (a reject), and only the first file is looked
    for (a folder of a million files is not listed twice)."""
    exclude = _output_exclusion(output)
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
            any_input = any(not read_stage.is_sidecar(m.path) for m in found)
        else:
            any_input = any(isinstance(i, Reject) or not read_stage.is_sidecar(i.path)
                            for i in walk.match(pattern, exclude))
        if not any_input:
            raise NoInput(f"{item}: matches no file")
        patterns.append(pattern)
    return patterns


def time_since_start(clock: float) -> float:
    """Seconds from the command's start (``transforms.eta.COMMAND_STARTED``) to ``clock``; 0 outside the CLI."""
    from transforms import eta

    return max(0.0, clock - eta.COMMAND_STARTED) if eta.COMMAND_STARTED is not None else 0.0


def _output_exclusion(output: str | None) -> tuple[str, ...]:
    """The run's own output root, when local: never walked as input."""
    return (output,) if output and "://" not in output else ()


def _is_dir(path: str) -> bool:
    if "://" in path:
        return path.endswith("/")
    return posixpath.isdir(path)


def new_run_id(now: dt.datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _sidecar(path: str) -> bytes | None:
    """The raw bytes of ``path``'s sidecar, or None when it has none (parsed by read.parse_sidecar)."""
    meta = read_stage.sidecar_path(path)
    if not FileSystems.exists(meta):
        return None
    with _open_raw(meta) as handle:
        return handle.read(read_stage.MAX_SIDECAR_BYTES + 1)


def _open_raw(path: str) -> Any:
    if "://" not in path:  # regular files only, and an open that cannot block on a FIFO
        return walk.open_regular(path)
    return FileSystems.open(path, compression_type="uncompressed")


class ListInputsFn(beam.DoFn):
    """Match pattern -> (path, size) of every input file (main) and Rejects (tag ``rejects``) for
    what is found but cannot be read: local inputs are walked by ``transforms/walk.py`` (regular
    files only, folder links followed, the output root excluded), gs:// patterns matched by Beam."""

    def __init__(self, exclude: tuple[str, ...] = ()) -> None:
        self._exclude = exclude

    def process(self, pattern: str) -> Iterator[Any]:
        if "://" in pattern:
            for m in FileSystems.match([pattern])[0].metadata_list:
                if not read_stage.is_sidecar(m.path):
                    yield m.path, m.size_in_bytes
            return
        for item in walk.match(pattern, self._exclude):
            if isinstance(item, Reject):
                beam.metrics.Metrics.counter("eventwire", f"reject:{item.reason}").inc()
                yield beam.pvalue.TaggedOutput("rejects", item)
            elif not read_stage.is_sidecar(item.path):
                yield item.path, item.size


class ReadFilesFn(beam.DoFn):
    """FileMetadata -> RawDocuments (main) and Rejects (tag ``rejects``)."""

    def __init__(self, settings: ReadSettings, totals: InputTotals | None = None) -> None:
        self._settings = settings
        self._totals = totals  # one process reads the whole wave: progress as done / total and time left
        self._progress: ReadProgress | None = None

    def setup(self) -> None:
        self._progress = ReadProgress(self._totals) if self._totals is not None else None

    def process(self, work: tuple[Any, ...]) -> Iterator[Any]:
        # (path, size, byte start, byte end, shard, shards[, first record, end record]): a wave's
        # range of a big JSON Lines file keeps records [first, end) (pipeline/waves.py)
        path, size, start, end, shard, shards, *records = work
        first, until = records or (0, None)
        keep = _keeper(shard, shards, first, until)
        for item in read_stage.guarded_read(path, size, self._settings, _open_raw, _sidecar,
                                            on_skip=_count_warc_skip, byte_range=(start, end), keep=keep,
                                            until=until):
            if isinstance(item, Reject):
                beam.metrics.Metrics.counter("eventwire", f"reject:{item.reason}").inc()
                yield beam.pvalue.TaggedOutput("rejects", item)
            else:
                beam.metrics.Metrics.counter("eventwire", "documents").inc()
                if self._progress is not None:
                    self._progress.documents += 1
                yield item
        if self._progress is not None:  # after the item's documents went downstream (cleaning is fused)
            self._progress.work_done(work)


def _keeper(shard: int, shards: int, first: int, until: int | None) -> Any:
    if shards == 1 and first == 0 and until is None:
        return None
    return lambda index: index % shards == shard and first <= index and (until is None or index < until)


def _count_reject(reject: Reject) -> Reject:
    beam.metrics.Metrics.counter("eventwire", f"reject:{reject.reason}").inc()
    return reject


class ReadWork(beam.PTransform):
    """One wave's work items (pipeline/waves.py) -> {"docs", "rejects"}: the launcher listed them."""

    def __init__(self, wave: waves.Wave, settings: ReadSettings) -> None:
        super().__init__()
        self._wave = wave
        self._settings = settings

    def expand(self, pbegin: Any) -> dict[str, beam.PCollection]:
        items = self._wave.items
        totals = InputTotals(sum(map(ends_file, items)), sum(map(work_bytes, items)))
        read = (pbegin | "WorkItems" >> beam.Create(items)
                | "Read" >> beam.ParDo(ReadFilesFn(self._settings, totals)).with_outputs("rejects", main="docs"))
        docs = read.docs  # the reader logs its progress against the wave's total (ReadProgress)
        listed = (pbegin | "ListingRejects" >> beam.Create(self._wave.rejects, reshuffle=False)
                  | "CountListingRejects" >> beam.Map(_count_reject))
        return {"docs": docs, "rejects": (listed, read.rejects) | "ReadRejects" >> beam.Flatten()}


def _count_warc_skip(kind: str) -> None:
    beam.metrics.Metrics.counter("eventwire", f"warc_skipped:{kind}").inc()


JSONL_SPLIT_BYTES = 4 << 20  # a JSON Lines file this big (on disk) is read by several workers ...
JSONL_MAX_SHARDS = 4  # ... at most this many: each reader still gunzips and scans the whole file


def _work_items(path_and_size: tuple[str, int], split: bool) -> list[tuple[str, int, int, int | None, int, int]]:
    """A file, byte ranges of a big .warc.gz, or record shards of a big JSON Lines file, so one
    big file does not sit on one worker. Reading and cleaning then run in one fused step: the
    pages' HTML never goes through a shuffle (the local runner would hold all of it in memory).

    Not split under --max-records (the cap is per file, and a sample reads little anyway), nor when
    the graph runs in one process: its reading is serial there, so a split only gunzips a file twice.
    """
    path, size = path_and_size
    if split and path.lower().endswith(".warc.gz"):
        return [(path, size, start, end, 0, 1) for start, end in split_ranges(size)]
    shards = 1
    if split and read_stage.file_format(path) == "jsonl":
        shards = max(1, min(JSONL_MAX_SHARDS, -(-size // JSONL_SPLIT_BYTES)))
    return [(path, size, 0, None, shard, shards) for shard in range(shards)]


class ReadFiles(beam.PTransform):
    """Match patterns -> {"docs": RawDocuments, "rejects": Rejects}; files (or their shards) spread over workers."""

    def __init__(self, patterns: list[str], settings: ReadSettings, split: bool = True,
                 output: str | None = None) -> None:
        super().__init__()
        self._patterns = patterns
        self._exclude = _output_exclusion(output)
        self._settings = settings
        self._split = split and not settings.max_records_per_file

    def expand(self, pbegin: Any) -> dict[str, beam.PCollection]:
        split = self._split
        listed = (
            pbegin
            | "Patterns" >> beam.Create(self._patterns)
            | "Match" >> beam.ParDo(ListInputsFn(self._exclude)).with_outputs("rejects", main="files")
        )
        files = (
            listed.files
            | "WorkItems" >> beam.FlatMap(lambda found: _work_items(found, split))
            # One shuffle does both: a file named by overlapping patterns is read once (its work items
            # are the same), and the work items spread over the workers (no fusion into the match)
            | "DistinctWorkItems" >> beam.Distinct()
        )
        read = files | "Read" >> beam.ParDo(ReadFilesFn(self._settings)).with_outputs("rejects", main="docs")
        docs = read.docs | "Progress" >> beam.ParDo(Progress("documents"))
        rejects = (listed.rejects, read.rejects) | "ReadRejects" >> beam.Flatten()
        return {"docs": docs, "rejects": rejects}


def build_parser(for_help: bool = False) -> argparse.ArgumentParser:
    """The command line. eventwire's own options belong to EventwireOptions (they travel with the
    job), so they are parsed there; ``for_help`` only adds them to what ``--help`` shows."""
    parser = argparse.ArgumentParser(prog="eventwire run", description="Process article files into the tables.",
                                     epilog="Any other --flag is a Beam pipeline option (--runner, --direct_num_workers, ...).")
    parser.add_argument("inputs", nargs="+", help="files, folders, quoted globs or gs:// patterns")
    if for_help:
        EventwireOptions._add_argparse_args(parser.add_argument_group("eventwire options"))
    return parser


def run(argv: list[str], early: EarlyRun | None = None) -> RunSummary:
    """Build and run the batch pipeline; returns the summary. Raises on configuration errors.

    ``early``: what ``pipeline.early.start_helpers`` fixed before Beam's import (settings, model,
    start time); the run uses them, and its cleaning step adopts the helpers started with them."""
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
    if early is not None and (early.config != opts.config or not in_process):
        discard_prestarted()  # started for another run than this one turned out to be
        early = None
    settings = early.settings if early else with_parallelism(load_settings(opts.config), options)
    if opts.max_records:
        settings = dataclasses.replace(settings, read=dataclasses.replace(settings.read, max_records_per_file=opts.max_records))
    model = early.model if early else load_event_model(settings)
    patterns = expand_inputs(inputs, opts.output.rstrip("/"))
    check_output(opts.output)
    started = early.started_at if early else dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ctx = RunContext(output=opts.output.rstrip("/"), run_id=new_run_id(started), started_at=started)
    summary = RunSummary(ctx.run_id, ctx.output, list(args.inputs))
    clock = time.monotonic()
    summary.startup_seconds = time_since_start(clock)
    interrupt.register_run(ctx.output, ctx.run_id)
    with OutputLock(ctx.output, ctx.run_id, wait_seconds=opts.wait_for_lock):
        # What a killed run left behind: finish its commit if it reached the commit point, drop the rest.
        # We hold the lock, so nobody else is writing.
        summary.recovered = recover(ctx.output)
        quarantined = check_or_repair(ctx.output, ctx.run_id, opts.repair)
        for source, target in quarantined:
            log.warning("damaged output moved aside: %s -> %s", source, target)
        log.info("run %s: reading %s into %s", ctx.run_id, ", ".join(args.inputs), ctx.output)
        if in_process and early is None:  # the cleaning helpers start while the runner builds the graph
            prestart_helpers(settings.clean, ctx.started_at, settings.language, model)
        # Beam logs a failing step's traceback itself; the run reports its failure once (below)
        logging.getLogger("apache_beam.runners.common").setLevel(logging.CRITICAL)
        extra = {"started_at": started.isoformat(), "patterns": patterns, "reprocess": opts.reprocess,
                 "quarantined": [{"from": a, "to": b} for a, b in quarantined]}
        # In-process, the input is read in waves (pipeline/waves.py): memory is a wave's, not the run's
        plan: Iterator[waves.Wave | None] = (
            waves.plan(waves.listing(patterns, ctx.output), settings.read, split=not opts.max_records)
            if in_process else iter([None]))
        counters: dict[str, int] = {}
        written: dict[tuple[str, str], int] = {}
        for number, (wave, last) in enumerate(_with_last(plan)):
            wave_ctx = ctx if number == 0 else dataclasses.replace(ctx, run_id=f"{ctx.run_id}.w{number}")
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
        with prompt_bundle_ends(), beam.Pipeline(options=options) as pipeline:
            if wave is None:
                read = pipeline | "ReadFiles" >> ReadFiles(patterns, settings.read, split=not in_process,
                                                           output=ctx.output)
            else:
                read = pipeline | "ReadFiles" >> ReadWork(wave, settings.read)
            _ = read | "ToTables" >> ArticlesToTables(settings, model, ctx, reprocess=reprocess)
    except BaseException as exc:
        done = f"the {number} wave(s) before it are committed and in the run manifest" if number else ""
        raise_failed(exc, ctx, done)
    finally:
        discard_prestarted()
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


def main(argv: list[str], early: EarlyRun | None = None) -> int:
    if "-h" in argv or "--help" in argv:
        build_parser(for_help=True).print_help()
        return 0
    try:
        summary = run(argv, early)
    except (NoInput, ConfigError, OutputLocked, OutputUnusable, DamagedOutput) as exc:
        print(f"eventwire run: {str(exc).split(' [while running')[0]}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"eventwire run: {exc}", file=sys.stderr)
        return 1
    print(summary.text())
    return 0
