"""Decisions as text: JSON for machines, a table for people."""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Iterable

from engine import kinds
from engine.core.evaluate import FAILING_OUTCOMES, Decision
from engine.io.jsontext import encode_compact


def as_json(decisions: Iterable[Decision]) -> str:
    """A JSON array of decisions."""
    return json.dumps([d.to_json() for d in decisions], ensure_ascii=False, indent=2) + "\n"


def as_jsonl(decisions: Iterable[Decision]) -> str:
    """One compact JSON decision per line."""
    return "".join(encode_compact(d.to_json()) + "\n" for d in decisions)


def _word(decision: Decision, key: str, lang: str) -> str:
    return decision.revision.data["explain"]["table"][key][lang]


def _outcome_word(decision: Decision, key: str, lang: str) -> str:
    return decision.revision.data["explain"]["outcomes"][key][lang]


def summary(decision: Decision, lang: str = "en") -> str:
    """The decision's result in one short phrase, in the policy's words (as its record's kind writes it)."""
    return kinds.get(decision.record.type).summary(decision, lang)


def as_table(decisions: list[Decision], lang: str = "en") -> str:
    """One line per decision, then its breached or violated findings, indented."""
    if not decisions:
        return ""
    header = tuple(_word(decisions[0], key, lang) for key in ("record", "type", "revision", "result"))
    rows = [(d.record.id, d.revision.code_text(d.record.type, lang), _revisions(d) + _what_if(d), summary(d, lang))
            for d in decisions]
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(3)]
    lines = [_line(header, widths)]
    for decision, row in zip(decisions, rows):
        lines.append(_line(row, widths))
        for f in decision.findings:
            if f.outcome in FAILING_OUTCOMES:
                lines.append(f"    {_outcome_word(decision, f.outcome, lang).upper()} {f.rule} [{f.clause}]: {f.message}")
    return "\n".join(lines) + "\n"


def _what_if(decision: Decision) -> str:
    """A what-if decision (--as-of) says so on its own line of the table, not only on standard error."""
    label = decision.extra.get("what_if")
    return f" WHAT-IF {label}" if label else ""


def _line(row: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(str(v) + " " * (w - _width(str(v))) for v, w in zip(row, widths)) + "  " + row[3]


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _revisions(decision: Decision) -> str:
    versions: list[Any] = list(dict.fromkeys(s.revision.revision for s in decision.selections))
    return "+".join(versions)
