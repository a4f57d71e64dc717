"""Merge the mentions of one event into its row: same event date, type and participant set.

Events are a view over mentions: ``events_from_mentions`` recomputes them, with counts, from all
mentions of a partition, so the same event reported on two days by two outlets stays one event
and a re-run changes nothing. Beam-free (the writer calls it per event-date partition).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from transforms import ids
from transforms.records import Event, Mention, Participant


def source_of(mention: Mention) -> str:
    """A mention's outlet for num_sources: the source name, else the URL host, else its article."""
    if mention.source:
        return mention.source.casefold()
    return ids.url_host(mention.url) or mention.article_id


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]  # ties: smallest value, stable


def merge_participants(mentions: list[Mention]) -> tuple[Participant, ...]:
    """One participant per key; the name most often written for it."""
    by_key: dict[str, list[Participant]] = {}
    for mention in mentions:
        for participant in mention.participants:
            by_key.setdefault(participant.key, []).append(participant)
    merged = []
    for key in sorted(by_key):
        group = by_key[key]
        name = _most_common(p.name for p in group)
        merged.append(next(p for p in group if p.name == name))
    return tuple(merged)


def merge_event(mentions: list[Mention]) -> Event:
    """All mentions of one event_id as the event row, with counts recomputed from them."""
    mentions = sorted(mentions, key=lambda m: m.mention_id)
    first = mentions[0]
    example = min(mentions, key=lambda m: (len(m.sentence) > 400, m.url is None, m.mention_id))
    lead = _most_confident(mentions)
    return Event(
        event_id=first.event_id, event_date=first.event_date, event_type=first.event_type,
        event_mode=_most_common(m.event_mode for m in mentions), cameo_code=_most_common(m.cameo_code for m in mentions),
        quad_class=first.quad_class, goldstein=first.goldstein, participants=merge_participants(mentions),
        num_mentions=len(mentions), num_articles=len({m.article_id for m in mentions}),
        num_sources=len({source_of(m) for m in mentions}),
        location_country=_most_common(m.location_country for m in mentions),
        location_name=_most_common(m.location_name for m in mentions),
        example_sentence=example.sentence, example_url=example.url,
        article_ids=tuple(sorted({m.article_id for m in mentions})),
        source_keys=tuple(lead.source_keys or ()), target_keys=tuple(lead.target_keys or ()),
        confidence=lead.confidence,
    )


def _most_confident(mentions: list[Mention]) -> Mention:
    """The mention whose direction the event takes: the most confident, then the direction most
    mentions give, then the first by id (so the row never depends on the order mentions arrive in)."""
    directions = Counter((tuple(m.source_keys or ()), tuple(m.target_keys or ())) for m in mentions)
    return min(mentions, key=lambda m: (-(m.confidence or 0.0),
                                        -directions[(tuple(m.source_keys or ()), tuple(m.target_keys or ()))],
                                        m.mention_id))


def events_from_mentions(mentions: Iterable[Mention]) -> list[Event]:
    groups: dict[str, list[Mention]] = {}
    for mention in mentions:
        groups.setdefault(mention.event_id, []).append(mention)
    return [merge_event(group) for _, group in sorted(groups.items())]


def mention_from_row(row: Mapping[str, Any]) -> Mention:
    """A mention read back from Parquet (for re-materializing events)."""
    fields = {f.name for f in dataclasses.fields(Mention)}
    values = {k: v for k, v in row.items() if k in fields}
    values["participants"] = tuple(Participant(**p) for p in row.get("participants") or ())
    for column in ("source_keys", "target_keys"):  # lists come back as lists; a file of schema 1 has none
        values[column] = tuple(values.get(column) or ())
    return Mention(**values)
