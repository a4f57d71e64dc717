"""``eventwire show OUT``: the events of an output root as a terminal table, newest first.

Reads the events table alone (local or ``gs://``). On a terminal the table fits its width
and uses a little colour; piped (or with ``NO_COLOR``) it is plain text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from pipeline.view import aggregate, tables

BOLD, DIM, GREEN, RED, RESET = "\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m"
DATE_W, TYPE_W, COUNT_W = 12, 17, 12  # "date unknown" and "MENT/ART/SRC" are 12 wide


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventwire show", description="Print the events of an output root, newest first.")
    parser.add_argument("output", metavar="OUT", help="output root (local folder or gs://bucket/path)")
    parser.add_argument("--since", type=aggregate.day_argument, metavar="DATE",
                        help="first event date (YYYY-MM-DD, or YYYY-MM / YYYY for its first day), inclusive")
    parser.add_argument("--until", type=aggregate.day_argument, metavar="DATE",
                        help="last event date (YYYY-MM-DD, or YYYY-MM / YYYY for its first day), inclusive")
    parser.add_argument("--country", metavar="ISO3", help="only events with a participant of this country / IGO (e.g. RUS, EU)")
    parser.add_argument("--type", dest="event_type", metavar="TYPE", help="only this PLOVER type (e.g. CONSULT)")
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="show at most N events (default 50; 0 = all)")
    parser.add_argument("--min-confidence", type=float, default=0.0, metavar="C",
                        help="only events whose confidence is at least C (0-1; README: what each threshold gives)")
    return parser


class Style:
    """ANSI styling on a terminal, nothing when piped."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *codes: str) -> str:
        return f"{''.join(codes)}{text}{RESET}" if self.enabled and codes else text


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def participant_line(participant: dict[str, Any], side: str = "") -> str:
    """``RUS:foreign_minister (Sergei Lawrow)``; the role is added when the key does not carry it, the
    side (``source``: did it, ``target``: it was done to) when the act has a direction."""
    label = aggregate.participant_label(participant)
    role = participant.get("role")
    if role and role not in (participant.get("key") or ""):
        label += f" [{role}]"
    return f"{label} ({side})" if side else label


def render_event(event: dict[str, Any], width: int, style: Style) -> list[str]:
    day = event.get("event_date")
    date_text = day.isoformat() if day else aggregate.UNKNOWN_DATE
    kind = event.get("event_type") or "?"
    if event.get("event_mode"):
        kind += "/" + event["event_mode"]
    colour = GREEN if event.get("quad_class") in (1, 2) else RED if event.get("quad_class") in (3, 4) else ""
    counts = f"{event.get('num_mentions') or 0}/{event.get('num_articles') or 0}/{event.get('num_sources') or 0}"
    people_w = max(10, width - DATE_W - TYPE_W - COUNT_W - 3)
    people = [participant_line(p, aggregate.side_of(event, p.get("key"))) for p in aggregate.ordered_participants(event)] or ["(no participants)"]
    wrapped = [line for p in people for line in textwrap.wrap(p, people_w, subsequent_indent="  ") or [""]]
    lines = []
    for i, person in enumerate(wrapped):
        left = f"{date_text:<{DATE_W}} {style(f'{_clip(kind, TYPE_W):<{TYPE_W}}', colour)} " if i == 0 else " " * (DATE_W + TYPE_W + 2)
        right = f" {counts:>{COUNT_W}}" if i == 0 else ""
        lines.append(f"{left}{person:<{people_w}}{right}".rstrip())
    sentence = event.get("example_sentence")
    if sentence:
        indent = " " * (DATE_W + 1)
        lines.append(style(indent + "“" + _clip(sentence, width - len(indent) - 2) + "”", DIM))
    return lines


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def totals_line(shown: int, matched: Sequence[dict[str, Any]], total: int) -> str:
    t = aggregate.totals(matched)
    parts = [f"{shown} of {plural(t.events, 'event')} shown" if shown < t.events else plural(t.events, "event")]
    if t.events < total:
        parts[0] += f" (filtered from {total})"
    if t.first:
        parts.append(f"{t.first.isoformat()} … {t.last.isoformat()}" if t.last != t.first else t.first.isoformat())
    if t.undated:
        parts.append(f"{t.undated} {aggregate.UNKNOWN_DATE}")
    parts.append(f"{plural(t.mentions, 'mention')} in {plural(t.articles, 'article')}")
    if t.countries:
        listed = " ".join(t.countries[:12]) + (" …" if len(t.countries) > 12 else "")
        parts.append(f"{len(t.countries)} countries/IGOs: {listed}")
    return " · ".join(parts)


def render(events: list[dict[str, Any]], total: int, limit: int, width: int, style: Style) -> list[str]:
    ordered = aggregate.newest_first(events)
    shown = ordered[:limit] if limit > 0 else ordered
    people_w = max(10, width - DATE_W - TYPE_W - COUNT_W - 3)
    header = f"{'DATE':<{DATE_W}} {'TYPE/MODE':<{TYPE_W}} {'PARTICIPANTS':<{people_w}} {'MENT/ART/SRC':>{COUNT_W}}"
    lines = [style(header[:width], BOLD), "─" * min(width, len(header))]
    for event in shown:
        lines += render_event(event, width, style)
    lines.append("─" * min(width, len(header)))
    lines += textwrap.wrap(totals_line(len(shown), ordered, total), width, break_on_hyphens=False)
    return lines


def terminal(stream: TextIO) -> tuple[int, bool]:
    """(width, colour) for a stream: its terminal's width, else 80 (or $COLUMNS) and no colour."""
    tty = stream.isatty()
    width = shutil.get_terminal_size((80, 24)).columns if tty else int(os.environ.get("COLUMNS") or 80)
    colour = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    return max(60, min(width, 200)), colour


def main(argv: list[str] | None = None, stream: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = stream or sys.stdout
    if not tables.root_exists(args.output):
        print(f"eventwire show: no output at {args.output} (run `eventwire run INPUT --output {args.output}` first)",
              file=sys.stderr)
        return 2
    events = tables.read_rows(args.output, "events", tables.VIEW_COLUMNS["events"])
    if not events:
        print(f"no events yet in {args.output}", file=out)
        return 0
    matched = aggregate.filter_events(events, args.since, args.until, args.country, args.event_type)
    if args.min_confidence > 0:  # rows of schema 1 have no confidence: they do not pass a threshold
        matched = [e for e in matched if (e.get("confidence") or 0.0) >= args.min_confidence]
    if not matched:
        hint = aggregate.country_suggestion(args.country) if args.country else None
        if hint:  # "--country russia": a usage mistake with an obvious fix
            print(f"eventwire show: --country takes an ISO 3166 alpha-3 or IGO code, not {args.country!r}: "
                  f"did you mean --country {hint}?", file=sys.stderr)
            return 2
        print(f"no events match the filters ({len(events)} events in {args.output})", file=out)
        return 0
    width, colour = terminal(out)
    for line in render(matched, len(events), args.limit, width, Style(colour)):
        print(line, file=out)
    return 0

