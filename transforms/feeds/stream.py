"""Feed polling inside a streaming job: per-feed state in Beam state, not in a file.

The streaming watcher turns poll ticks into ``(feed_url, FeedSpec)`` pairs; the stateful
``PollFeedStatefulFn``, keyed by feed URL, keeps what ``OUT/_state/feeds.json`` keeps for the
batch monitor (ETag, Last-Modified, the newest ``max_seen_per_feed`` entry ids), polls the
feed with the same guarded client and the same ``poll_feed`` as the driver does, and emits
only the entries it has not seen. The runner commits the state together with the outputs
of the same element (Dataflow: exactly once), so a retried poll cannot both advance the
state and lose its entries.

The state is stored as the same JSON the batch monitor writes (one feed per document), not
as a pickled object: a job updated with new code still reads the state of the old one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec
from apache_beam.utils.timestamp import Timestamp

from transforms.feeds.poll import REJECTS, FeedPoll, FeedSpec, FeedState, poll_feed
from transforms.feeds.state import states_from_json, states_to_json
from transforms.net.client import GuardedFetcher
from transforms.settings import FeedSettings, FetchSettings

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
FEED_STATE = ReadModifyWriteStateSpec("feed_state", StrUtf8Coder())  # its name is part of the job's update contract
_FEED_STATE_PARAM = beam.DoFn.StateParam(FEED_STATE)


# --- pure: state encoding and transitions ----------------------------------------------------


def encode_state(feed_url: str, state: FeedState) -> str:
    return states_to_json({feed_url: state}).decode("utf-8")


def decode_state(text: str | None, feed_url: str) -> FeedState:
    """The stored state of one feed; a feed never polled successfully has the empty state."""
    if not text:
        return FeedState()
    return states_from_json(text.encode("utf-8"), f"Beam state of {feed_url}").get(feed_url, FeedState())


def next_state(previous: FeedState, poll: FeedPoll) -> FeedState:
    """After a poll: a changed or unchanged (304) feed moves on; a failed poll keeps what it had,
    so its entries are fetched when the feed answers again."""
    return poll.state if poll.state is not None else previous


def utc_datetime(timestamp: Timestamp) -> dt.datetime:
    """A Beam timestamp (the poll tick's event time) as an aware UTC datetime, to the microsecond."""
    return _EPOCH + dt.timedelta(microseconds=timestamp.micros)


def feeds_per_tick(specs: tuple[FeedSpec, ...]) -> Any:
    """tick -> (feed_url, spec) for every configured feed; the pairs keep the tick's timestamp."""

    def pairs(_tick: Any) -> Iterator[tuple[str, FeedSpec]]:
        for spec in specs:
            yield spec.url, spec

    return pairs


# --- Beam ------------------------------------------------------------------------------------


class PollFeedStatefulFn(beam.DoFn):
    """(feed_url, FeedSpec) -> new PendingEntries (main) and feed Rejects (``rejects``).

    Keyed by feed URL: the runner runs one poll of a feed at a time and keeps its state.
    The poll time is the element's timestamp (the tick), so a replayed tick polls as of then.
    """

    def __init__(self, feeds: FeedSettings, fetch: FetchSettings) -> None:
        self._feeds = feeds
        self._fetch = fetch
        self._fetcher: GuardedFetcher | None = None

    def setup(self) -> None:
        self._fetcher = GuardedFetcher(self._fetch)

    def process(self, element: tuple[str, FeedSpec], timestamp: Timestamp = beam.DoFn.TimestampParam,
                state: Any = _FEED_STATE_PARAM) -> Iterator[Any]:
        assert self._fetcher is not None
        feed_url, spec = element
        previous = decode_state(state.read(), feed_url)
        poll = poll_feed(self._fetcher, spec, previous, self._feeds, utc_datetime(timestamp))
        state.write(encode_state(feed_url, next_state(previous, poll)))
        beam.metrics.Metrics.counter("eventwire", "feed_requests").inc(poll.requests)
        beam.metrics.Metrics.counter("eventwire", f"feed:{poll.status}").inc()
        if poll.reject is not None:
            beam.metrics.Metrics.counter("eventwire", f"reject:{poll.reject.reason}").inc()
            yield beam.pvalue.TaggedOutput(REJECTS, poll.reject)
        yield from poll.entries

    def teardown(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()


class PollFeeds(beam.PTransform):
    """Poll ticks -> {"entries": new PendingEntries, "rejects": feed Rejects}, state per feed."""

    def __init__(self, specs: list[FeedSpec], feeds: FeedSettings, fetch: FetchSettings) -> None:
        super().__init__()
        self._specs = tuple(specs)
        self._feeds = feeds
        self._fetch = fetch

    def expand(self, ticks: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            ticks
            | "FeedsPerTick" >> beam.FlatMap(feeds_per_tick(self._specs))
            | "Poll" >> beam.ParDo(PollFeedStatefulFn(self._feeds, self._fetch))
            .with_input_types(tuple[str, Any])  # a str key coder: deterministic, as state keys must be
            .with_outputs(REJECTS, main="entries")
        )
