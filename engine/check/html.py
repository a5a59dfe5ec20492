"""The summary as one self-contained HTML file: tables and two inline SVG plots,
no script, no font, no fetch, so it opens the same offline, in a mail
attachment or printed.

- Response times per severity: a histogram of the exact response times, the
  bars past the target in the breach colour, the target as a line, the median
  and p95 marked.
- Uptime per month against the tier lines: each customer-month with any
  unavailability as a dot, on a logarithmic scale of unavailability (100 -
  uptime), so thresholds a hundredth of a point apart stay readable; each tier threshold of the
  revisions used is a labelled line.

Plot coordinates are computed with integers and Decimal (never binary floats),
like every other number of the engine.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from html import escape
from typing import Any, Iterable

from engine.core.evaluate import Options
from engine.exact import decimal_text
from engine.policy.family import Family
from engine.timeutil import iso
from engine.check.months import MonthInfo
from engine.check.summary import MICROS_PER_MINUTE, Summary
from engine.check.table import owed_text

BINS = 40
MAX_DOTS_PER_MONTH = 400
MAX_ROWS = 200
W, H = 720, 220  # plot area of a histogram, in px
UW, UH = 860, 360  # plot area of the uptime chart

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;margin:2em auto;max-width:1000px;padding:0 1em}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.8em 0 .5em;border-bottom:1px solid #d8dde6;padding-bottom:.2em}
.meta{color:#5a6478}table{border-collapse:collapse;margin:.4em 0 1em}th,td{padding:3px 10px;border-bottom:1px solid #e4e8ef;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b42318;font-weight:600}
svg{display:block;margin:.3em 0 1.2em;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#3b4455}
.ok{fill:#3e7cb1}.late{fill:#d1495b}.target{stroke:#1d2433;stroke-width:1.5;stroke-dasharray:5 3}
.tier{stroke:#d1495b;stroke-width:1;stroke-dasharray:6 4}.dot{fill:#3e7cb1;fill-opacity:.55}.dot.cr{fill:#d1495b;fill-opacity:.8}
.axis{stroke:#9aa3b2;stroke-width:1}.med{stroke:#1d2433;stroke-width:2}
@media print{body{margin:0}h2{break-after:avoid}svg{break-inside:avoid}}
"""


def render_html(summary: Summary, family: Family, months: list[MonthInfo], options: Options) -> str:
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SLA check summary</title>"
             f"<style>{CSS}</style></head><body>",
             "<h1>SLA check summary</h1>",
             f"<p class=\"meta\">Policy {escape(family.name)}, revisions "
             f"{escape(', '.join(r.revision for r in family.revisions))}; evaluated at {escape(iso(options.now))}"
             + (f" as of {options.as_of.isoformat()}" if options.as_of else "") + ".</p>"]
    parts += _counts(summary)
    if summary.severities:
        parts += _responses(summary)
    if summary.months:
        parts += _uptime(summary, months)
    parts += _totals(summary)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _table(header: list[str], rows: Iterable[list[Any]], numeric: set[int]) -> str:
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{escape(str(v))}</td>" for i, v in enumerate(r)) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _counts(summary: Summary) -> list[str]:
    rows = [[name, f"{c.read:,}", f"{c.evaluated:,}", f"{c.outside:,}", f"{c.rejected:,}"] for name, c in summary.counts.items()]
    return ["<h2>Records</h2>", "<p>Every row read is evaluated (or used), outside --months, or rejected.</p>",
            _table(["source", "read", "evaluated / used", "outside --months", "rejected"], rows, {1, 2, 3, 4})]


def _responses(summary: Summary) -> list[str]:
    rows = summary.severity_rows()
    out = ["<h2>Initial response per severity</h2>",
           "<p>Minutes from the clock's start to the first human response, by the severity whose clock decided. "
           "Median and p95 by nearest rank on the exact times.</p>",
           _table(["severity", "cases", "met", "breached", "breach rate %", "pending", "median min", "p95 min", "target min"],
                  [[f"Sev{r['severity']}", f"{r['cases']:,}", f"{r['met']:,}", f"{r['breached']:,}", r["breach_rate_percent"] or "-",
                    f"{r['pending']:,}", r["p50_minutes"] or "-", r["p95_minutes"] or "-", r["target_minutes"]] for r in rows],
                  {1, 2, 3, 4, 5, 6, 7, 8})]
    for level in sorted(summary.severities):
        out.append(_histogram(level, summary))
    return out


