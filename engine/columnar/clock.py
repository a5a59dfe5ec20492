"""The case facts in SQL: the revision in force, the policy checks, and the
response clock of `engine.core.facts.case.case_facts` unrolled over at most
`MAX_CHANGES` severity changes.

Every number and name comes from the family's Revision objects and is inlined
per revision (`CASE rev WHEN k THEN ...`): targets (as exact microseconds and as
the Fraction's numerator/denominator), submission channels, the initial-response
and escalation-request matches, the severity-change modes, the severities
reopened after a response, the designated contacts asked for.

The clock is a state machine per severity-change event; each event is one
projection over the previous one's columns (`*_k` after event k). The
escalation requests a clock takes are counted (`u`): the row engine takes the
first request at or after submission it has not used yet, and every request is
at or after submission, so the n-th request taken is the n-th in event order.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable

from engine.columnar.case import FIELD_TYPES, MAX_CHANGES
from engine.columnar.lists import Spell
from engine.core.facts.case import FROM_CHANGE, FROM_SUBMISSION, RESTART_AT_CHANGE
from engine.timeutil import micros

MODES = {FROM_CHANGE: 0, FROM_SUBMISSION: 1, RESTART_AT_CHANGE: 2}
MINUTE_US = 60_000_000


class Revisions:
    """Per-revision constants of a family as SQL expressions of the column `rev`."""

    def __init__(self, family: Any, spell: Spell):
        self.revisions = tuple(family.revisions)
        self.spell = spell

    def each(self, value: Callable[[Any], str]) -> str:
        """`CASE rev WHEN k THEN value(revision k) END` (the value itself when all agree)."""
        texts = [value(r) for r in self.revisions]
        if len(set(texts)) == 1:
            return texts[0]
        return "(CASE rev " + " ".join(f"WHEN {k} THEN {t}" for k, t in enumerate(texts)) + " END)"

    def by_level(self, level: str, value: Callable[[Any, int], str | None]) -> str:
        """A per-revision, per-severity constant of the severity `level` (NULL for an unknown one)."""
        def one(revision: Any) -> str:
            arms = [(lv, value(revision, lv)) for lv in sorted(revision.severities)]
            arms = [(lv, v) for lv, v in arms if v is not None]
            if not arms:
                return "NULL"
            return f"(CASE {level} " + " ".join(f"WHEN {lv} THEN {v}" for lv, v in arms) + " END)"
        return self.each(one)

    def target_us(self, level: str) -> str:
        return self.by_level(level, lambda r, lv: _us(r.severities[lv].target_minutes))

    def submits(self, level: str) -> str:
        """Whether the case's channel may raise severity `level`."""
        return self.by_level(level, lambda r, lv: self.spell.text_in("channel", r.severities[lv].submission_channels))

    def matches(self, event: str, match: Callable[[Any], Any]) -> str:
        return self.each(lambda r: f"({event}.type = {self.spell.quote(match(r).event)} AND "
                                   f"{self.spell.text_in(f'{event}.via', match(r).via)})")


def _us(minutes: Fraction) -> str | None:
    """A target as exact microseconds; None when it is finer than a microsecond
    (the row engine refuses such a target per record: left to it)."""
    value = Fraction(minutes) * MINUTE_US
    return str(value.numerator) if value.denominator == 1 else None


def facts_select(family: Any, spell: Spell, staged: str, options: Any) -> str:
    """The facts of every sure staged row the SQL decides (see the module docstring)."""
    revs = Revisions(family, spell)
    rows = f"SELECT * FROM (SELECT *, {_revision(family, options)} AS rev FROM {staged} WHERE sure) WHERE rev IS NOT NULL"
    checked = f"SELECT * FROM ({rows}) WHERE coalesce({_policy_ok(revs)}, FALSE)"
    ir = revs.matches("e", lambda r: r.initial_response)
    er = revs.matches("e", lambda r: r.escalation_request)
    changes = spell.filter("events", "e", "e.type = 'severity_change'")
    lists = (f"SELECT *, {spell.transform(spell.filter('events', 'e', ir), 'e', 'e.at')} AS resp, "
             f"{spell.transform(spell.filter('events', 'e', er), 'e', 'e.at')} AS req, {changes} AS chg FROM ({checked})")
    state = f"SELECT *, {_initial(revs)} FROM ({lists})"
    for k in range(1, MAX_CHANGES + 1):
        for columns in [*_event(revs, k), _step(k)]:
            state = f"SELECT *, {', '.join(columns)} FROM ({state})"
    return _final(revs, state, options)


def _revision(family: Any, options: Any) -> str:
    """The index of the revision that decides a case, as engine.core.evaluate picks it:
    the one of the `--as-of` day, else the latest in force at submission (NULL: none,
    which the row engine reports)."""
    as_of = getattr(options, "as_of", None)
    revisions = tuple(family.revisions)
    if as_of is not None:
        try:
            chosen = family.at(as_of)
        except LookupError:
            return "CAST(NULL AS INT)"
        return str(next(k for k, r in enumerate(revisions) if r is chosen))
    arms = " ".join(f"WHEN submitted_at >= {micros(r.starts_at)} THEN {k}" for k, r in reversed(list(enumerate(revisions))))
    return f"(CASE {arms} END)"


