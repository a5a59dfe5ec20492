"""Decisions as text: JSON for machines, a table for people."""

from __future__ import annotations

import json
from typing import Any, Iterable

from .evaluate import FAILING_OUTCOMES, Decision


def as_json(decisions: Iterable[Decision]) -> str:
    """A JSON array of decisions."""
    return json.dumps([d.to_json() for d in decisions], ensure_ascii=False, indent=2) + "\n"


def as_jsonl(decisions: Iterable[Decision]) -> str:
    """One compact JSON decision per line."""
    return "".join(json.dumps(d.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n" for d in decisions)


def summary(decision: Decision) -> str:
    """The decision's result in one short phrase (numbers only; words come from findings)."""
    r = decision.result
    if decision.record.type == "case":
        met = {True: "met", False: "breached", None: "pending"}[r["response_met"]]
        shown = r["response_minutes"] if r["response_minutes"] is not None else "-"
        return f"sev{r['current_severity']} {shown}/{r['response_target_minutes']} min {met}"
    if decision.record.type == "uptime":
        return f"uptime {r['uptime_percent']}% credit {r['credit_percent']}%"
    verdict = "eligible" if r["eligible"] else "not eligible (" + ", ".join(r["reasons"]) + ")"
    return f"{verdict}: {r['credit_percent']}% = {r['credit_amount']} {r['currency']}"


def as_table(decisions: list[Decision]) -> str:
    """One line per decision, then its breached or violated findings, indented."""
    header = ("RECORD", "TYPE", "REVISION", "RESULT")
    rows = [(d.record.id, d.record.type, _revisions(d), summary(d)) for d in decisions]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(3)]
    lines = []
    for decision, row in zip(decisions, [header, *rows][1:]):
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(row, widths)) + "  " + row[3])
        for f in decision.findings:
            if f.outcome in FAILING_OUTCOMES:
                lines.append(f"    {f.outcome.upper()} {f.rule} [{f.clause}]: {f.message}")
    head = "  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  " + header[3]
    return "\n".join([head, *lines]) + "\n"


def _revisions(decision: Decision) -> str:
    versions: list[Any] = list(dict.fromkeys(s.revision.revision for s in decision.selections))
    return "+".join(versions)
