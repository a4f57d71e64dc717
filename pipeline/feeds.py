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

from pipeline.batch import new_run_id
from pipeline.graph import ArticlesToTables
from pipeline.localrunner import prompt_bundle_ends
from pipeline.options import (
    EventwireOptions,
    pipeline_options_last,
    reject_unknown_options,
    with_local_defaults,
    with_parallelism,
)
from pipeline.summary import RunSummary, counters_from, write_manifest
from transforms.commit import RunContext, recover, remove_staging, written_partitions
from transforms.eventmodel import EventModel, load_event_model
from transforms.feeds import (
    FeedPoll,
    FeedSpec,
    FeedState,
    FetchEntries,
    PendingEntry,
    parse_feed_list,
    poll_feed,
)
from transforms.feedstate import read_states, write_states
from transforms.fetch import GuardedFetcher, default_user_agent
from transforms.lock import OutputLock, OutputLocked
from transforms.outputcheck import DamagedOutput, check_or_repair
from transforms.records import Reject
from transforms.settings import ConfigError, Settings, load_settings

log = logging.getLogger("eventwire")


def build_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=description,
        epilog="--output, --config, --wait-for-lock and any other --flag (Beam pipeline options) also apply.")
    parser.add_argument("feeds", nargs="+", metavar="FEED",
                        help="a feed URL, or a file (local or gs://) listing feeds: one URL per line, or YAML")
    parser.add_argument("--allow-private-networks", action="store_true",
                        help="allow fetching from loopback, private, link-local and unique-local addresses "
                             "(intranet feeds); cloud metadata addresses stay refused")
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
    parser = extra or build_parser(prog, __doc__)
    args, beam_args = parser.parse_known_args(pipeline_options_last(argv, parser))
    reject_unknown_options(beam_args)
    options = with_local_defaults(PipelineOptions(beam_args), beam_args)
    options.view_as(SetupOptions).save_main_session = False
    opts = options.view_as(EventwireOptions)
    settings = with_parallelism(load_settings(opts.config), options)
    fetch = settings.fetch
    if args.allow_private_networks:
        fetch = dataclasses.replace(fetch, allow_private_networks=True)
    if not fetch.user_agent:
        fetch = dataclasses.replace(fetch, user_agent=default_user_agent())
    settings = dataclasses.replace(settings, fetch=fetch)
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
             | "FetchPages" >> FetchEntries(job.settings.fetch))
    failed_feeds = (pipeline | "FeedRejects" >> beam.Create(feed_rejects, reshuffle=False)
                    | "CountFeedRejects" >> beam.Map(_count_rejects))
    rejects = (pages.rejects, failed_feeds) | "AllFetchRejects" >> beam.Flatten()
    _ = {"docs": pages.documents, "rejects": rejects} | "ToTables" >> ArticlesToTables(job.settings, job.model, ctx)


def run_once(job: Job) -> FeedRun:
    """Poll, process what is new, commit outputs, then commit the feed state."""
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ctx = RunContext(output=job.output, run_id=new_run_id(started), started_at=started)
    run = FeedRun(RunSummary(ctx.run_id, ctx.output, [s.url for s in job.specs], command="feeds"))
    clock = time.monotonic()
    with OutputLock(ctx.output, ctx.run_id, wait_seconds=job.wait_for_lock):
        run.summary.recovered = recover(ctx.output)  # finish a killed run's commit, drop its staging
        check_or_repair(ctx.output, ctx.run_id, job.options.view_as(EventwireOptions).repair)  # damaged: exit 2
        states = read_states(job.output)
        fetcher = GuardedFetcher(job.settings.fetch)
        try:
            run.polls = [poll_feed(fetcher, spec, states.get(spec.url, FeedState()), job.settings.feeds, started)
                         for spec in job.specs]
        finally:
            fetcher.close()
        counters: dict[str, int] = {"feed_requests": sum(p.requests for p in run.polls)}
        if any(p.entries or p.reject for p in run.polls):
            log.info("run %s: %d new entries from %d feed(s)", ctx.run_id, sum(len(p.entries) for p in run.polls),
                     len(run.polls))
            with prompt_bundle_ends(), beam.Pipeline(options=job.options) as pipeline:
                _graph(pipeline, job, ctx, run.polls)
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
            "feeds": {p.spec.url: {"status": p.status, "new_entries": len(p.entries), "backlog": p.backlog,
                                   "reason": p.reject.reason if p.reject else None} for p in run.polls},
            "backlog": run.backlog})
    return run


def main(argv: list[str]) -> int:
    try:
        job, _ = prepare(argv)
        run = run_once(job)
    except (ConfigError, OutputLocked, DamagedOutput) as exc:
        print(f"eventwire feeds: {str(exc).split(' [while running')[0]}", file=sys.stderr)
        return 2
    print(run.text())
    return 0