def _histogram(level: int, summary: Summary) -> str:
    s = summary.severities[level]
    times = s.distribution()
    target = max(Fraction(t) for t in s.targets)
    target_us = int(target * MICROS_PER_MINUTE)
    span = 2 * target_us  # the x axis: 0 to twice the target; later responses pile into the last bin
    counts = [0] * BINS
    for t, n in times:
        counts[min(t * BINS // span, BINS - 1)] += n
    peak = max(counts) or 1
    left, top = 50, 24
    bar_w = W // BINS
    bars = []
    for i, n in enumerate(counts):
        if not n:
            continue
        h = max(n * H // peak, 1)
        cls = "late" if (i * span) // BINS >= target_us else "ok"
        bars.append(f'<rect class="{cls}" x="{left + i * bar_w}" y="{top + H - h}" width="{bar_w - 1}" height="{h}">'
                    f"<title>{n:,} cases</title></rect>")
    tx = left + W // 2
    marks = []
    for p in (50, 95):
        if times:
            v = times.nearest_rank(p)
            x = left + min(v, span) * W // span
            marks.append(f'<line class="med" x1="{x}" x2="{x}" y1="{top + H}" y2="{top + H + 8}"/>'
                         f'<text x="{x}" y="{top + H + 20}" text-anchor="middle">p{p} {decimal_text(Fraction(v, MICROS_PER_MINUTE), 1)}</text>')
    ticks = "".join(f'<text x="{left + k * W // 4}" y="{top + H + 34}" text-anchor="middle">{decimal_text(target * k / 2, 1)} min</text>'
                    for k in range(5))
    title = (f"Sev{level}: {len(times):,} responses; target {decimal_text(target)} min "
             f"({s.breached:,} breached, {s.pending:,} pending)")
    return (f'<svg viewBox="0 0 {W + 80} {H + 70}" width="{W + 80}" role="img" aria-label="{escape(title)}">'
            f'<text x="{left}" y="14" font-weight="600">{escape(title)}</text>'
            f'<line class="axis" x1="{left}" x2="{left + W}" y1="{top + H}" y2="{top + H}"/>'
            f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + H}"/>'
            f'<text x="{left - 6}" y="{top + 8}" text-anchor="end">{peak:,}</text><text x="{left - 6}" y="{top + H}" text-anchor="end">0</text>'
            + "".join(bars)
            + f'<line class="target" x1="{tx}" x2="{tx}" y1="{top - 6}" y2="{top + H}"/>'
            f'<text x="{tx + 4}" y="{top + 4}">target {decimal_text(target)} min</text>'
            + "".join(marks) + ticks + "</svg>")


# -- uptime ------------------------------------------------------------------

DECADES = range(-4, 2)  # the axis: unavailability from 10^-4 % to 10^1 % (chart scale, not an SLA number)
DOWN_MIN = Decimal(10) ** DECADES[0]
DOWN_MAX = Decimal(10) ** DECADES[-1]  # lower uptimes sit on the bottom edge


def _y(down_percent: Decimal) -> int:
    """Pixel row of an unavailability percentage on the log scale."""
    with localcontext() as ctx:
        ctx.prec = 28
        d = min(max(down_percent, DOWN_MIN), DOWN_MAX)
        share = (d.log10() - DOWN_MIN.log10()) / (DOWN_MAX.log10() - DOWN_MIN.log10())
        return int((share * UH).to_integral_value())


def _uptime(summary: Summary, months: list[MonthInfo]) -> list[str]:
    rows = summary.month_rows()
    credited = summary.credited
    out = ["<h2>Uptime per customer-month</h2>",
           _table(["month", "revision", "customers", "below the first tier", "median uptime %", "lowest uptime %"],
                  [[r["month"], r["revision"], f"{r['customers']:,}", f"{r['credited']:,}", r["median_uptime_percent"],
                    r["lowest_uptime_percent"]] for r in rows], {2, 3, 4, 5}),
           _uptime_chart(summary, months)]
    if credited:
        shown = summary.credited_rows(MAX_ROWS)
        out.append(f"<h2>Customer-months below the first credit tier ({len(credited):,})</h2>")
        out.append(_table(["customer", "month", "uptime %", "tier", "credit %", "credit owed", "revision"],
                          [[r["customer"], r["month"], r["uptime_percent"], f"< {r['tier_below']}", r["credit_percent"], owed_text(r),
                            r["revision"]] for r in shown], {2, 4, 5}))
        if len(credited) > len(shown):
            out.append(f"<p>… and {len(credited) - len(shown):,} more, lowest uptime first; all of them are in the --summary file.</p>")
    return out


def _uptime_chart(summary: Summary, months: list[MonthInfo]) -> str:
    names = sorted(summary.months)
    left, top = 70, 20
    col = UW // max(len(names), 1)
    tiers: dict[Fraction, Fraction] = {}
    for info in months:
        for tier in info.revision.tiers:
            tiers.setdefault(tier.below, tier.percent)
    parts = [f'<line class="axis" x1="{left}" x2="{left + UW}" y1="{top + UH}" y2="{top + UH}"/>',
             f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + UH}"/>']
    for exponent in DECADES:  # one gridline label per decade of unavailability
        down = Decimal(10) ** exponent
        y = top + _y(down)
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{decimal_text(Fraction(100) - Fraction(down))}%</text>')
    for below, percent in sorted(tiers.items()):
        y = top + _y(Decimal(100) - _dec(below))
        parts.append(f'<line class="tier" x1="{left}" x2="{left + UW}" y1="{y}" y2="{y}"/>'
                     f'<text x="{left + UW + 4}" y="{y + 4}">&lt; {decimal_text(below)}%: {decimal_text(percent)}% credit</text>')
    dropped = 0
    for i, name in enumerate(names):
        m = summary.months[name]
        x0 = left + i * col + col // 2
        downs = sorted((d for d in m.down if d > 0), reverse=True)
        dropped += max(len(downs) - MAX_DOTS_PER_MONTH, 0)
        for j, d in enumerate(downs[:MAX_DOTS_PER_MONTH]):
            percent = Decimal(d * 100) / Decimal(m.total)
            below_first = any(Decimal(100) - percent < _dec(b) for b in tiers)
            x = x0 + (j * 37 % 41) - 20
            parts.append(f'<circle class="dot{" cr" if below_first else ""}" cx="{x}" cy="{top + _y(percent)}" r="2.5"/>')
        parts.append(f'<text x="{x0}" y="{top + UH + 16}" text-anchor="middle">{escape(name)}</text>')
        clean = m.customers - len(downs)
        parts.append(f'<text x="{x0}" y="{top + UH + 30}" text-anchor="middle">{clean:,} at 100%</text>')
    note = f" ({dropped:,} dots of the mildest months not drawn)" if dropped else ""
    title = "Uptime of each customer-month with any unavailability, against the credit tiers (log scale of unavailability)" + note
    return (f'<svg viewBox="0 0 {UW + 230} {UH + 60}" width="{UW + 230}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
            f"<p class=\"meta\">{escape(title)}.</p>")


def _dec(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(value.numerator) / Decimal(value.denominator)


def _totals(summary: Summary) -> list[str]:
    out = []
    if summary.owed:
        out.append("<h2>Credits owed by currency</h2>")
        out.append(_table(["currency", "credit owed"], [[c, str(v)] for c, v in sorted(summary.owed.items())], {1}))
    if summary.claims:
        out.append("<h2>Credit claims</h2>")
        out.append(_table(["outcome", "claims"], [[k, f"{v:,}"] for k, v in sorted(summary.claims.items())], {1}))
        if summary.claimed:
            out.append(_table(["currency", "eligible amount"], [[c, str(v)] for c, v in sorted(summary.claimed.items())], {1}))
    return out
