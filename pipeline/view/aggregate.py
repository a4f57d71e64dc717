"""Pure aggregations over the rows of the output tables, for ``show`` and ``report``.

Rows are plain dicts as ``pipeline.view.tables.read_rows`` returns them (event_date is a
``datetime.date`` or ``None``: "date unknown"). Nothing here reads files or prints.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

# PLOVER types, cooperative first then conflictual (the order of the legend and the stacks).
PLOVER_TYPES = (
    "CONSULT", "AGREE", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
QUAD_NAMES = {1: "verbal cooperation", 2: "material cooperation", 3: "verbal conflict", 4: "material conflict"}
UNKNOWN_DATE = "date unknown"


def day_argument(text: str) -> dt.date:
    """``parse_day`` for argparse: a bad value is a usage error that says what a date looks like."""
    import argparse

    try:
        return parse_day(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY") from None


def _country_names(country: Any) -> str:
    return " ".join(getattr(country, a, "") for a in ("name", "official_name", "common_name"))


def country_suggestion(text: str) -> str | None:
    """``RUS (Russian Federation)`` for ``--country russia`` (a name or an alpha-2 code); None when
    ``text`` already is an alpha-3 code or names no country."""
    import pycountry

    wanted = text.strip()
    if not wanted or (len(wanted) == 3 and pycountry.countries.get(alpha_3=wanted.upper())):
        return None
    try:  # an exact code or name
        match = pycountry.countries.lookup(wanted)
    except LookupError:
        # a name as people write it ("russia"): pycountry's fuzzy search, kept only when the text is
        # part of the country's name (its search also matches subdivisions: "NATO" would give BGD)
        try:
            found = pycountry.countries.search_fuzzy(wanted) if len(wanted) > 3 else []
        except LookupError:
            found = []
        found = [c for c in found if wanted.casefold() in _country_names(c).casefold()]
        if not found:
            return None
        match = found[0]
    return f"{match.alpha_3} ({match.name})"


def parse_day(text: str) -> dt.date:
    """A ``--since`` / ``--until`` value: ``YYYY-MM-DD`` (also ``YYYY-MM`` / ``YYYY`` as the first day)."""
    parts = text.strip().split("-")
    if len(parts) == 1:
        return dt.date(int(parts[0]), 1, 1)
    if len(parts) == 2:
        return dt.date(int(parts[0]), int(parts[1]), 1)
    return dt.date.fromisoformat(text.strip())


def countries(event: Row) -> list[str]:
    """The distinct participant countries / IGO codes of an event, in participant order."""
    seen: dict[str, None] = {}
    for participant in event.get("participants") or ():
        code = participant.get("country")
        if code:
            seen.setdefault(code.upper(), None)
    return list(seen)


def filter_events(
    events: Iterable[Row],
    since: dt.date | None = None,
    until: dt.date | None = None,
    country: str | None = None,
    event_type: str | None = None,
) -> list[Row]:
    """Events within [since, until] (inclusive), with a participant from ``country``, of ``event_type``.

    An event with an unknown date cannot be placed in a range, so a date bound excludes it;
    without date bounds it is kept.
    """
    wanted_country = country.upper() if country else None
    wanted_type = event_type.upper() if event_type else None
    kept = []
    for event in events:
        day = event.get("event_date")
        if (since or until) and day is None:
            continue
        if since and day < since:
            continue
        if until and day > until:
            continue
        if wanted_country and wanted_country not in countries(event):
            continue
        if wanted_type and (event.get("event_type") or "").upper() != wanted_type:
            continue
        kept.append(event)
    return kept


def _weight(event: Row) -> tuple[int, int, int]:
    return (event.get("num_articles") or 0, event.get("num_sources") or 0, event.get("num_mentions") or 0)


def newest_first(events: Iterable[Row]) -> list[Row]:
    """Newest first; unknown dates last; ties by coverage (articles, sources, mentions), then id."""
    ordered = sorted(events, key=lambda e: e.get("event_id") or "")
    ordered.sort(key=_weight, reverse=True)
    ordered.sort(key=lambda e: e.get("event_date") or dt.date.min, reverse=True)
    return ordered


def top_events(events: Iterable[Row], limit: int) -> list[Row]:
    """The most reported events: by articles, sources, mentions; then newest; then id."""
    ordered = newest_first(events)
    ordered.sort(key=_weight, reverse=True)
    return ordered[:limit]


@dataclass(frozen=True)
class Totals:
    events: int
    undated: int
    mentions: int
    articles: int  # distinct articles (by article_ids; events without them count num_articles)
    countries: tuple[str, ...]
    first: dt.date | None
    last: dt.date | None


def totals(events: Sequence[Row]) -> Totals:
    days = [e["event_date"] for e in events if e.get("event_date") is not None]
    codes = sorted({code for e in events for code in countries(e)})
    return Totals(
        events=len(events),
        undated=len(events) - len(days),
        mentions=sum(e.get("num_mentions") or 0 for e in events),
        articles=len({a for e in events for a in e.get("article_ids") or ()})
        + sum(e.get("num_articles") or 0 for e in events if not e.get("article_ids")),
        countries=tuple(codes),
        first=min(days, default=None),
        last=max(days, default=None),
    )


@dataclass(frozen=True)
class Timeline:
    """Event counts per time bucket and category (PLOVER type or quad class), ready to stack."""

    unit: str  # "day", "week" or "month"
    buckets: tuple[dt.date, ...]  # the first day of each bucket, continuous (empty ones included)
    categories: tuple[str, ...]  # stack order
    counts: dict[dt.date, dict[str, int]]
    undated: dict[str, int]  # events with no date, per category
    # dated events left off the axis because they sit far from all others (see axis_range)
    before: int = 0  # ... before the first bucket
    after: int = 0  # ... after the last one

    @property
    def peak(self) -> int:
        heights = [sum(per.values()) for per in self.counts.values()] + [sum(self.undated.values())]
        return max(heights, default=0)


def category(event: Row, by: str) -> str:
    if by == "quad":
        return QUAD_NAMES.get(event.get("quad_class") or 0, "unknown")
    return (event.get("event_type") or "UNKNOWN").upper()


def _bucket_start(day: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next_bucket(start: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return start + dt.timedelta(days=7)
    if unit == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


OUTLIER_SHARE = 0.05  # at most this share of the dated events is left off the axis
OUTLIER_MIN_GAP_DAYS = 31  # and only beyond a gap of more than a month


def _window_span(days: Sequence[dt.date], left_out: int) -> tuple[int, int]:
    """(span in days, index of the first day) of the shortest run of ``len(days) - left_out`` sorted days."""
    keep = len(days) - left_out
    return min(((days[i + keep - 1] - days[i]).days, i) for i in range(left_out + 1))


def axis_range(days: Sequence[dt.date], max_share: float = OUTLIER_SHARE,
               min_gap_days: int = OUTLIER_MIN_GAP_DAYS) -> tuple[dt.date, dt.date] | None:
    """The span of the timeline's axis: every day, except the fewest outliers at the ends.

    One mention dated 1946 among events of 2024 would stretch the axis over 80 years and squeeze
    every other bar into its last tenth. The fewest events (at most ``max_share`` of them, at least
    one) are left off whose absence shortens the axis by more than what remains and by more than
    ``min_gap_days``: outliers that at least double the axis. Otherwise every day is on it.
    """
    if not days:
        return None
    days = sorted(days)
    # two dates alone do not say which one is the outlier
    budget = min(len(days) - 1, max(1, int(len(days) * max_share))) if len(days) >= 3 else 0
    while budget >= 1:  # again on what is left: a second, nearer group of outliers (1946, then 2012)
        full = (days[-1] - days[0]).days

        def clips(left_out: int, days: Sequence[dt.date] = days, full: int = full) -> bool:
            span, _ = _window_span(days, left_out)
            return full - span > max(span, min_gap_days)

        if not clips(budget):
            break
        low, high = 1, budget  # clips() only turns true as more are left out: the fewest by bisection
        while low < high:
            middle = (low + high) // 2
            low, high = (low, middle) if clips(middle) else (middle + 1, high)
        _, start = _window_span(days, low)
        days, budget = days[start:start + len(days) - low], budget - low
    return days[0], days[-1]


def timeline(events: Iterable[Row], by: str = "type", max_buckets: int = 120, clip: bool = True) -> Timeline:
    """Counts per day per category; coarser (weeks, then months) when days would not fit ``max_buckets``.

    With ``clip``, the axis covers ``axis_range`` of the dates: outliers are counted in
    ``before``/``after``, not drawn."""
    if by not in ("type", "quad"):
        raise ValueError(f"timeline by {by!r}: expected 'type' or 'quad'")
    events = list(events)
    days = [e["event_date"] for e in events if e.get("event_date") is not None]
    before = after = 0
    axis = axis_range(days) if clip else None
    if axis is not None:
        kept = [e for e in events if e.get("event_date") is None or axis[0] <= e["event_date"] <= axis[1]]
        before = sum(1 for d in days if d < axis[0])
        after = sum(1 for d in days if d > axis[1])
        events, days = kept, [d for d in days if axis[0] <= d <= axis[1]]
    unit = "day"
    if days:
        span = (max(days) - min(days)).days + 1
        unit = "day" if span <= max_buckets else "week" if span <= max_buckets * 7 else "month"
    counts: dict[dt.date, dict[str, int]] = defaultdict(Counter)
    undated: Counter[str] = Counter()
    for event in events:
        name = category(event, by)
        day = event.get("event_date")
        if day is None:
            undated[name] += 1
        else:
            counts[_bucket_start(day, unit)][name] += 1
    buckets: list[dt.date] = []
    if days:
        current, last = _bucket_start(min(days), unit), _bucket_start(max(days), unit)
        while current <= last:
            buckets.append(current)
            current = _next_bucket(current, unit)
    present = {name for per in counts.values() for name in per} | set(undated)
    order = list(QUAD_NAMES.values()) if by == "quad" else list(PLOVER_TYPES)
    categories = [c for c in order if c in present] + sorted(present - set(order))
    return Timeline(unit, tuple(buckets), tuple(categories),
                    {b: dict(counts.get(b, {})) for b in buckets}, dict(undated), before, after)


@dataclass(frozen=True)
class Edge:
    a: str
    b: str
    cooperation: int  # events of quad class 1-2
    conflict: int  # quad class 3-4
    other: int  # quad class unknown

    @property
    def weight(self) -> int:
        return self.cooperation + self.conflict + self.other


@dataclass(frozen=True)
class Network:
    nodes: tuple[tuple[str, int], ...]  # (country / IGO code, events it takes part in), biggest first
    edges: tuple[Edge, ...]  # heaviest first, only between shown nodes
    hidden_nodes: int  # actors left out to keep the picture readable
    hidden_edges: int


def actor_network(events: Iterable[Row], max_nodes: int = 25, max_edges: int = 60) -> Network:
    """Countries / IGOs as nodes, one edge per pair of countries in an event, weighted by events.

    An event among three countries adds to all three pairs; an event within one country adds
    to its node only.
    """
    degree: Counter[str] = Counter()
    pairs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for event in events:
        codes = sorted(set(countries(event)))
        degree.update(codes)
        quad = event.get("quad_class")
        kind = "cooperation" if quad in (1, 2) else "conflict" if quad in (3, 4) else "other"
        for i, a in enumerate(codes):
            for b in codes[i + 1:]:
                pairs[(a, b)][kind] += 1
    ranked = sorted(degree.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = dict(ranked[:max_nodes])
    edges = [
        Edge(a, b, c["cooperation"], c["conflict"], c["other"])
        for (a, b), c in pairs.items() if a in shown and b in shown
    ]
    edges.sort(key=lambda e: (-e.weight, e.a, e.b))
    return Network(tuple(ranked[:max_nodes]), tuple(edges[:max_edges]),
                   hidden_nodes=max(0, len(ranked) - max_nodes),
                   hidden_edges=len(pairs) - min(len(edges), max_edges))


@dataclass(frozen=True)
class RejectReason:
    stage: str
    reason: str
    count: int
    example: str  # one source_uri, to start looking


def rejects_by_reason(rejects: Iterable[Row]) -> list[RejectReason]:
    """Reject counts per (stage, reason), most frequent first, with the first source as an example."""
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    for row in rejects:
        key = (row.get("stage") or "?", row.get("reason") or "?")
        counts[key] += 1
        uri = row.get("source_uri") or ""
        if key not in examples or uri < examples[key]:
            examples[key] = uri
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [RejectReason(stage, reason, n, examples[(stage, reason)]) for (stage, reason), n in ranked]


@dataclass(frozen=True)
class Scope:
    articles: int
    first_published: dt.date | None  # UTC dates of published_at
    last_published: dt.date | None
    unpublished: int  # articles with no publication date (their partition is the ingestion date)
    first_ingested: dt.date | None
    last_ingested: dt.date | None
    languages: tuple[tuple[str, int], ...]  # most frequent first
    sources: int
    events: Totals
    mentions: int
    rejects: int


def scope(articles: Sequence[Row], events: Sequence[Row], mentions: Sequence[Row], rejects: Sequence[Row]) -> Scope:
    def utc_days(column: str) -> list[dt.date]:
        return [a[column].astimezone(dt.timezone.utc).date() for a in articles if a.get(column) is not None]

    published, ingested = utc_days("published_at"), utc_days("ingested_at")
    languages = Counter(a.get("language") or "und" for a in articles)
    return Scope(
        articles=len(articles),
        first_published=min(published, default=None),
        last_published=max(published, default=None),
        unpublished=len(articles) - len(published),
        first_ingested=min(ingested, default=None),
        last_ingested=max(ingested, default=None),
        languages=tuple(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        sources=len({a.get("source") for a in articles if a.get("source")}),
        events=totals(events),
        mentions=len(mentions),
        rejects=len(rejects),
    )


@dataclass(frozen=True)
class SourceLink:
    url: str | None
    title: str
    source: str | None


@dataclass(frozen=True)
class EventSources:
    links: tuple[SourceLink, ...]
    more: int = field(default=0)  # articles beyond the limit


def _title(article: Row, url: str | None, article_id: str) -> str:
    """What to call an article: its title, else its URL, else the file it came from, else its id."""
    uri = article.get("source_uri") or ""
    return article.get("title") or url or uri.rsplit("/", 1)[-1] or article_id


def event_sources(event: Row, mentions_by_event: dict[str, list[Row]], articles_by_id: dict[str, Row],
                  limit: int = 5) -> EventSources:
    """The articles that report an event (from its mentions, else its article_ids / example_url)."""
    seen: dict[str, SourceLink] = {}
    for mention in mentions_by_event.get(event.get("event_id") or "", ()):
        article_id = mention.get("article_id") or mention.get("url") or ""
        if article_id in seen:
            continue
        article = articles_by_id.get(mention.get("article_id") or "", {})
        url = mention.get("url") or article.get("url")
        seen[article_id] = SourceLink(url, _title(article, url, article_id), mention.get("source") or article.get("source"))
    for article_id in event.get("article_ids") or ():
        if article_id not in seen and article_id in articles_by_id:
            article = articles_by_id[article_id]
            seen[article_id] = SourceLink(article.get("url"), _title(article, article.get("url"), article_id),
                                          article.get("source"))
    if not seen and event.get("example_url"):
        seen[event["example_url"]] = SourceLink(event["example_url"], event["example_url"], None)
    links = sorted(seen.values(), key=lambda s: (s.source or "", s.title))
    return EventSources(tuple(links[:limit]), max(0, len(links) - limit))


def group_by(rows: Iterable[Row], column: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.get(column) or ""].append(row)
    return dict(grouped)


def participant_label(participant: Row) -> str:
    """``RUS:foreign_minister (Sergei Lawrow)``: the key says who, the name what the text wrote."""
    key = participant.get("key") or participant.get("country") or "?"
    name = (participant.get("name") or "").strip()
    return f"{key} ({name})" if name and name.lower() not in key.lower() else key


def side_of(event: dict[str, Any], key: str | None) -> str:
    """``source`` or ``target`` for a directed act; empty for a symmetric one (every party both) or
    a row written before schema 2 (no direction)."""
    source, target = set(event.get("source_keys") or ()), set(event.get("target_keys") or ())
    if key in source and key not in target:
        return "source"
    if key in target and key not in source:
        return "target"
    return ""


def ordered_participants(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Sources first, then the rest: 'who did what to whom' reads left to right."""
    order = {"source": 0, "": 1, "target": 2}
    return sorted(event.get("participants") or (), key=lambda p: order[side_of(event, p.get("key"))])
