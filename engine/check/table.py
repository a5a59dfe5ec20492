"""The summary as a table for the terminal."""

from __future__ import annotations

from fractions import Fraction

from engine.exact import decimal_text
from engine.check.summary import Summary


def _grid(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [str(v).rjust(w) if i in right else str(v).ljust(w) for i, (v, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _n(value: int) -> str:
    return f"{value:,}"


def _rate(text: str | None) -> str:
    """A breach rate to two places, truncated like every shown number."""
    return "-" if text is None else decimal_text(Fraction(text), 2) + "%"


def render(summary: Summary, top: int = 20) -> str:
    out: list[str] = []
    rows = summary.severity_rows()
    if rows:
        out.append("Response targets, per severity of the deciding clock (minutes; median and p95 by nearest rank):")
        out += _grid(["severity", "cases", "breached", "breach rate", "pending", "median", "p95", "target"],
                     [[f"Sev{r['severity']}", _n(r["cases"]), _n(r["breached"]), _rate(r["breach_rate_percent"]), _n(r["pending"]),
                       r["p50_minutes"] or "-", r["p95_minutes"] or "-", r["target_minutes"]] for r in rows],
                     {1, 2, 3, 4, 5, 6, 7})
        out.append("")
    if summary.months:
        total = sum(m.customers for m in summary.months.values())
        credited = summary.credited
        out.append(f"Customer-months below the first credit tier: {_n(len(credited))} of {_n(total)}"
                   + (" (lowest uptime first)" if credited else ""))
        shown = summary.credited_rows(top)
        if shown:
            out += _grid(["customer", "month", "uptime %", "tier", "credit %", "credit owed"],
                         [[r["customer"], r["month"], r["uptime_percent"], f"< {r['tier_below']}", r["credit_percent"], owed_text(r)]
                          for r in shown], {2, 4, 5})
        if len(credited) > len(shown):
            out.append(f"... and {_n(len(credited) - len(shown))} more (all of them in --summary FILE)")
        out.append("")
    if summary.owed:
        out.append("Credits owed, by currency: " + " · ".join(f"{c} {v}" for c, v in sorted(summary.owed.items())))
    if summary.claims:
        c = summary.claims
        reasons = ", ".join(f"{k} {_n(v)}" for k, v in sorted(c.items()) if k not in ("eligible", "not_eligible"))
        out.append(f"Claims: {_n(c['eligible'])} eligible, {_n(c['not_eligible'])} not" + (f" ({reasons})" if reasons else ""))
        if summary.claimed:
            out.append("Eligible claims, by currency: " + " · ".join(f"{k} {v}" for k, v in sorted(summary.claimed.items())))
    if summary.owed or summary.claims:
        out.append("")
    return "\n".join(out)


def owed_text(row: dict) -> str:
    """A customer-month's credit as the text and HTML reports show it: the amount and
    currency, `no contract`, or why the contract is not eligible."""
    if row["currency"] is None:
        return "no contract"
    if row["reason"] == "contract_not_eligible":
        return f"0 ({row['billing']} not eligible)"
    return f"{row['credit_owed']} {row['currency']}"
