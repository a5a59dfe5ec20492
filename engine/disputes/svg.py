"""Inline SVG charts for the HTML report: the month's outages on a timeline, and the
uptime against the credit tiers. Plain SVG text, no script, no external fonts or
images, coordinates computed exactly (Fractions) and written as decimals.
"""

from __future__ import annotations

from fractions import Fraction
from html import escape
from typing import Sequence

from engine.disputes.words import Words
from engine.exact import decimal_text
from engine.policy.family import Tier
from engine.disputes.timeline import OutageRow
from engine.timeutil import micros

WIDTH = 760
LEFT, RIGHT = 44, 16
ROW = 22
COLOURS = {"counted": "#c0392b", "excluded": "#d98e04", "ignored": "#9e9e9e"}
BAND_COLOURS = ("#e7f4ea", "#fde3df", "#f7b3a8", "#ec7a68", "#d64531", "#a52a1b")
FONT = "font-family:system-ui,'DejaVu Sans',sans-serif"


def _n(value: Fraction | int) -> str:
    return decimal_text(Fraction(value), 2)


def _text(x: Fraction | int, y: Fraction | int, text: str, size: int = 11, anchor: str = "start",
          weight: str = "normal", fill: str = "#222") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}">{escape(text)}</text>')


def timeline(rows: Sequence[OutageRow], month_start: object, month_end: object, words: Words) -> str:
    """One lane per outage across the month, day ticks below; an outage running past
    the month's edge gets an arrow at that edge."""
    start, end = micros(month_start), micros(month_end)  # type: ignore[arg-type]
    span = WIDTH - LEFT - RIGHT
    days = (end - start) // 86_400_000_000
    top = 8
    height = top + max(len(rows), 1) * ROW + 34 + 22 * 3

    def x(instant: object) -> Fraction:
        return LEFT + Fraction(micros(instant) - start, end - start) * span  # type: ignore[arg-type]

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" style="{FONT}">']
    lanes_bottom = top + max(len(rows), 1) * ROW
    parts.append(f'<rect x="{LEFT}" y="{top}" width="{span}" height="{lanes_bottom - top}" fill="#fafafa" stroke="#ccc"/>')
    for day in range(days + 1):
        gx = LEFT + Fraction(day, days) * span
        parts.append(f'<line x1="{_n(gx)}" y1="{top}" x2="{_n(gx)}" y2="{lanes_bottom}" stroke="#e3e3e3"/>')
        if day < days and (day == 0 or (day + 1) % 5 == 0):
            parts.append(_text(gx + Fraction(span, 2 * days), lanes_bottom + 14, str(day + 1), 10, "middle", fill="#555"))
    for i, row in enumerate(rows):
        y = top + i * ROW
        parts.append(_text(LEFT - 6, y + 15, f"#{row.number}", 11, "end"))
        colour = COLOURS[row.category]
        if row.minutes_in_month > 0:
            x0, x1 = x(row.start), x(row.end)
            width = max(x1 - x0, Fraction(3))
            parts.append(f'<rect x="{_n(x0)}" y="{y + 5}" width="{_n(width)}" height="{ROW - 10}" fill="{colour}">'
                         f'<title>#{row.number} {escape(row.outage.cause)}: {_n(row.minutes_in_month)} min</title></rect>')
        if row.before_month:
            parts.append(f'<path d="M {LEFT + 1} {y + 11} l 7 -5 v 10 z" fill="{colour}"/>')
        if row.after_month:
            edge = LEFT + span
            parts.append(f'<path d="M {edge - 1} {y + 11} l -7 -5 v 10 z" fill="{colour}" stroke="#222" stroke-width="0.5"/>')
    legend_y = lanes_bottom + 30
    for j, category in enumerate(("counted", "excluded", "ignored")):
        ly = legend_y + j * 20
        parts.append(f'<rect x="{LEFT}" y="{ly}" width="14" height="10" fill="{COLOURS[category]}"/>')
        parts.append(_text(LEFT + 20, ly + 9, words(f"legend.{category}"), 11))
    parts.append("</svg>")
    return "".join(parts)


def tier_chart(tiers: Sequence[Tier], uptime: Fraction, words: Words) -> str:
    """Bands for "no credit" and each tier, equally wide so thresholds a hundredth of
    a point apart stay readable, with the month's uptime marked on its band."""
    ordered = sorted(tiers, key=lambda t: t.below)  # lowest threshold (highest credit) first
    bottom = _bottom(ordered, uptime)
    edges = [bottom] + [t.below for t in ordered] + [Fraction(100)]
    labels = [words("chart_band", below=t.below, percent=t.percent) for t in ordered] + [words("chart_band_none")]
    band_count = len(edges) - 1
    span = WIDTH - LEFT - RIGHT
    band = Fraction(span, band_count)
    top, bar = 34, 44
    height = top + bar + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart tiers" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" style="{FONT}">']
    for i in range(band_count):
        colour = BAND_COLOURS[min(len(ordered) - i, len(BAND_COLOURS) - 1)] if i < len(ordered) else BAND_COLOURS[0]
        bx = LEFT + i * band
        parts.append(f'<rect x="{_n(bx)}" y="{top}" width="{_n(band)}" height="{bar}" fill="{colour}" stroke="#fff"/>')
        parts.append(_text(bx + band / 2, top + bar / 2 + 4, labels[i], 11, "middle"))
    for i, edge in enumerate(edges):
        ex = LEFT + i * band
        parts.append(f'<line x1="{_n(ex)}" y1="{top + bar}" x2="{_n(ex)}" y2="{top + bar + 6}" stroke="#555"/>')
        parts.append(_text(ex, top + bar + 18, f"{decimal_text(edge)}%", 10, "middle", fill="#555"))
    ux = _position(edges, uptime, band)
    parts.append(f'<line x1="{_n(ux)}" y1="{top - 6}" x2="{_n(ux)}" y2="{top + bar + 2}" stroke="#111" stroke-width="3"/>')
    anchor = "end" if ux > LEFT + span * Fraction(3, 4) else ("start" if ux < LEFT + span / 4 else "middle")
    parts.append(_text(ux, top - 12, words("chart_uptime", uptime_percent=uptime), 13, anchor, "bold"))
    parts.append("</svg>")
    return "".join(parts)


def _bottom(ordered: Sequence[Tier], uptime: Fraction) -> Fraction:
    """The left edge: below the lowest threshold by the gap to the next one, and never
    to the right of the uptime itself."""
    if not ordered:
        return max(Fraction(0), Fraction(int(uptime)) - 1)
    lowest = ordered[0].below
    gap = ordered[1].below - lowest if len(ordered) > 1 else Fraction(1)
    bottom = lowest - gap
    if uptime < bottom:
        bottom = Fraction(int(uptime))
    return max(Fraction(0), bottom)


def _position(edges: Sequence[Fraction], value: Fraction, band: Fraction) -> Fraction:
    """Where `value` falls: linear within its band."""
    for i in range(len(edges) - 1):
        lo, hi = edges[i], edges[i + 1]
        if lo <= value <= hi and hi > lo:
            return LEFT + i * band + (value - lo) / (hi - lo) * band
    return Fraction(LEFT) if value < edges[0] else LEFT + (len(edges) - 1) * band
