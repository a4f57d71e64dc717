"""``eventwire report OUT --html report.html``: one self-contained HTML page about an output root.

The page needs no network and runs no script: inline CSS and inline SVG charts only, so it
can be opened from disk or mailed. Article titles and sentences are untrusted text: every
value is escaped, and only http(s) URLs become links.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from html import escape
from urllib.parse import urlsplit

from pipeline.preflight import OutputUnusable, check_report_target
from pipeline.view import aggregate, svg, tables
from pipeline.view.aggregate import Row

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529;background:#fff}
header{background:#212529;color:#f8f9fa;padding:18px 28px}
header h1{margin:0 0 6px;font-size:22px}
header .scope{font-size:14px;line-height:1.6}
header .scope b{color:#fff}
main{padding:8px 28px 40px;max-width:1400px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
.note{color:#6c757d;font-size:13px;margin:4px 0}
.empty{background:#fff3bf;border:1px solid #fcc419;padding:14px 18px;font-size:16px;border-radius:4px;margin-top:20px}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border-bottom:1px solid #e9ecef;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f8f9fa;position:sticky;top:0}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap}
.coop{color:#2b8a3e;font-weight:600}.conf{color:#c92a2a;font-weight:600}
.sentence{color:#495057;font-style:italic;max-width:420px;min-width:240px}
.who small{color:#6c757d}
.sources a{display:block;max-width:220px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
svg.chart{max-width:100%;height:auto}
footer{color:#868e96;font-size:12px;padding:0 28px 20px}
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eventwire report", description="Render a self-contained HTML report of an output root.")
    parser.add_argument("output", metavar="OUT", help="output root (local folder or gs://bucket/path)")
    parser.add_argument("--html", required=True, metavar="FILE", help="where to write the report (local path or gs://)")
    parser.add_argument("--top", type=int, default=50, metavar="N", help="events in the top events table (default 50)")
    parser.add_argument("--by", choices=("type", "quad"), default="type", help="stack the timeline by PLOVER type or quad class")
    parser.add_argument("--max-actors", type=int, default=25, metavar="N", help="actors in the network (default 25)")
    parser.add_argument("--since", type=aggregate.day_argument, metavar="DATE",
                        help="only events from this date (YYYY-MM-DD, or YYYY-MM / YYYY for its first day), inclusive")
    parser.add_argument("--until", type=aggregate.day_argument, metavar="DATE",
                        help="only events up to this date (YYYY-MM-DD, or YYYY-MM / YYYY for its first day), inclusive")
    return parser


def within(view: dict[str, list[Row]], since: dt.date | None, until: dt.date | None) -> dict[str, list[Row]]:
    """The view with only the events in [since, until] and their mentions (as ``show`` filters:
    an event of unknown date is outside every range). Articles and rejects stay whole."""
    if since is None and until is None:
        return view
    events = aggregate.filter_events(view.get("events", []), since, until)
    kept = {e.get("event_id") for e in events}
    mentions = [m for m in view.get("mentions", []) if m.get("event_id") in kept]
    return {**view, "events": events, "mentions": mentions}


def _axis_note(line: aggregate.Timeline) -> str:
    """What the clipped axis leaves out, so no event disappears silently."""
    if not line.before and not line.after:
        return ""
    parts = []
    if line.before:
        parts.append(f"{line.before} {_noun(line.before, 'event')} before {line.buckets[0].isoformat()}")
    if line.after:
        parts.append(f"{line.after} {_noun(line.after, 'event')} after the last {line.unit} shown")
    verb = "is" if line.before + line.after == 1 else "are"
    return (f"<p class='note' id='axis-clipped'>The axis covers where the events are: {' and '.join(parts)}, far "
            f"from all others, {verb} not drawn (counted above, and listed in the tables below when among the "
            "top events; <code>--since</code> and <code>--until</code> choose the range).</p>")


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL (never javascript:, data:, file: ...), else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def link(url: str | None, text: str) -> str:
    safe = safe_url(url)
    if safe is None:
        return escape(text)
    return f"<a href='{escape(safe, quote=True)}' rel='noopener noreferrer nofollow' target='_blank'>{escape(text)}</a>"


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else aggregate.UNKNOWN_DATE


def _range(first: dt.date | None, last: dt.date | None) -> str:
    if first is None:
        return "none"
    return first.isoformat() if first == last else f"{first.isoformat()} – {_date(last)}"


def _noun(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def header_html(root: str, scope: aggregate.Scope) -> str:
    t = scope.events
    events_span = _range(t.first, t.last) + (f" (+{t.undated} {aggregate.UNKNOWN_DATE})" if t.undated else "")
    published = f" published {_range(scope.first_published, scope.last_published)}" if scope.first_published else ""
    if scope.unpublished:
        published += f" ({scope.unpublished} without a publication date)" if published else " (no publication dates)"
    languages = ", ".join(f"{escape(code)} {n}" for code, n in scope.languages) or "none"
    items = [
        f"<b>{t.events}</b> {_noun(t.events, 'event')}, {events_span}",
        f"<b>{scope.mentions}</b> {_noun(scope.mentions, 'mention')}",
        f"<b>{scope.articles}</b> {_noun(scope.articles, 'article')}{published}",
        f"ingested {_range(scope.first_ingested, scope.last_ingested)}",
        f"languages: {languages}",
        f"<b>{scope.sources}</b> {_noun(scope.sources, 'source')}",
        f"<b>{scope.rejects}</b> {_noun(scope.rejects, 'reject')}",
    ]
    return (f"<header><h1>eventwire report: {escape(root)}</h1>"
            f"<div class='scope'>{' · '.join(items)}</div></header>")


def participants_html(event: Row) -> str:
    people = []
    for p in aggregate.ordered_participants(event):
        key = p.get("key") or p.get("country") or "?"
        extra = [x for x in (p.get("name"), p.get("role") if p.get("role") not in key else None, aggregate.side_of(event, key)) if x]
        people.append(f"<div class='who'>{escape(key)} <small>{escape(' · '.join(extra))}</small></div>")
    return "".join(people) or "<small>none</small>"


def events_table_html(events: Sequence[Row], mentions: Sequence[Row], articles: Sequence[Row]) -> str:
    by_event = aggregate.group_by(mentions, "event_id")
    by_article = {a["article_id"]: a for a in articles if a.get("article_id")}
    rows = []
    for rank, event in enumerate(events, 1):
        kind = escape(event.get("event_type") or "?") + (f"/{escape(event['event_mode'])}" if event.get("event_mode") else "")
        css = "coop" if event.get("quad_class") in (1, 2) else "conf" if event.get("quad_class") in (3, 4) else ""
        sources = aggregate.event_sources(event, by_event, by_article)
        links = "".join(link(s.url, (f"{s.source}: " if s.source else "") + s.title) for s in sources.links)
        if sources.more:
            links += f"<small>+{sources.more} more</small>"
        rows.append(
            f"<tr><td class='num'>{rank}</td><td class='date'>{_date(event.get('event_date'))}</td>"
            f"<td><span class='{css}'>{kind}</span><br><small>CAMEO {escape(event.get('cameo_code') or '?')}</small></td>"
            f"<td>{participants_html(event)}</td>"
            f"<td class='num'>{event.get('num_mentions') or 0} / {event.get('num_articles') or 0} / "
            f"{event.get('num_sources') or 0}</td>"
            f"<td class='sentence'>{escape(event.get('example_sentence') or '')}</td>"
            f"<td class='sources'>{links}</td></tr>")
    head = ("<tr><th>#</th><th>date</th><th>type/mode</th><th>participants</th>"
            "<th title='mentions / articles / sources'>ment. / art. / src.</th><th>example sentence</th>"
            "<th>source articles</th></tr>")
    return f"<table id='top-events'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def rejects_html(reasons: Sequence[aggregate.RejectReason]) -> str:
    if not reasons:
        return "<p class='note'>No rejects: every input became an article.</p>"
    rows = "".join(f"<tr><td>{escape(r.stage)}</td><td><code>{escape(r.reason)}</code></td><td class='num'>{r.count}</td>"
                   f"<td><code>{escape(r.example)}</code></td></tr>" for r in reasons)
    return ("<table id='rejects'><thead><tr><th>stage</th><th>reason</th><th>count</th><th>example input</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


def render(root: str, view: dict[str, list[Row]], top: int = 50, by: str = "type", max_actors: int = 25,
           generated: dt.datetime | None = None, since: dt.date | None = None, until: dt.date | None = None) -> str:
    """The whole page, from the rows of the four tables (events limited to [since, until])."""
    view = within(view, since, until)
    events, mentions, articles, rejects = (view.get(t, []) for t in ("events", "mentions", "articles", "rejects"))
    scope = aggregate.scope(articles, events, mentions, rejects)
    body = []
    if since or until:
        span = f"{since.isoformat() if since else 'the first'} to {until.isoformat() if until else 'the last'}"
        body.append(f"<p class='note' id='date-range'>Events dated {span} (--since/--until); events of unknown "
                    "date are left out.</p>")
    if not events:
        body.append("<div class='empty' id='no-events'>No events yet in this output. "
                    "Run <code>eventwire run INPUT --output OUT</code> first, or check the rejects below.</div>")
    else:
        line = aggregate.timeline(events, by=by)
        net = aggregate.actor_network(events, max_nodes=max_actors)
        stacked = "PLOVER type" if by == "type" else "quad class"
        body.append(f"<h2>Events per {line.unit}, by {stacked}</h2>{_axis_note(line)}{svg.timeline_svg(line)}")
        hidden = (f" {net.hidden_nodes} smaller actors and {net.hidden_edges} pairs are not drawn."
                  if net.hidden_nodes or net.hidden_edges else "")
        body.append("<h2>Who with whom</h2><p class='note'>Countries and IGOs as nodes (size: events they take part in); "
                    f"an edge per pair of actors in an event, thicker with more events.{hidden}</p>"
                    f"<div>{svg.network_legend_svg()}</div>{svg.network_svg(net)}")
        ranked = aggregate.top_events(events, top)
        body.append(f"<h2>Top events</h2><p class='note'>The {len(ranked)} most reported of {len(events)} events "
                    "(by articles, sources, mentions).</p>" + events_table_html(ranked, mentions, articles))
    body.append(f"<h2>Rejects by reason</h2>{rejects_html(aggregate.rejects_by_reason(rejects))}")
    stamp = (generated or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>eventwire report: {escape(root)}</title><style>{CSS}</style></head><body>"
            f"{header_html(root, scope)}<main>{''.join(body)}</main>"
            f"<footer>Generated by eventwire at {stamp} from the Parquet tables in {escape(root)}.</footer>"
            "</body></html>")


def write_text(path: str, text: str) -> None:
    if tables.is_remote(path):
        from apache_beam.io.filesystems import FileSystems  # lazy: only for gs:// and friends

        with FileSystems.create(path, mime_type="text/html") as handle:
            handle.write(text.encode("utf-8"))
        return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not tables.root_exists(args.output):
        print(f"eventwire report: no output at {args.output} (run `eventwire run INPUT --output {args.output}` first)",
              file=sys.stderr)
        return 2
    try:
        check_report_target(args.html)  # before reading the tables: a typo costs nothing
        view = tables.read_view(args.output)
        write_text(args.html, render(args.output, view, args.top, args.by, args.max_actors,
                                     since=args.since, until=args.until))
    except OutputUnusable as exc:
        print(f"eventwire report: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. a read-only folder, a full disk: an environment problem, not a bug
        print(f"eventwire report: cannot write {args.html}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    count = len(within(view, args.since, args.until)["events"])
    if args.since or args.until:
        print(f"wrote {args.html}: {count} of {len(view['events'])} events in the date range")
    else:
        print(f"wrote {args.html}: {count} events" if count else f"wrote {args.html}: no events yet in {args.output}")
    return 0

