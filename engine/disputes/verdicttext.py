"""A replayed dispute as text for a terminal: the verdict, the revisions used and
why, the distances to the thresholds, every finding; and the what-if table.

Finding messages, outcome words and change-log entries are the policy's; the
frame is `engine.disputewords`. The sentences are built by `verdict_lines` and
friends so the report can reuse them.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from engine.disputes.bundle import Verdict
from engine.render.amounts import grouped, money
from engine.disputes.words import Words
from engine.core.evaluate import Decision, Finding
from engine.policy.family import Revision
from engine.disputes.thresholds import RevisionMargin, shown_up
from engine.timeutil import iso
from engine.disputes.whatif import COMPARED, WhatIf

INDENT = "  "


def outcome_word(revision: Revision, outcome: str, lang: str) -> str:
    """The policy's word for a finding outcome (`met`, `breached`, ...)."""
    return revision.data["explain"]["outcomes"][outcome][lang]


def headline(verdict: Verdict, words: Words) -> str:
    """`NOT ELIGIBLE: no credit is payable (late); ...` — the verdict in one line."""
    code = words(f"code.{verdict.code}")
    claim, month = verdict.claim, verdict.month
    if claim is not None:
        r = claim.result
        if r["eligible"]:
            detail = words("claim_eligible", credit_percent=r["credit_percent"], credit_amount=grouped(r["credit_amount"]),
                           currency=r["currency"], settlement=claim.revision.code_text(r["settlement"], words.lang))
        else:
            detail = words("claim_not_eligible", reasons=", ".join(r["reasons"]), credit_percent=r["credit_percent"])
        return f"{code}: {detail}"
    if month is not None:
        r = month.result
        return f"{code}: " + words("month_line", month=month.record.fields["month"], uptime_percent=r["uptime_percent"],
                                   credit_percent=r["credit_percent"])
    return f"{code}: " + cases_line(verdict, words)


def what_if_note(verdict: Verdict, words: Words) -> str | None:
    """For an --as-of replay: which single revision decided everything (a what-if)."""
    as_of = verdict.options.as_of
    if as_of is None:
        return None
    return words("what_if_note", revision=verdict.family.at(as_of).revision, as_of=as_of.isoformat())


def customer_line(verdict: Verdict, words: Words) -> str:
    b = verdict.bundle
    return words("customer_line", customer=b.customer, policy=verdict.family.name, records=len(verdict.decisions))


def summary_lines(verdict: Verdict, words: Words) -> list[str]:
    """What follows the headline: the month's uptime (for a claim), the assertion, the distances."""
    out = []
    month = verdict.month
    if verdict.claim is not None and month is not None:
        out.append(words("month_line", month=month.record.fields["month"], uptime_percent=month.result["uptime_percent"],
                         credit_percent=month.result["credit_percent"]))
    assertion = assertion_line(verdict, words)
    if assertion:
        out.append(assertion)
    return out


def cases_line(verdict: Verdict, words: Words) -> str:
    counts = {"met": 0, "breached": 0, "pending": 0}
    for d in verdict.decisions:
        if d.record.type == "case":
            counts[{True: "met", False: "breached", None: "pending"}[d.result["response_met"]]] += 1
    return words("cases_line", **counts)


def assertion_line(verdict: Verdict, words: Words) -> str | None:
    asserted, upheld = verdict.bundle.asserted, verdict.upheld()
    if not asserted or upheld is None:
        return None
    currency = verdict.claim.result["currency"] if verdict.claim else ""
    parts = []
    if "credit_percent" in asserted:
        parts.append(words("asserted_percent", value=asserted["credit_percent"]))
    if "credit_amount" in asserted:
        parts.append(words("asserted_amount", value=grouped(asserted["credit_amount"]), currency=currency))
    text = words("asserted_and").join(parts)
    return words("asserted_upheld" if upheld else "asserted_not_upheld", asserted=text)


