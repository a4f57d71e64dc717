"""Hand-written inline SVG charts for the HTML report: no plotting dependency, no scripts.

Every text that reaches the markup goes through ``html.escape``; each shape carries a
``<title>`` so a browser shows the exact numbers on hover.
"""

from __future__ import annotations

import math
from html import escape

from pipeline.view.aggregate import PLOVER_TYPES, QUAD_NAMES, UNKNOWN_DATE, Network, Timeline

# Cooperative types in greens/blues, conflictual ones in yellows to reds (PLOVER order).
TYPE_COLOURS = dict(zip(PLOVER_TYPES, (
    "#1864ab", "#1c7ed6", "#4dabf7", "#74c0fc", "#0b7285", "#15aabf", "#66d9e8", "#2b8a3e",
    "#fab005", "#f08c00", "#e8590c", "#d6336c", "#c2255c", "#862e9c", "#a61e4d", "#c92a2a",
), strict=True))
QUAD_COLOURS = dict(zip(QUAD_NAMES.values(), ("#74c0fc", "#1864ab", "#ffa94d", "#c92a2a"), strict=True))
COOPERATION, CONFLICT, NEUTRAL = (43, 138, 62), (201, 42, 42), (134, 142, 150)
FONT = "font-family='system-ui, sans-serif' font-size='11'"


def colour_of(name: str) -> str:
    return TYPE_COLOURS.get(name) or QUAD_COLOURS.get(name) or "#868e96"