def _policy_ok(revs: Revisions) -> str:
    """What engine.kinds.case checks against the revision: known severities (each
    with a target the clock can use), channels and response channels."""
    spell = revs.spell
    known = revs.each(lambda r: spell.int_in("severity", [lv for lv in r.severities if _us(r.severities[lv].target_minutes)]))
    channel = revs.each(lambda r: spell.text_in("channel", r.case_channels))

    to = "e." + spell.ident("to")

    def event_ok(r: Any) -> str:
        levels = [lv for lv in r.severities if _us(r.severities[lv].target_minutes)]
        ir = r.initial_response.event
        return (f"(CASE WHEN e.type = 'severity_change' THEN {spell.int_in(to, levels)}"
                f" WHEN e.type = {spell.quote(ir)} AND e.via IS NOT NULL THEN {spell.text_in('e.via', r.response_channels)}"
                f" WHEN e.via IS NOT NULL THEN {spell.text_in('e.via', r.case_channels)} ELSE TRUE END)")
    events = spell.none("events", "e", f"NOT {revs.each(event_ok)}")
    return f"({known} AND {channel} AND {events})"


def _after(spell: Spell, items: str, at: str) -> str:
    """The first instant of the sorted list `items` at or after `at`."""
    return spell.minimum(spell.filter(items, "x", f"x >= {at}"))


def _initial(revs: Revisions) -> str:
    """The first clock: from submission, or from the first escalation request when
    the channel may not raise the opening severity (never started without one)."""
    spell = revs.spell
    submits = f"coalesce({revs.submits('severity')}, FALSE)"
    start = f"(CASE WHEN {submits} THEN submitted_at ELSE {spell.element('req', '1')} END)"
    cols = {
        "cur_0": "severity", "csev_0": "severity", "cs_0": start, "cdl_0": f"({start} + {revs.target_us('severity')})",
        "u_0": f"(CASE WHEN {submits} THEN 0 ELSE 1 END)", "bset_0": "FALSE", "bsev_0": "CAST(NULL AS BIGINT)",
        "bs_0": "CAST(NULL AS BIGINT)", "bdl_0": "CAST(NULL AS BIGINT)", "escto_0": "CAST(NULL AS BIGINT)",
        "escat_0": "CAST(NULL AS BIGINT)", "base_0": "submitted_at",
    }
    return ", ".join(f"{v} AS {k}" for k, v in cols.items())


def _event(revs: Revisions, k: int) -> list[list[str]]:
    """What severity-change event k (1-based) finds against the clock after k-1
    events, as projections each reading the ones before."""
    spell, p = revs.spell, k - 1
    change = spell.element("chg", str(k))
    to = f"{change}.{spell.ident('to')}"
    modes = {name: revs.each(lambda r, name=name: str(MODES[getattr(r.severity_change, name)]))
             for name in ("shorter_target", "longer_or_equal_target")}
    reopen = revs.each(lambda r: spell.int_in(f"t_{k}", r.reopen_after_response))
    cols = [
        f"{change}.at AS a_{k}", f"{to} AS t_{k}",
        f"coalesce({to} IS NOT NULL AND {to} <> cur_{p}, FALSE) AS act_{k}",
        f"(CASE WHEN cs_{p} IS NOT NULL THEN {_after(spell, 'resp', f'cs_{p}')} END) AS rsp_{k}",
    ]
    derived = [
        f"coalesce(cs_{p} IS NOT NULL AND rsp_{k} IS NOT NULL AND rsp_{k} <= a_{k}, FALSE) AS ans_{k}",
        f"NOT coalesce({revs.submits(f't_{k}')}, FALSE) AS needs_{k}",
        f"coalesce(NOT bset_{p} AND cs_{p} IS NOT NULL AND (CASE WHEN rsp_{k} IS NOT NULL AND rsp_{k} <= a_{k} "
        f"THEN rsp_{k} > cdl_{p} ELSE cdl_{p} < a_{k} END), FALSE) AS brnow_{k}",
        f"{revs.target_us(f't_{k}')} AS tn_{k}",
        f"(CASE WHEN {revs.target_us(f't_{k}')} < {revs.target_us(f'cur_{p}')} THEN {modes['shorter_target']} "
        f"ELSE {modes['longer_or_equal_target']} END) AS m_{k}",
    ]
    then = [
        f"(ans_{k} AND NOT needs_{k} AND NOT coalesce({reopen}, FALSE)) AS skip_{k}",
        f"(CASE WHEN needs_{k} THEN {spell.element('req', f'u_{p} + 1')} END) AS req_{k}",
        f"(CASE WHEN needs_{k} AND m_{k} = {MODES[FROM_SUBMISSION]} THEN {MODES[RESTART_AT_CHANGE]} ELSE m_{k} END) AS mode_{k}",
    ]
    last = [f"(act_{k} AND NOT skip_{k}) AS go_{k}", f"(CASE WHEN needs_{k} THEN req_{k} ELSE a_{k} END) AS nat_{k}"]
    return [cols, derived, then, last]