def selection_lines(decision: Decision, verdict: Verdict, words: Words, seen: set[tuple[str, str]] | None = None) -> list[str]:
    """Each revision the decision used: which, chosen by what, and how close to its
    edges; a choice already stated (same revision, same instant) is only named."""
    out = []
    seen = set() if seen is None else seen
    margins = {id(m.selection): m for d, m in verdict.margins() if d is decision}
    for selection in decision.selections:
        role = words(f"role.{selection.role}", record=decision.record.id)
        revision = selection.revision
        key = (revision.revision, selection.anchor_value)
        if key in seen:
            out.append(words("selection_again", role=role, revision=revision.revision))
            continue
        seen.add(key)
        if selection.anchor == "--as-of":
            out.append(words("selection_as_of", role=role, revision=revision.revision, anchor_value=selection.anchor_value))
        else:
            out.append(words("selection", role=role, revision=revision.revision, effective=revision.effective.isoformat(),
                             anchor=words.anchor(selection.anchor), anchor_value=selection.anchor_value))
        margin = margins.get(id(selection))
        if margin is not None:
            out += [INDENT + line for line in margin_lines(margin, words)]
        out.append(INDENT + words("sha256_line", sha256=revision.sha256))
    return out


def _claim_first(verdict: Verdict) -> list[Decision]:
    """The decisions with the claim first: its two revisions are the ones in dispute."""
    return sorted(verdict.decisions, key=lambda d: d is not verdict.claim)


def margin_lines(margin: RevisionMargin, words: Words) -> list[str]:
    revision = margin.selection.revision
    lines = [words("since_start", anchor_value=margin.selection.anchor_value, duration=words.duration(margin.since_start),
                   revision=revision.revision, starts_at=iso(revision.starts_at))]
    if margin.next is None:
        lines.append(words("latest"))
    else:
        lines.append(words("until_next", next=margin.next.revision, duration=words.duration(margin.until_next),  # type: ignore[arg-type]
                           next_starts_at=iso(margin.next.starts_at)))
    return lines


def distance_lines(verdict: Verdict, words: Words) -> list[str]:
    """The distances to the neighbouring tiers and to the claim window's edges."""
    out = []
    tiers = verdict.tiers()
    if tiers is not None:
        if tiers.worse is not None:
            out.append(words("tier_worse", minutes=shown_up(tiers.worse.minutes), percent=tiers.worse.tier.percent,  # type: ignore[union-attr]
                             below=tiers.worse.below, points=tiers.worse.points))
        elif tiers.current is not None:
            out.append(words("tier_top", percent=tiers.current.percent))
        if tiers.better is not None and tiers.current is not None:
            nxt = (words("tier_next_credit", percent=tiers.better.tier.percent) if tiers.better.tier
                   else words("tier_no_credit"))
            out.append(words("tier_better_to", minutes=shown_up(tiers.better.minutes), current=tiers.current.percent,
                             below=tiers.better.below, next=nxt))
    window = verdict.window()
    if window is not None:
        key = {"within_window": "window_within", "after_window": "window_after",
               "before_month_end": "window_before_month_end"}[window.position]
        out.append(words(key, duration=words.duration(window.margin), closes_at=iso(window.closes_at),
                         month_end=iso(window.month_end)))
    return out


def finding_line(finding: Finding, lang: str, words: Words) -> str:
    return words("finding", outcome=outcome_word(finding.revision, finding.outcome, lang).upper(), rule=finding.rule,
                 clause=finding.clause, revision=finding.revision.revision, message=finding.message)


