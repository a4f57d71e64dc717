"""``eventwire feeds``: one run of the feed monitor, for cron, Airflow or Cloud Scheduler.

A run: take the output lock; read the feed state (``OUT/_state/feeds.json``); poll every
feed in the driver with a conditional GET (a 304 is a quiet success); if there are new
entries (or feed failures to record), run the batch graph over them, with the article pages
fetched in the pipeline, one host after another per worker; when the pipeline has committed
its tables, commit the new feed state. A feed that failed keeps its previous state, and a
run that fails before the commit leaves the whole state as it was, so nothing is skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions

from pipeline import interrupt
from pipeline.batch import RunFailed, new_run_id, raise_failed, time_since_start
from pipeline.graph import ArticlesToTables
from pipeline.options import (
    EventwireOptions,
    pipeline_options_last,
    placement,
    reject_unknown_options,
    with_local_defaults,
    with_parallelism,
)
from pipeline.preflight import OutputUnusable, check_output
from pipeline.runners import absolute, local_path_refusal
from pipeline.summary import RunSummary, counters_from, write_manifest
from transforms.events.model import EventModel, load_event_model
from transforms.feeds.poll import (
    FeedPoll,
    FeedSpec,
    FeedState,
    PendingEntry,
    parse_feed_list,
    poll_feed,
)
from transforms.feeds.stage import FetchEntries
from transforms.feeds.state import read_states, write_states
from transforms.net.client import GuardedFetcher, default_user_agent
from transforms.output.check import DamagedOutput, check_or_repair
from transforms.output.commit import RunContext, recover, remove_staging, written_partitions
from transforms.output.lock import OutputLock, OutputLocked
from transforms.records import Reject
from transforms.settings import ConfigError, Settings, load_settings

log = logging.getLogger("eventwire")
NO_FEED_READ = 3  # exit status of a feeds run in which every feed failed (documented in the README)


DESCRIPTION = (
    "Fetch RSS/Atom feeds once (for cron, Airflow or Cloud Scheduler) into the tables. A run takes the "
    "output lock, polls every feed with a conditional GET (a 304 is a quiet success), fetches the pages "
    "of the new entries, writes the tables and then the feed state (OUT/_state/feeds.json). A feed that "
    "failed keeps its previous state, so nothing is skipped. Exit status: 0 when at least one feed was "
    "read, 3 when none could be, 1 when the run failed (one line says what the output holds), 2 for a usage "
    "error, a locked or damaged output, 130 after Ctrl-C.")


def build_parser(prog: str, description: str | None, for_help: bool = False) -> argparse.ArgumentParser:
    """The command line; eventwire's shared options (--output, ...) belong to EventwireOptions and
    are parsed there, so ``for_help`` only adds them to what ``--help`` shows."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description,
        epilog="Any other --flag is a Beam pipeline option (--runner, --direct_num_workers, ...).")
    parser.add_argument("feeds", nargs="+", metavar="FEED",
                        help="a feed URL, or a file (local or gs://) listing feeds: one URL per line, or YAML")
    parser.add_argument("--allow-private-networks", action="store_true",
                        help="allow fetching from loopback, private, link-local, CGNAT and unique-local "
                             "addresses (intranet feeds); cloud metadata addresses stay refused")
    if for_help:  # the shared options that apply to feeds (not --reprocess, --max-records)
        shared = argparse.ArgumentParser(add_help=False)
        EventwireOptions._add_argparse_args(shared)
        group = parser.add_argument_group("eventwire options")
        for action in shared._actions:
            if action.dest in ("output", "config", "wait_for_lock", "type_check"):
                group._add_action(action)
    return parser


def load_specs(items: list[str]) -> list[FeedSpec]:
    """Feed URLs and feed list files -> specs, each URL once (the first mention wins)."""
    specs: list[FeedSpec] = []
    for item in items:
        if urlsplit(item).scheme in ("http", "https"):
            specs.append(FeedSpec(url=item))
            continue
        if not FileSystems.exists(item):
            raise ConfigError(f"{item}: neither an http(s) feed URL nor a feed list file")
        with FileSystems.open(item, compression_type="uncompressed") as handle:
            specs.extend(parse_feed_list(handle.read().decode("utf-8"), item))
    unique: dict[str, FeedSpec] = {}
    for spec in specs:
        unique.setdefault(spec.url, spec)
    return list(unique.values())


@dataclass
class Job:
    """Everything a run needs, prepared once (the watcher reuses it every cycle)."""

    specs: list[FeedSpec]
    options: PipelineOptions
    settings: Settings
    model: EventModel
    output: str
    wait_for_lock: float