def _step(k: int) -> list[str]:
    """The clock after severity-change event k: unchanged when the event does not
    change the severity, only the current severity when it comes after the
    response and opens no clock, else a new clock (engine.core.facts.case._next_clock)."""
    p = k - 1
    go, ans, nat, tn = f"go_{k}", f"ans_{k}", f"nat_{k}", f"tn_{k}"
    took = f"({go} AND brnow_{k})"
    deadline = (f"(CASE WHEN NOT {go} THEN cdl_{p} WHEN {ans} THEN {nat} + {tn} "
                f"WHEN mode_{k} = {MODES[FROM_SUBMISSION]} THEN base_{p} + {tn} WHEN {nat} IS NULL THEN NULL "
                f"WHEN mode_{k} = {MODES[RESTART_AT_CHANGE]} OR cdl_{p} IS NULL THEN {nat} + {tn} "
                f"ELSE greatest(base_{p} + {tn}, least({nat} + {tn}, cdl_{p})) END)")
    cols = {
        "cur": f"(CASE WHEN act_{k} THEN t_{k} ELSE cur_{p} END)",
        "escto": f"(CASE WHEN act_{k} AND needs_{k} THEN t_{k} ELSE escto_{p} END)",
        "bset": f"(bset_{p} OR {took})",
        "bsev": f"(CASE WHEN {took} THEN csev_{p} ELSE bsev_{p} END)",
        "bs": f"(CASE WHEN {took} THEN cs_{p} ELSE bs_{p} END)",
        "bdl": f"(CASE WHEN {took} THEN cdl_{p} ELSE bdl_{p} END)",
        "u": f"(u_{p} + CASE WHEN {go} AND needs_{k} THEN 1 ELSE 0 END)",
        "escat": f"(CASE WHEN {go} AND needs_{k} THEN req_{k} ELSE escat_{p} END)",
        "csev": f"(CASE WHEN {go} THEN t_{k} ELSE csev_{p} END)",
        "cs": f"(CASE WHEN NOT {go} THEN cs_{p} WHEN {ans} THEN {nat} WHEN mode_{k} = {MODES[FROM_SUBMISSION]} THEN base_{p} ELSE {nat} END)",
        "cdl": deadline,
        "base": f"(CASE WHEN {go} AND {ans} THEN coalesce({nat}, a_{k}) ELSE base_{p} END)",
    }
    return [f"{v} AS {name}_{k}" for name, v in cols.items()]


def _final(revs: Revisions, state: str, options: Any) -> str:
    """The deciding clock (the first breached, else the last) and every fact."""
    spell, k = revs.spell, MAX_CHANGES
    decide = [f"(CASE WHEN bset_{k} THEN {b}_{k} ELSE {c}_{k} END) AS d{c}" for b, c in (("bsev", "csev"), ("bs", "cs"), ("bdl", "cdl"))]
    answer = [f"(CASE WHEN dcs IS NOT NULL THEN {_after(spell, 'resp', 'dcs')} END) AS dresp"]
    now = micros(options.now)

    def wanted(key: str) -> str:
        return revs.each(lambda r: str(int(v)) if (v := (r.data.get("designated_contacts") or {}).get(key)) is not None
                         else "CAST(NULL AS BIGINT)")

    target = {part: revs.by_level("dcsev", lambda r, lv, part=part: str(getattr(Fraction(r.severities[lv].target_minutes), part)))
              for part in ("numerator", "denominator")}
    facts = {
        "submission_channels": revs.by_level("severity", lambda r, lv: spell.texts(r.severities[lv].submission_channels)),
        "current_severity": f"cur_{k}",
        "escalated_to_restricted_severity": f"(escto_{k} IS NOT NULL)",
        "escalated_to": f"escto_{k}",
        "escalation_request_at": f"escat_{k}",
        "clock_severity": "dcsev",
        "clock_start": "dcs",
        "response_target_minutes__n": target["numerator"],
        "response_target_minutes__d": target["denominator"],
        "response_deadline": "dcdl",
        "response_at": "dresp",
        "response_minutes__n": "(dresp - dcs)",
        "response_minutes__d": f"CASE WHEN dresp IS NOT NULL THEN {MINUTE_US} END",
        "response_met": f"(CASE WHEN dresp IS NOT NULL THEN dresp <= dcdl WHEN dcdl IS NOT NULL AND dcdl < {now} THEN FALSE END)",
        "now": f"CAST({now} AS BIGINT)",
        "primary_contacts": "designated_contacts__primary",
        "backup_contacts": "designated_contacts__backup",
        "required_primary_contacts": wanted("primary"),
        "required_backup_contacts": wanted("backup_at_least"),
    }
    fields = [f"{name} AS field__{name}" for name in FIELD_TYPES]
    out = ["pos", "rev", "id AS record", "customer", *fields, "severity", "channel", *(f"{v} AS {name}" for name, v in facts.items())]
    return f"SELECT {', '.join(out)} FROM (SELECT *, {', '.join(answer)} FROM (SELECT *, {', '.join(decide)} FROM ({state})))"