def _nice_step(peak: int, ticks: int = 4) -> int:
    """A round tick step (1, 2, 5, 10, 20, ...) so that about ``ticks`` ticks cover ``peak``."""
    raw = max(1.0, peak / ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _legend(names: list[str], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatch + name items flowing left to right; returns the markup and the height used."""
    parts, cx, cy = [], x, y
    for name in names:
        item_w = 22 + 7 * len(name)
        if cx + item_w > x + width and cx > x:
            cx, cy = x, cy + 18
        parts.append(f"<rect x='{cx:.0f}' y='{cy:.0f}' width='12' height='12' fill='{colour_of(name)}'/>"
                     f"<text x='{cx + 16:.0f}' y='{cy + 10:.0f}' {FONT}>{escape(name)}</text>")
        cx += item_w
    return parts, cy - y + 18


def timeline_svg(data: Timeline, width: int = 920, height: int = 240) -> str:
    """Stacked bars per day (or week / month), plus one bar for events with an unknown date."""
    left, right, top, bottom = 44, 48, 12, 40
    columns: list[tuple[str, dict[str, int]]] = [(b.isoformat(), data.counts.get(b, {})) for b in data.buckets]
    if data.undated:
        columns.append((UNKNOWN_DATE, data.undated))
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(1, len(columns))
    bar_w = max(1.0, min(48.0, slot * 0.8))
    step = _nice_step(data.peak)
    top_value = max(step, math.ceil(data.peak / step) * step)
    scale = plot_h / top_value
    parts = [f"<line x1='{left}' y1='{top + plot_h}' x2='{width - right}' y2='{top + plot_h}' stroke='#495057'/>"]
    for value in range(0, top_value + 1, step):
        y = top + plot_h - value * scale
        parts.append(f"<line x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' stroke='#e9ecef'/>"
                     f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' {FONT}>{value}</text>")
    label_every = max(1, math.ceil(len(columns) / 10))
    for i, (label, per) in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2
        if label == UNKNOWN_DATE and data.buckets:  # set the undated bar apart from the time axis
            parts.append(f"<line x1='{left + i * slot:.1f}' y1='{top}' x2='{left + i * slot:.1f}' "
                         f"y2='{top + plot_h}' stroke='#adb5bd' stroke-dasharray='4 3'/>")
        y = top + plot_h
        for name in data.categories:
            count = per.get(name, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            parts.append(f"<rect class='bar' x='{x:.1f}' y='{y:.1f}' width='{bar_w:.1f}' height='{h:.1f}' "
                         f"fill='{colour_of(name)}'><title>{escape(label)} · {escape(name)}: {count}</title></rect>")
        is_last = i == len(columns) - 1
        if i % label_every == 0 or label == UNKNOWN_DATE or (is_last and len(columns) <= 10):
            parts.append(f"<text x='{x + bar_w / 2:.1f}' y='{top + plot_h + 16}' text-anchor='middle' "
                         f"{FONT}>{escape(label)}</text>")
    legend, legend_h = _legend(list(data.categories), left, height - 14, plot_w)
    total_h = height + legend_h
    unit = f"events per {data.unit}"
    body = "".join(parts + legend)
    return (f"<svg class='chart' id='timeline' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{total_h:.0f}' "
            f"viewBox='0 0 {width} {total_h:.0f}' role='img' aria-label='{escape(unit)}'>{body}</svg>")


def _mix(conflict_share: float) -> str:
    r, g, b = (round(c0 + (c1 - c0) * conflict_share) for c0, c1 in zip(COOPERATION, CONFLICT, strict=True))
    return f"rgb({r},{g},{b})"


def network_svg(net: Network) -> str:
    """Actors on a circle (biggest at the top, clockwise), edges as weighted, coloured lines."""
    n = len(net.nodes)
    size = 320 if n <= 4 else 440 if n <= 10 else 560
    centre, radius = size / 2, size / 2 - 70
    position = {}
    for i, (code, _) in enumerate(net.nodes):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, n)
        position[code] = (centre + radius * math.cos(angle), centre + radius * math.sin(angle))
    heaviest = max((e.weight for e in net.edges), default=1)
    biggest = max((d for _, d in net.nodes), default=1)
    parts = []
    for edge in reversed(net.edges):  # heaviest drawn last, on top
        (x1, y1), (x2, y2) = position[edge.a], position[edge.b]
        judged = edge.cooperation + edge.conflict
        colour = _mix(edge.conflict / judged) if judged else "rgb({},{},{})".format(*NEUTRAL)
        stroke = 1.5 + 10 * math.sqrt(edge.weight / heaviest)
        tip = f"{edge.a} – {edge.b}: {edge.weight} events ({edge.cooperation} cooperation, {edge.conflict} conflict)"
        parts.append(f"<line class='edge' x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='{colour}' "
                     f"stroke-width='{stroke:.1f}' stroke-opacity='0.7' stroke-linecap='round'>"
                     f"<title>{escape(tip)}</title></line>")
    for code, degree in net.nodes:
        x, y = position[code]
        r = 6 + 16 * math.sqrt(degree / biggest)
        dx, dy = x - centre, y - centre
        norm = math.hypot(dx, dy) or 1.0
        lx, ly = x + dx / norm * (r + 12), y + dy / norm * (r + 12)
        anchor = "middle" if abs(dx) < 1 else "start" if dx > 0 else "end"
        parts.append(f"<circle class='node' cx='{x:.1f}' cy='{y:.1f}' r='{r:.1f}' fill='#f1f3f5' stroke='#343a40' "
                     f"stroke-width='1.5'><title>{escape(code)}: {degree} events</title></circle>"
                     f"<text x='{lx:.1f}' y='{ly + 4:.1f}' text-anchor='{anchor}' {FONT} font-weight='600'>"
                     f"{escape(code)}</text>")
    # Crop to the drawing (nodes plus room for their labels): few actors leave no empty square.
    ys = [y for _, y in position.values()] or [centre]
    y0, y1 = max(0.0, min(ys) - 50), min(float(size), max(ys) + 50)
    return (f"<svg class='chart' id='network' xmlns='http://www.w3.org/2000/svg' width='{size}' "
            f"height='{y1 - y0:.0f}' viewBox='0 {y0:.0f} {size} {y1 - y0:.0f}' role='img' aria-label='actor network'>"
            f"{''.join(parts)}</svg>")


def network_legend_svg() -> str:
    items = [("cooperation (quad class 1-2)", _mix(0.0)), ("mixed", _mix(0.5)), ("conflict (quad class 3-4)", _mix(1.0))]
    parts, x = [], 0
    for label, colour in items:
        parts.append(f"<line x1='{x}' y1='9' x2='{x + 26}' y2='9' stroke='{colour}' stroke-width='6' "
                     f"stroke-linecap='round'/><text x='{x + 32}' y='13' {FONT}>{escape(label)}</text>")
        x += 44 + 7 * len(label)
    return (f"<svg class='legend' xmlns='http://www.w3.org/2000/svg' width='{x}' height='18' "
            f"viewBox='0 0 {x} 18'>{''.join(parts)}</svg>")