def prepare(argv: list[str], prog: str = "eventwire feeds", extra: argparse.ArgumentParser | None = None
            ) -> tuple[Job, argparse.Namespace]:
    parser = extra or build_parser(prog, DESCRIPTION)
    args, beam_args = parser.parse_known_args(pipeline_options_last(argv, parser))
    reject_unknown_options(beam_args, parser.prog)
    options = with_local_defaults(PipelineOptions(beam_args), beam_args)
    options.view_as(SetupOptions).save_main_session = False
    opts = options.view_as(EventwireOptions)
    refusal = None if opts.shared_filesystem else local_path_refusal(placement(options), opts.output, [])
    if refusal:
        raise ConfigError(refusal)
    opts.output = absolute(opts.output)  # workers have their own working folder (pipeline/batch.py)
    settings = with_parallelism(load_settings(opts.config), options)
    fetch = settings.fetch
    if args.allow_private_networks:
        fetch = dataclasses.replace(fetch, allow_private_networks=True)
    if not fetch.user_agent:
        fetch = dataclasses.replace(fetch, user_agent=default_user_agent())
    settings = dataclasses.replace(settings, fetch=fetch)
    check_output(opts.output)
    job = Job(load_specs(args.feeds), options, settings, load_event_model(settings), opts.output.rstrip("/"),
              opts.wait_for_lock)
    return job, args


@dataclass
class FeedRun:
    summary: RunSummary
    polls: list[FeedPoll] = field(default_factory=list)
    state_path: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for p in self.polls if p.status == status)

    def exit_status(self) -> int:
        """NO_FEED_READ when feeds were polled and none could be read (a scheduler should alert);
        0 otherwise: a partial failure is in the summary and the manifest."""
        return NO_FEED_READ if self.polls and self.count("failed") == len(self.polls) else 0

    @property
    def entries(self) -> int:
        return sum(len(p.entries) for p in self.polls)

    @property
    def backlog(self) -> int:
        """New entries seen in the feeds but not taken (over ``feeds.max_entries_per_feed``): the next runs take them."""
        return sum(p.backlog for p in self.polls)

    def line(self) -> str:
        """One line per run, for the watcher's log and cron mail."""
        s = self.summary
        return (f"{len(self.polls)} feed(s): {self.count('ok')} changed, {self.count('not_modified')} not modified, "
                f"{self.count('failed')} failed; {self.entries} new entr(ies)"
                + (f" ({self.backlog} more left for the next runs)" if self.backlog else "")
                + f", {s.get('page_requests')} page "
                f"request(s); {s.get('articles')} article(s), {sum(s.rejects.values())} reject(s), "
                f"{s.get('mentions')} mention(s) in {s.elapsed_seconds:.1f} s")

    def text(self) -> str:
        lines = [self.summary.text(), f"  feeds              {len(self.polls):>7}   ({self.line().split(': ', 1)[1]})"]
        lines += [f"      {p.spec.url}: {p.reject.reason} {p.reject.detail}" for p in self.polls if p.reject]
        lines += [f"      {p.spec.url}: backlog {p.backlog} new entries not taken (newest taken first; "
                  f"feeds.max_entries_per_feed)" for p in self.polls if p.backlog]
        fetched = self.summary.by_prefix("fetch:")
        if fetched:
            lines.append("  article pages      " + ", ".join(f"{k} {v}" for k, v in fetched.items()))
        failures = self.summary.by_prefix("fetch_error:")
        if failures:
            not_tried = self.summary.get("pages_not_tried")
            lines.append(f"  pages not fetched  {sum(failures.values()):>7}   ("
                         + ", ".join(f"{k} {v}" for k, v in failures.items())
                         + (f"; {not_tried} not tried: their host had failed" if not_tried else "") + ")")
        if self.exit_status():
            lines.append(f"  no feed could be read: exit status {NO_FEED_READ}")
        return "\n".join(lines)


def _count_rejects(reject: Reject) -> Reject:
    beam.metrics.Metrics.counter("eventwire", f"reject:{reject.reason}").inc()
    return reject


def _graph(pipeline: beam.Pipeline, job: Job, ctx: RunContext, polls: list[FeedPoll]) -> None:
    by_link: dict[str, PendingEntry] = {}  # two feeds listing one article: fetch its page once
    pending = [p for poll in polls for p in poll.entries
               if not p.entry.link or by_link.setdefault(p.entry.link, p) is p]
    feed_rejects = [poll.reject for poll in polls if poll.reject is not None]
    pages = (pipeline | "NewEntries" >> beam.Create(pending, reshuffle=False)
             | "FetchPages" >> FetchEntries(job.settings.fetch, total=len(pending)))
    failed_feeds = (pipeline | "FeedRejects" >> beam.Create(feed_rejects, reshuffle=False)
                    | "CountFeedRejects" >> beam.Map(_count_rejects))
    rejects = (pages.rejects, failed_feeds) | "AllFetchRejects" >> beam.Flatten()
    _ = {"docs": pages.documents, "rejects": rejects} | "ToTables" >> ArticlesToTables(job.settings, job.model, ctx)


