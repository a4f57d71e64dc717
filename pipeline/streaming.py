"""The streaming watcher: one long-running job that polls feeds and keeps the tables current.

    ticks (PeriodicImpulse, or a TestStream in tests)
      -> PollFeeds: per feed, a stateful poll (ETag, Last-Modified, seen ids in Beam state)
      -> WindowInto(FixedWindows(window), late panes allowed)
      -> FetchPages: the batch monitor's page fetch (grouped by host, per window)
      -> ToTables: the batch graph (clean, language, dedup, extract), rows stamped with the
         window's end, each window's partitions written by the same atomic, idempotent writer

Only the source and the windowing differ from ``eventwire feeds``; every stage is shared.
It runs on Dataflow (or another streaming runner); the Python direct runners cannot fire
windows of an unbounded source, so locally ``eventwire watch`` is a polling loop.
"""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
from apache_beam.transforms import trigger, window
from apache_beam.transforms.periodicsequence import PeriodicImpulse

from pipeline.graph import ArticlesToTables
from transforms.events.model import EventModel
from transforms.feeds.poll import FeedSpec
from transforms.feeds.stage import FetchEntries
from transforms.feeds.stream import PollFeeds
from transforms.output.commit import RunContext
from transforms.settings import Settings

DEFAULT_ALLOWED_LATENESS = dt.timedelta(days=1)


def fixed_windows(window_minutes: float, allowed_lateness: dt.timedelta = DEFAULT_ALLOWED_LATENESS
                  ) -> beam.WindowInto:
    """Fixed windows that fire when the watermark passes them, then once per late element.

    Windows only batch the writes (rows are partitioned by their own dates), so a late poll
    is still written, as a late pane merged into what its window wrote; discarding panes,
    because the writer merges each pane with what is already committed.
    """
    return beam.WindowInto(
        window.FixedWindows(int(window_minutes * 60)),
        trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
        accumulation_mode=trigger.AccumulationMode.DISCARDING,
        allowed_lateness=int(allowed_lateness.total_seconds()),
    )


class PollTicks(beam.PTransform):
    """The production source: one tick every ``interval`` seconds, forever."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self._interval = interval

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        return pbegin | "Impulse" >> PeriodicImpulse(fire_interval=self._interval)


class WatchFeeds(beam.PTransform):
    """Poll ticks -> committed partitions, window by window. The source is the caller's."""

    def __init__(self, specs: list[FeedSpec], settings: Settings, model: EventModel, ctx: RunContext,
                 window_minutes: float, allowed_lateness: dt.timedelta = DEFAULT_ALLOWED_LATENESS) -> None:
        super().__init__()
        self._specs = specs
        self._settings = settings
        self._model = model
        self._ctx = ctx
        self._window_minutes = window_minutes
        self._allowed_lateness = allowed_lateness

    def expand(self, ticks: beam.PCollection) -> beam.PCollection:
        polls = ticks | "PollFeeds" >> PollFeeds(self._specs, self._settings.feeds, self._settings.fetch)
        entries = polls.entries | "WindowEntries" >> fixed_windows(self._window_minutes, self._allowed_lateness)
        feed_rejects = polls.rejects | "WindowFeedRejects" >> fixed_windows(self._window_minutes,
                                                                             self._allowed_lateness)
        # The per-host GroupByKey inside FetchPages is the reshuffle: it checkpoints the poll's
        # output (a retried fetch never re-polls) and spreads hosts over workers.
        pages = entries | "FetchPages" >> FetchEntries(self._settings.fetch)
        rejects = (pages.rejects, feed_rejects) | "AllFetchRejects" >> beam.Flatten()
        return {"docs": pages.documents, "rejects": rejects} | "ToTables" >> ArticlesToTables(
            self._settings, self._model, self._ctx, windowed=True)


def build(pipeline: beam.Pipeline, specs: list[FeedSpec], settings: Settings, model: EventModel, ctx: RunContext,
          interval: float, window_minutes: float) -> beam.PCollection:
    """The whole streaming job on ``pipeline`` (whose options say ``--streaming``)."""
    return (pipeline | "PollTicks" >> PollTicks(interval)
            | "Watch" >> WatchFeeds(specs, settings, model, ctx, window_minutes))