def render_verdict(verdict: Verdict, lang: str) -> str:
    """The whole verdict as text."""
    words = Words(lang)
    b = verdict.bundle
    lines = [words("dispute", title=b.title), customer_line(verdict, words)]
    note = what_if_note(verdict, words)
    if note:
        lines.append(note)
    lines += ["", f"{words('verdict')}: {headline(verdict, words)}"]
    lines += [INDENT + line for line in summary_lines(verdict, words)]
    lines += ["", words("revisions_used")]
    seen: set[tuple[str, str]] = set()
    for decision in _claim_first(verdict):
        lines += [INDENT + line for line in selection_lines(decision, verdict, words, seen)]
    distances = distance_lines(verdict, words)
    if distances:
        lines += ["", words("distances")] + [INDENT + line for line in distances]
    lines += ["", words("findings")]
    for decision in verdict.decisions:
        lines.append(INDENT + words("record_heading", record=decision.record.id, type=decision.revision.code_text(decision.record.type, words.lang)))
        lines += [INDENT * 2 + finding_line(f, lang, words) for f in decision.findings]
    return "\n".join(lines) + "\n"


def what_if_rows(what_if: WhatIf, words: Words) -> tuple[list[str], list[list[str]]]:
    """The table's header and rows (also used by the report)."""
    header = [words(f"col.{k}") for k in ("revision", "effective", "governs")] + \
             [words(f"col.{k}") for k in COMPARED if k not in ("eligible", "settlement")]
    changed = {s.after.revision for s in what_if.steps if s.outcome_changed}
    rows = []
    for revision, verdict in what_if.rows:
        s = verdict.summary()
        governs = ", ".join(words(f"role.{role}", record="") .strip() for role in what_if.governs(revision)) or "-"
        cells = [revision.revision + (" *" if revision.revision in changed else ""), revision.effective.isoformat(), governs]
        for key in COMPARED:
            if key in ("eligible", "settlement"):
                continue
            value = s.get(key)
            if key == "verdict":
                value = words(f"code.{value}")
            elif key == "reasons":
                value = ", ".join(value) if value else "-"
            elif key == "credit_amount" and value is not None:
                value = money(value, s["currency"])
            cells.append("-" if value is None else str(value))
        rows.append(cells)
    return header, rows


def step_lines(what_if: WhatIf, lang: str, words: Words) -> list[str]:
    """Each neighbouring pair of revisions: what changed in the verdict, and which rule and clause made it."""
    if not any(s.fields or s.rules for s in what_if.steps):
        return [words("no_changes")]
    out = []
    for step in what_if.steps:
        if not step.fields and not step.rules:
            out.append(words("step_same", before=step.before.revision, after=step.after.revision))
            continue
        out.append(words("step" if step.outcome_changed else "step_same_but", before=step.before.revision,
                         after=step.after.revision))
        for key, a, b in step.fields:
            out.append(INDENT + words("field_change", key=key, before=_shown(a, words), after=_shown(b, words)))
        for change in step.rules:
            before = outcome_word(step.before, change.before.outcome, lang) if change.before else words("none")
            after = outcome_word(step.after, change.after.outcome, lang) if change.after else words("none")
            message = change.after.message if change.after else ""
            out.append(INDENT + words("rule_change", record=change.record, rule=change.rule, clause=change.clause,
                                      before=before, after=after, message=message))
            if change.clause_changed:
                out.append(INDENT * 2 + words("clause_changed", clause=change.clause, revision=step.after.revision))
            else:
                out.append(INDENT * 2 + words("clause_same", clause=change.clause))
            for entry in change.change_log:
                out.append(INDENT * 2 + words("change_log", revision=step.after.revision, text=entry[lang]))
    return out


def _shown(value: Any, words: Words) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if value is None:
        return words("none")
    return str(value) if not isinstance(value, bool) else ("true" if value else "false")


def render_what_if(what_if: WhatIf, lang: str) -> str:
    words = Words(lang)
    b = what_if.actual.bundle
    lines = [words("dispute", title=b.title), words("what_if_title"), words("what_if_explain"), "",
             words("actual", verdict=headline(what_if.actual, words)), ""]
    header, rows = what_if_rows(what_if, words)
    lines += table(header, rows)
    lines += ["", words("changes")] + [INDENT + line for line in step_lines(what_if, lang, words)]
    return "\n".join(lines) + "\n"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Columns padded by display width (CJK characters are two columns wide)."""
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