def _poll(fetcher: GuardedFetcher, spec: FeedSpec, state: FeedState, settings: Settings, now: dt.datetime,
          number: int, total: int) -> FeedPoll:
    """One feed's poll, with its progress line (a run over many feeds is not silent for minutes)."""
    poll = poll_feed(fetcher, spec, state, settings.feeds, now)
    if poll.reject is not None:
        log.warning("feed %d/%d %s failed: %s %s", number, total, spec.url, poll.reject.reason, poll.reject.detail)
    else:
        log.info("feed %d/%d %s: %s, %d new entr(ies)", number, total, spec.url,
                 poll.status.replace("_", " "), len(poll.entries))
    return poll


def run_once(job: Job, first: bool = False) -> FeedRun:
    """Poll, process what is new, commit outputs, then commit the feed state. ``first``: the command's
    one run (``eventwire feeds``), whose summary counts the start-up too (a watcher's cycles do not)."""
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ctx = RunContext(output=job.output, run_id=new_run_id(started), started_at=started)
    run = FeedRun(RunSummary(ctx.run_id, ctx.output, [s.url for s in job.specs], command="feeds"))
    clock = time.monotonic()
    if first:
        run.summary.startup_seconds = time_since_start(clock)
    interrupt.register_run(ctx.output, ctx.run_id)
    with OutputLock(ctx.output, ctx.run_id, wait_seconds=job.wait_for_lock):
        run.summary.recovered = recover(ctx.output)  # finish a killed run's commit, drop its staging
        check_or_repair(ctx.output, ctx.run_id, job.options.view_as(EventwireOptions).repair)  # damaged: exit 2
        states = read_states(job.output)
        fetcher = GuardedFetcher(job.settings.fetch)
        try:
            run.polls = [_poll(fetcher, spec, states.get(spec.url, FeedState()), job.settings, started, number,
                               len(job.specs)) for number, spec in enumerate(job.specs, start=1)]
        finally:
            fetcher.close()
        counters: dict[str, int] = {"feed_requests": sum(p.requests for p in run.polls)}
        if any(p.entries or p.reject for p in run.polls):
            log.info("run %s: %d new entries from %d feed(s)", ctx.run_id, sum(len(p.entries) for p in run.polls),
                     len(run.polls))
            # Beam logs a failing step's traceback itself; a failed run is reported once (raise_failed)
            logging.getLogger("apache_beam.runners.common").setLevel(logging.CRITICAL)
            try:
                with beam.Pipeline(options=job.options) as pipeline:
                    _graph(pipeline, job, ctx, run.polls)
            except BaseException as exc:  # settled as a failed `eventwire run` is: no staging left behind
                raise_failed(exc, ctx, "the feed state is unchanged: the next run fetches the same entries")
            counters.update(counters_from(pipeline.result))
            run.summary.written = written_partitions(ctx)
            remove_staging(ctx)
        # The tables are committed: now (and only now) the state that describes them.
        new_states = dict(states)
        for poll in run.polls:
            if poll.state is not None:  # a failed feed keeps its previous state
                new_states[poll.spec.url] = poll.state
        run.state_path = write_states(job.output, new_states)
        run.summary.counters = counters
        run.summary.elapsed_seconds = time.monotonic() - clock
        write_manifest(ctx.output, ctx.run_id, run.summary.manifest(), {
            "started_at": started.isoformat(),
            "feeds_read": len(run.polls) - run.count("failed"), "feeds_failed": run.count("failed"),
            "exit_status": run.exit_status(),
            "feeds": {p.spec.url: {"status": p.status, "new_entries": len(p.entries), "backlog": p.backlog,
                                   "reason": p.reject.reason if p.reject else None} for p in run.polls},
            "backlog": run.backlog})
    return run


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        build_parser("eventwire feeds", DESCRIPTION, for_help=True).print_help()
        return 0
    try:
        job, _ = prepare(argv)
        run = run_once(job, first=True)
    except (ConfigError, OutputLocked, OutputUnusable, DamagedOutput) as exc:
        print(f"eventwire feeds: {str(exc).split(' [while running')[0]}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"eventwire feeds: {exc}", file=sys.stderr)
        return 1
    print(run.text())
    return run.exit_status()

