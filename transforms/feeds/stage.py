"""Fetch the pages of new feed entries (Beam half): ``FetchEntries`` groups the entries by host, so
every host's pages are fetched one after another by one worker (politeness holds across workers
too), and emits RawDocuments plus a tagged ``rejects`` output."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam

from transforms import ids
from transforms.eta import Tracker, progress_interval
from transforms.feeds.poll import REJECTS, PendingEntry, entry_document
from transforms.net.client import FetchError, GuardedFetcher, host_port
from transforms.records import Reject
from transforms.settings import FetchSettings

log = logging.getLogger("eventwire.progress")


def host_key(pending: PendingEntry) -> str:
    return ids.url_host(pending.entry.link)


def _count(name: str, value: int = 1) -> None:
    beam.metrics.Metrics.counter("eventwire", name).inc(value)


class FetchEntriesFn(beam.DoFn):
    """(host, entries) -> RawDocument, or Reject on the ``rejects`` output. One host's pages in order.

    Logs progress (entries done of ``total``, the time left) at most every ``every`` seconds, and a
    line when a host fails: its other pages are not tried in this run (``GuardedFetcher.failed_hosts``).
    Counters: ``fetch:<fetch_status>`` per article, ``fetch_error:<reason>`` per page not fetched,
    ``pages_not_tried`` for those skipped because their host had failed.
    """

    def __init__(self, settings: FetchSettings, total: int = 0, every: float | None = None) -> None:
        self._settings = settings
        self._total = total  # entries to fetch in this run (0: unknown)
        self._every = every
        self._fetcher: GuardedFetcher | None = None

    def setup(self) -> None:
        self._fetcher = GuardedFetcher(self._settings)
        self._progress = Tracker(self._total, progress_interval() if self._every is None else self._every)
        self._fetched = self._not_fetched = 0

    def process(self, element: tuple[str, Iterable[PendingEntry]]) -> Iterator[Any]:
        assert self._fetcher is not None
        _host, entries = element
        # One element holds all of a host's pages of this run (grouped by host), so its failure matters
        # only within it; forgetting it here keeps the streaming job's long-lived fetcher from
        # skipping the host in every later window.
        self._fetcher.forget_failed_hosts()
        for pending in sorted(entries, key=lambda p: p.entry.entry_id):  # a stable order for retries
            before, skipped, failed = self._fetcher.requests, self._fetcher.skipped, len(self._fetcher.failed_hosts)
            page = self._fetcher.fetch(pending.entry.link) if pending.entry.link else None
            _count("page_requests", self._fetcher.requests - before)
            if isinstance(page, FetchError):
                self._not_fetched += 1
                _count(f"fetch_error:{page.reason}")
                if self._fetcher.skipped > skipped:
                    _count("pages_not_tried")
                elif len(self._fetcher.failed_hosts) > failed:
                    log.warning("feed pages: %s failed (%s); its other pages are not tried in this run",
                                host_port(page.url), page.detail[:200])
            elif page is not None:
                self._fetched += 1
            out = entry_document(pending, page)
            if isinstance(out, Reject):
                _count(f"reject:{out.reason}")
                yield beam.pvalue.TaggedOutput(REJECTS, out)
            else:
                _count("documents")
                _count(f"fetch:{out.fetch_status}")
                yield out
            self._progress.advance()
            if self._progress.due():
                self._log_progress()

    def _log_progress(self) -> None:
        done = int(self._progress.done)
        of = f"/{self._total}" if self._total else ""
        failed = len(self._fetcher.failed_hosts) if self._fetcher else 0
        log.info("feed pages: %d%s entries done (%d fetched, %d not fetched; %d host(s) failed)%s",
                 done, of, self._fetched, self._not_fetched, failed, self._progress.left(time.monotonic()))

    def teardown(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()


class FetchEntries(beam.PTransform):
    """PCollection[PendingEntry] -> {"documents": RawDocument, "rejects": Reject}."""

    def __init__(self, settings: FetchSettings, total: int = 0) -> None:
        super().__init__()
        self._settings = settings
        self._total = total

    def expand(self, entries: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            entries
            | "KeyByHost" >> beam.Map(lambda p: (host_key(p), p))
            | "GroupByHost" >> beam.GroupByKey()
            | "FetchPages" >> beam.ParDo(FetchEntriesFn(self._settings, self._total)).with_outputs(REJECTS, main="documents")
        )
