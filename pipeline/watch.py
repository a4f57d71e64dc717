"""``eventwire watch``: poll feeds forever and keep the tables current.

By default (and always on the local runners) this is a polling loop: every ``--interval``
seconds one short batch run (exactly what ``eventwire feeds`` does: conditional GETs, new
entries only, state committed after the tables). SIGINT or SIGTERM stops the loop after
the current cycle (a second signal stops at once); each cycle logs one summary line.

With ``--streaming`` on a streaming runner (Dataflow, or a portable runner such as Flink)
it submits one long-running streaming job instead (``pipeline/streaming.py``): a periodic
impulse polls the feeds, per-feed state lives in Beam state, fixed windows of
``--window-minutes`` are written one after another. The Python direct runners cannot fire
windows on an unbounded source, so ``--streaming`` is refused on them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import sys
import threading
import time
from types import FrameType

import apache_beam as beam
from apache_beam.options.pipeline_options import StandardOptions

from pipeline.batch import RunFailed, new_run_id
from pipeline.feeds import Job, build_parser, prepare, run_once
from pipeline.preflight import OutputUnusable
from pipeline.runners import canonical_runner
from pipeline.streaming import build
from transforms.output.check import DamagedOutput
from transforms.output.commit import RunContext
from transforms.output.lock import OutputLocked
from transforms.settings import ConfigError

log = logging.getLogger("eventwire.watch")
WATCH_CYCLES_FAILED = 1  # exit status of a polling loop in which cycles failed (documented in the README)

# The Python direct runners: they run TestStream (tests/test_streaming.py) but cannot fire the
# windows of an unbounded source, so a streaming job on them would never write anything.
LOCAL_RUNNERS = frozenset({"DirectRunner", "FnApiRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner",
                           "InteractiveRunner"})


def runner_name(job: Job) -> str:
    runner = job.options.view_as(StandardOptions).runner
    if runner is None:
        return "DirectRunner"
    return (canonical_runner(runner) or "DirectRunner") if isinstance(runner, str) else type(runner).__name__


def streaming_pipeline(job: Job, interval: float, window_minutes: float) -> beam.Pipeline:
    """The streaming job, built and not yet run (``--streaming`` set on its options)."""
    job.options.view_as(StandardOptions).streaming = True
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ctx = RunContext(output=job.output, run_id=f"stream-{new_run_id(started)}", started_at=started)
    pipeline = beam.Pipeline(options=job.options)
    build(pipeline, job.specs, job.settings, job.model, ctx, interval, window_minutes)
    return pipeline


def run_streaming(job: Job, interval: float, window_minutes: float) -> int:
    runner = runner_name(job)
    if runner in LOCAL_RUNNERS:
        print(f"eventwire watch: --streaming needs a streaming runner (--runner DataflowRunner, or a portable "
              f"runner such as FlinkRunner); {runner} cannot fire the windows of an unbounded source, so the "
              f"job would never write. Without --streaming, watch runs the polling loop here.", file=sys.stderr)
        return 2
    log.info("watch: streaming mode on %s: %d feed(s) polled every %.0f s, windows of %g min, into %s "
             "(per-feed state in Beam state; no output lock: the job is the output's single writer)",
             runner, len(job.specs), interval, window_minutes, job.output)
    result = streaming_pipeline(job, interval, window_minutes).run()
    job_id = getattr(result, "job_id", None)
    print(f"eventwire watch: streaming job submitted on {runner}" + (f": {job_id()}" if callable(job_id) else "")
          + "; stop it with a drain (see docs/streaming.md)")
    return 0


class StopFlag:
    """Set by SIGINT/SIGTERM; a second signal while a cycle runs interrupts it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        log.info("%s received: stopping after the current cycle", signal.Signals(signum).name)
        self.event.set()


DESCRIPTION = (
    "Poll feeds forever and keep the tables current. By default (and always on the local runners) a "
    "polling loop: every --interval seconds one short batch run, exactly what 'eventwire feeds' does. "
    "SIGINT or SIGTERM stops the loop after the current cycle (a second signal stops at once); each "
    "cycle logs one summary line. Exit status: 0, or 1 when cycles failed (the loop goes on after a failed "
    "cycle), 2 for a usage error or a damaged output (the loop stops), 130 after a second Ctrl-C. With --streaming on a streaming runner (Dataflow, or a portable runner "
    "such as Flink) it submits one long-running streaming job instead: per-feed state in Beam state, "
    "fixed windows of --window-minutes written one after another (refused on the local runners, which "
    "cannot fire the windows of an unbounded source).")


def build_watch_parser(for_help: bool = False) -> argparse.ArgumentParser:
    parser = build_parser("eventwire watch", DESCRIPTION, for_help)
    parser.add_argument("--interval", type=float, default=300.0, metavar="SECONDS",
                        help="seconds between the starts of two cycles (default 300)")
    parser.add_argument("--max-cycles", type=int, default=0, metavar="N",
                        help="stop after N cycles (default 0: run until stopped)")
    parser.add_argument("--streaming", action="store_true",
                        help="submit one long-running streaming job (DataflowRunner or a portable streaming "
                             "runner) instead of the polling loop")
    parser.add_argument("--window-minutes", type=float, default=5.0, metavar="MINUTES",
                        help="with --streaming: the fixed window in which results are written (default 5)")
    return parser


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        build_watch_parser(for_help=True).print_help()
        return 0
    parser = build_watch_parser()
    try:
        job, args = prepare(argv, "eventwire watch", parser)
    except (ConfigError, OutputUnusable) as exc:
        print(f"eventwire watch: {exc}", file=sys.stderr)
        return 2
    if args.interval <= 0 or args.window_minutes <= 0:
        print("eventwire watch: --interval and --window-minutes must be positive", file=sys.stderr)
        return 2
    if args.streaming:
        return run_streaming(job, args.interval, args.window_minutes)
    stop = StopFlag()
    stop.install()
    log.info("watch: polling-loop mode on %s (one short batch run per cycle; --streaming on Dataflow runs one "
             "streaming job instead): %d feed(s) every %.0f s into %s", runner_name(job), len(job.specs),
             args.interval, job.output)
    cycle = failed = 0
    try:
        while not stop.event.is_set():
            cycle += 1
            started = time.monotonic()
            try:
                run = run_once(job)
                log.info("cycle %d: %s", cycle, run.line())
            except OutputLocked as exc:
                log.warning("cycle %d skipped: %s", cycle, exc)
            except DamagedOutput as exc:  # every later cycle would stop on it too: as `run`, one line and 2
                print(f"eventwire watch: {str(exc).split(' [while running')[0]}", file=sys.stderr)
                return 2
            # one bad cycle (a full disk, a bucket hiccup) must not end the watcher; its exit status says so
            except RunFailed as exc:  # one line says what the output holds (a bug's traceback is logged)
                failed += 1
                log.error("cycle %d %s; the feed state is unchanged and the next cycle retries", cycle, exc)
            except Exception:
                failed += 1
                log.exception("cycle %d failed; the feed state is unchanged and the next cycle retries", cycle)
            if args.max_cycles and cycle >= args.max_cycles:
                break
            stop.event.wait(max(0.0, args.interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        log.warning("interrupted during cycle %d; its outputs and state were not committed", cycle)
        return 130
    finally:
        stop.restore()
    log.info("watch stopped after %d cycle(s)", cycle)
    if failed:
        print(f"eventwire watch: {failed} of {cycle} cycle(s) failed (see the log above)", file=sys.stderr)
        return WATCH_CYCLES_FAILED
    return 0
