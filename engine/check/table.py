"""The summary as a table for the terminal, in the catalogue's words (`--lang`)."""

from __future__ import annotations

from fractions import Fraction

from typing import Mapping

from engine.exact import decimal_text
from engine.check.summary import Summary
from engine.render.amounts import money
from engine.render.catalogue import Messages


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


def render(summary: Summary, top: int = 20, lang: str = "en", codes: Mapping[str, str] | None = None) -> str:
    """The terminal summary; `codes` are the policy's words for codes (`annual_prepaid`) in `lang`."""
    w = Messages("check", lang)
    out: list[str] = []
    rows = summary.severity_rows()
    if rows:
        out.append(w("t.responses"))
        out += _grid([w(f"col.{k}") for k in ("severity", "cases", "breached", "breach_rate", "pending", "median", "p95", "target")],
                     [[w("sev", level=r["severity"]), _n(r["cases"]), _n(r["breached"]), _rate(r["breach_rate_percent"]),
                       _n(r["pending"]), r["p50_minutes"] or "-", r["p95_minutes"] or "-", r["target_minutes"]] for r in rows],
                     {1, 2, 3, 4, 5, 6, 7})
        out.append("")
    if summary.months:
        total = sum(m.customers for m in summary.months.values())
        credited = summary.credited
        out.append(w("t.credited", count=_n(len(credited)), total=_n(total)) + (w("t.lowest_first") if credited else ""))
        shown = summary.credited_rows(top)
        if shown:
            out += _grid([w(f"col.{k}") for k in ("customer", "month", "uptime_percent", "tier", "credit_percent", "credit_owed")],
                         [[r["customer"], r["month"], r["uptime_percent"], f"< {r['tier_below']}", r["credit_percent"],
                           owed_text(r, lang, codes)] for r in shown], {2, 4, 5})
        if len(credited) > len(shown):
            out.append(w("t.more", count=_n(len(credited) - len(shown))))
        out.append("")
    if summary.owed:
        out.append(w("t.owed", totals=" · ".join(money(v, c) for c, v in sorted(summary.owed.items()))))
    if summary.claims:
        c = summary.claims
        reasons = ", ".join(f"{k} {_n(v)}" for k, v in sorted(c.items()) if k not in ("eligible", "not_eligible"))
        out.append(w("t.claims", eligible=_n(c["eligible"]), not_eligible=_n(c["not_eligible"])) + (f" ({reasons})" if reasons else ""))
        if summary.claimed:
            out.append(w("t.claimed", totals=" · ".join(money(v, k) for k, v in sorted(summary.claimed.items()))))
    if summary.owed or summary.claims:
        out.append("")
    return "\n".join(out)


def owed_text(row: dict, lang: str = "en", codes: Mapping[str, str] | None = None) -> str:
    """A customer-month's credit as the text and HTML reports show it: the amount with
    its currency, `no contract`, or why the contract is not eligible (in `lang`)."""
    w = Messages("check", lang)
    if row["currency"] is None:
        return w("owed.no_contract")
    if row["reason"] == "contract_not_eligible":
        billing = (codes or {}).get(row["billing"], row["billing"])
        return w("owed.not_eligible", billing=billing)
    return money(row["credit_owed"], row["currency"])
