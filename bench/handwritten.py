"""The hand-written baseline: the same decisions as `sla check`, by a script that
knows only this one SLA and these file layouts. No schema validator, no rule
compiler, no condition language, no mapping layer, no worker processes: plain
loops over json.loads and csv rows, integer microseconds, and the rules of the
Genesys Cloud SLA written out as if-statements. It is the CPython speed limit
the engine is measured against (bench/README.md).

    python3 bench/handwritten.py --cases bench/data/cases.jsonl --outages bench/data/incidents.csv \
        --contracts bench/data/contracts.csv --claims bench/data/claims.jsonl --months 2024-01..2024-12 \
        --now 2025-06-01T00:00:00Z -o /tmp/handwritten.jsonl

It reads the policy files once for what a person would copy into such a script
by hand (targets, tiers, windows, message texts, the files' sha256) so its
output stays byte-identical to the engine's when the policy wording changes;
every decision rule is hard-coded below. The runner compares the two outputs
byte for byte. It checks its input only as far as such a script would: times
must parse and carry an offset, severities and channels must be known.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MIN = 60_000_000
ONE = timedelta(microseconds=1)
INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([Zz]|([+-])(\d{2}):(\d{2}))$")


def micros(text: str) -> int:
    m = INSTANT.match(text)
    if not m:
        raise ValueError(f"bad or naive timestamp {text!r}")
    y, mo, d, h, mi, s, frac, z, sign, oh, om = m.groups()
    value = (datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc) - EPOCH) // ONE
    if frac:
        value += int(frac.ljust(6, "0"))
    if sign:
        offset = (int(oh) * 60 + int(om)) * MIN
        value -= offset if sign == "+" else -offset
    return value


def iso(us: int) -> str:
    t = EPOCH + timedelta(microseconds=us)
    text = f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def dec(n: int, d: int = 1) -> str:
    """n/d as the engine shows it: six places, truncated, trailing zeros dropped."""
    if d == 1:
        return str(n)
    whole, part = divmod(abs(n) * 1_000_000 // d, 1_000_000)
    sign = "-" if n < 0 and (whole or part) else ""
    return f"{sign}{whole}.{part:06d}".rstrip("0").rstrip(".") if part else f"{sign}{whole}"


def money(value: Fraction, minor: int) -> str:
    scaled = value * 10**minor
    q = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)  # half-up, value >= 0
    if minor == 0:
        return str(q)
    return f"{q // 10**minor}.{q % 10**minor:0{minor}d}"


def month_bounds(month: str) -> tuple[int, int]:
    y, m = int(month[:4]), int(month[5:7])
    start = datetime(y, m, 1, tzinfo=timezone.utc)
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=timezone.utc)
    return (start - EPOCH) // ONE, (end - EPOCH) // ONE


class Rev:
    """The numbers and texts of one policy file, copied once."""

    def __init__(self, path: Path):
        raw = path.read_bytes()
        d = yaml.safe_load(raw)
        self.name, self.sha = d["revision"], hashlib.sha256(raw).hexdigest()
        self.start = month_bounds(d["effective"][:7])[0] + (int(d["effective"][8:10]) - 1) * 86_400_000_000
        self.targets = {int(k): Fraction(v["response_target"].get("hours", 0) * 60 + v["response_target"].get("minutes", 0))
                        for k, v in d["severities"].items()}
        self.channels = {int(k): tuple(v["submission_channels"]) for k, v in d["severities"].items()}
        self.critical = {k for k, v in d["uptime"]["functions"].items() if v["critical"]}
        self.excluded = set(d["uptime"]["exclusions"]["causes"])
        self.tiers = sorted((Fraction(t["below"]), Fraction(t["percent"])) for t in d["credits"]["tiers"])
        self.contracts = d["credits"]["contracts"]
        self.minor = d["credits"]["currencies"]
        self.window = d["claims"]["window"]["days"]
        self.needs_case = d["claims"]["requires_support_case"]
        change = d["response"]["severity_change"]
        self.shorter, self.longer = change["shorter_target"], change["longer_or_equal_target"]
        self.reopen = set(d["response"].get("reopen_after_response", ()))
        self.contacts = d.get("designated_contacts") or {}
        self.troubleshooting = d["initial_troubleshooting"]["required_before_case"]
        self.rules = {r["id"]: (r["clause"], [(o["outcome"], o.get("reason"), o["message"]["en"]) for o in r["outcomes"]]) for r in d["rules"]}

    def finding(self, rule: str, outcome: str, facts: dict[str, str], nth: int = 0) -> dict[str, str]:
        """The rule's `nth` outcome called `outcome` (a rule may have two violations)."""
        clause, outcomes = self.rules[rule]
        name, reason, message = [o for o in outcomes if o[0] == outcome][nth]
        out = {"rule": rule, "outcome": name, "clause": clause, "message": message.format_map(facts)}
        if reason:
            out["reason"] = reason
        return out


REVS = sorted((Rev(p) for p in (ROOT / "policies" / "genesys-cloud").glob("*.yaml")), key=lambda r: r.start)


def rev_at(us: int) -> Rev:
    chosen = REVS[0]
    for r in REVS:
        if r.start <= us:
            chosen = r
    if us < REVS[0].start:
        raise ValueError("before the earliest revision")
    return chosen


def null(v: object) -> str:
    return "null" if v is None else str(v)


# -- cases ---------------------------------------------------------------------


def case_decision(rec: dict, now: int) -> tuple[dict, tuple]:
    rev, sub, current, escalated_to, escalation_at, clock, r = case_clock(rec)
    channel, severity = rec["channel"], rec["severity"]
    level, start, target, deadline = clock
    minutes = None if r is None else Fraction(r[0] - start, MIN)
    met = r[0] <= deadline if r is not None else (False if deadline is not None and deadline < now else None)
    contacts = rec.get("designated_contacts") or {}
    primary, backup = contacts.get("primary"), contacts.get("backup")
    facts = {"severity": str(severity), "channel": channel, "submission_channels": ", ".join(rev.channels[severity]),
             "escalated_to": null(escalated_to), "escalation_request_at": "null" if escalation_at is None else iso(escalation_at),
             "clock_severity": str(level), "response_target_minutes": dec(target.numerator, target.denominator),
             "response_minutes": "null" if minutes is None else dec(minutes.numerator, minutes.denominator),
             "response_deadline": "null" if deadline is None else iso(deadline),
             "primary_contacts": null(primary), "backup_contacts": null(backup),
             "required_primary_contacts": null(rev.contacts.get("primary")),
             "required_backup_contacts": null(rev.contacts.get("backup_at_least"))}
    findings = [rev.finding("case.submission_channel", "met" if channel in rev.channels[severity] else "violation", facts)]
    if escalated_to is not None:
        findings.append(rev.finding("case.critical_support_request", "violation" if escalation_at is None else "met", facts))
    else:
        findings.append(rev.finding("case.critical_support_request", "not_applicable", facts))
    outcome = "met" if met is True else "breached" if met is False else "not_applicable" if start is None else "info"
    findings.append(rev.finding("case.response_target", outcome, facts, 1 if met is False and r is not None else 0))
    findings += duty_findings(rec, rev, facts, primary, backup)
    decision = {"record": rec["id"], "type": "case", "customer": rec["customer"], "policy": "genesys-cloud", "version": rev.name,
                "sha256": rev.sha, "result": {
                    "severity": severity, "current_severity": current, "response_target_minutes": facts["response_target_minutes"],
                    "response_minutes": None if minutes is None else facts["response_minutes"], "response_met": met,
                    "clock_start": None if start is None else iso(start), "response_deadline": None if deadline is None else iso(deadline),
                    "evaluated_at": iso(now)},
                "findings": findings}
    return decision, (level, -1 if r is None else r[0] - start, met)


def duty_findings(rec: dict, rev: Rev, facts: dict, primary: int | None, backup: int | None) -> list[dict]:
    """The customer's duties: designated contacts, troubleshooting, what a portal case states."""
    want_primary, want_backup = rev.contacts.get("primary"), rev.contacts.get("backup_at_least")
    if primary is not None and want_primary is not None and primary < want_primary:
        contacts, nth = "violation", 0
    elif backup is not None and want_backup is not None and backup < want_backup:
        contacts, nth = "violation", 1
    elif primary is None or backup is None:
        contacts, nth = "info", 0
    else:
        contacts, nth = "met", 0
    out = [rev.finding("case.designated_contacts", contacts, facts, nth)]
    tried = rec.get("initial_troubleshooting")
    out.append(rev.finding("case.initial_troubleshooting", "not_applicable" if rev.troubleshooting is False else
                           "info" if tried is None else "violation" if tried is False else "met", facts))
    portal = rec.get("portal_case") or {}
    for rule, key in (("case.portal_customer_name", "customer_name"), ("case.portal_organisation_id", "organisation_id"),
                      ("case.portal_impact_description", "impact_description")):
        said = portal.get(key)
        out.append(rev.finding(rule, "not_applicable" if rec["channel"] != "portal" else
                               "info" if said is None else "violation" if said is False else "met", facts))
    return out


def case_clock(rec: dict) -> tuple:
    """The revision, and the clock that decides: (rev, submitted, current severity,
    escalated to, escalation request, [severity, start, target, deadline], first response).
    A severity change before the response re-targets the clock as the policy's
    response.severity_change says; one after it opens a new clock only when it needs a
    phone request or reaches a severity in response.reopen_after_response."""
    sub = micros(rec["submitted_at"])
    rev = rev_at(sub)
    channel, severity = rec["channel"], rec["severity"]
    if severity not in rev.targets or channel not in ("phone", "portal"):
        raise ValueError("unknown severity or channel")
    events = sorted((micros(e["at"]), i, e) for i, e in enumerate(rec.get("events", ())))
    used: set[int] = set()

    def first(kind: str, vias: tuple, after: int, skip: set[int] = frozenset()):  # type: ignore[assignment]
        for at, i, e in events:
            if e["type"] == kind and e.get("via") in vias and at >= after and i not in skip:
                return at, i
        return None

    def request():
        req = first("critical_support_request", ("phone",), sub, used)
        if req:
            used.add(req[1])
        return req

    def response(clock):
        return first("human_response", ("phone", "case_note"), clock[1]) if clock[1] is not None else None

    def span(level: int) -> int:
        return int(rev.targets[level] * MIN)

    if channel in rev.channels[severity]:
        clock = [severity, sub, rev.targets[severity], sub + span(severity)]
    else:
        req = request()
        clock = [severity, req[0] if req else None, rev.targets[severity], req[0] + span(severity) if req else None]
    breached = None
    escalated_to = escalation_at = None
    current, base = severity, sub
    for at, _, e in events:
        if e["type"] != "severity_change" or e["to"] == current:
            continue
        to = e["to"]
        r = response(clock)
        answered = r is not None and r[0] <= at
        needs = channel not in rev.channels[to]
        if needs:
            escalated_to = to
        if answered and not needs and to not in rev.reopen:
            current = to
            continue
        if breached is None and clock[1] is not None and (r[0] > clock[3] if answered else clock[3] < at):
            breached = clock
        req = request() if needs else None
        if needs:
            escalation_at = req[0] if req else None
        natural = (req[0] if req else None) if needs else at
        if answered:
            clock = [to, natural, rev.targets[to], None if natural is None else natural + span(to)]
            base = natural if natural is not None else at
        else:
            mode = rev.shorter if rev.targets[to] < rev.targets[current] else rev.longer
            if needs and mode == "from_submission":
                mode = "restart_at_change"
            if mode == "from_submission":
                clock = [to, base, rev.targets[to], base + span(to)]
            elif natural is None:
                clock = [to, None, rev.targets[to], None]
            elif mode == "restart_at_change" or clock[1] is None:
                clock = [to, natural, rev.targets[to], natural + span(to)]
            else:
                clock = [to, natural, rev.targets[to], max(base + span(to), min(natural + span(to), clock[3]))]
        current = to
    clock = breached or clock
    return rev, sub, current, escalated_to, escalation_at, clock, response(clock)


# -- uptime --------------------------------------------------------------------


def measure(outages: list[tuple[int, int, tuple, str]], rev: Rev, window: tuple[int, int]) -> tuple[int, int]:
    edges = []
    for start, end, functions, cause in outages:
        if not rev.critical.intersection(functions):
            continue
        s, e = max(start, window[0]), min(end, window[1])
        if s >= e:
            continue
        kind = 1 if cause in rev.excluded else 0
        edges += [(s, kind, 1), (e, kind, -1)]
    edges.sort()
    depth, union, only, last = [0, 0], 0, 0, None
    for t, kind, step in edges:
        if last is not None and t > last:
            if depth[0] or depth[1]:
                union += t - last
            if depth[1] and not depth[0]:
                only += t - last
        depth[kind] += step
        last = t
    return union, only


def tier(percent: Fraction, rev: Rev) -> tuple[Fraction | None, Fraction]:
    for below, credit in rev.tiers:
        if percent < below:
            return below, credit
    return None, Fraction(0)


def uptime_result(month: str, outages: list, rev: Rev) -> tuple[dict, dict, Fraction, int, int]:
    window = month_bounds(month)
    b, c = measure(outages, rev, window)
    a = window[1] - window[0]
    percent = Fraction((a - b + c) * 100, a)
    below, credit = tier(percent, rev)
    result = {"total_minutes": dec(a, MIN) if a % MIN else str(a // MIN), "unavailable_minutes": dec(*_frac(b, MIN)),
              "excluded_minutes": dec(*_frac(c, MIN)), "uptime_percent": dec(percent.numerator, percent.denominator),
              "credit_percent": dec(credit.numerator, credit.denominator)}
    facts = {"uptime_percent": result["uptime_percent"], "credit_percent": result["credit_percent"],
             "tier_below": "null" if below is None else dec(below.numerator, below.denominator)}
    return result, facts, credit, b - c, a


def _frac(n: int, d: int) -> tuple[int, int]:
    f = Fraction(n, d)
    return f.numerator, f.denominator


def month_decision(customer: str, month: str, outages: list) -> tuple[dict, Fraction, Rev]:
    rev = rev_at(month_bounds(month)[0])
    result, facts, credit, _, _ = uptime_result(month, outages, rev)
    finding = rev.finding("uptime.credit_tier", "breached" if credit > 0 else "met", facts)
    return ({"record": f"{customer}/{month}", "type": "uptime", "customer": customer, "policy": "genesys-cloud", "version": rev.name,
             "sha256": rev.sha, "result": result, "findings": [finding]}, credit, rev)


def claim_decision(rec: dict) -> dict:
    month = rec["month"]
    start, end = month_bounds(month)
    mrev, sub = rev_at(start), micros(rec["submitted_at"])
    crev = rev_at(sub)
    outages = [(micros(o["start"]), micros(o["end"]), tuple(o["functions"]), o["cause"]) for o in rec["outages"]]
    result, facts, credit, _, _ = uptime_result(month, outages, mrev)
    contract = rec["contract"]
    billing, currency = contract["billing"], contract["currency"]
    terms = crev.contracts.get(billing)
    closes = end + crev.window * 86_400_000_000
    facts.update(billing=billing, submitted_at=iso(sub), month_end=iso(end), window_days=str(crev.window),
                 window_closes_at=iso(closes), support_case=null(rec["support_case"]))
    findings = [mrev.finding("uptime.credit_tier", "breached" if credit > 0 else "met", facts),
                crev.finding("claim.contract_type", "met" if terms else "not_applicable", facts),
                crev.finding("claim.premature", "violation" if sub < end else "met", facts),
                crev.finding("claim.window", "violation" if sub >= closes else "met", facts)]
    if crev.needs_case:
        findings.append(crev.finding("claim.support_case", "violation" if rec["support_case"] is None else "met", facts))
    else:
        findings.append(crev.finding("claim.support_case", "not_applicable", facts))
    findings.append(crev.finding("claim.credit_due", "info" if credit == 0 else "met", facts))
    reasons = [f["reason"] for f in findings if "reason" in f]
    eligible = not reasons
    amount = Fraction(0)
    if eligible:
        base = Fraction(contract[terms["base"]["field"]]) / terms["base"].get("divide_by", 1)
        amount = base * credit / 100
    return {"record": rec["id"], "type": "credit_claim", "customer": rec["customer"], "policy": "genesys-cloud",
            "version": crev.name, "sha256": crev.sha, "uptime_sha256": mrev.sha, "result": {
                "eligible": eligible, "credit_percent": result["credit_percent"], "credit_amount": money(amount, crev.minor[currency]),
                "currency": currency, "settlement": terms["settlement"] if eligible else None, "reasons": reasons,
                "uptime_version": mrev.name, "uptime_percent": result["uptime_percent"], "window_closes_at": iso(closes)},
            "findings": findings}


# -- the run -------------------------------------------------------------------


def months_of(text: str) -> list[str]:
    first, _, last = text.partition("..")
    last = last or first
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("cases", "outages", "contracts", "claims", "months", "now"):
        p.add_argument(f"--{name}")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    now = micros(a.now)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    times: dict[int, list[int]] = {}
    breached = cases = 0
    owed: dict[str, Decimal] = {}
    with open(a.output, "w", encoding="utf-8", newline="\n") as out:
        if a.cases:
            with open(a.cases, encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    decision, (level, waited, met) = case_decision(json.loads(line), now)
                    out.write(dumps(decision) + "\n")
                    cases += 1
                    breached += met is False
                    if waited >= 0:
                        times.setdefault(level, []).append(waited)
        if a.outages:
            months = months_of(a.months)
            contracts: dict[str, dict] = {}
            with open(a.contracts, encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    contracts[row.pop("customer")] = row
            mine: dict[str, list] = {}
            platform: list = []
            with open(a.outages, encoding="utf-8", newline="") as fh:
                for line, row in enumerate(csv.DictReader(fh), start=2):
                    item = (micros(row["start"]), micros(row["end"]), tuple(row["functions"].split()), row["cause"], line)
                    (platform if row["customer"] in ("", "*") else mine.setdefault(row["customer"], [])).append(item)
            bounds = {m: month_bounds(m) for m in months}
            for customer in contracts:
                for month in months:
                    s, e = bounds[month]
                    hits = [o for o in mine.get(customer, []) + platform if (o[0] < e and o[1] > s) or (o[0] == o[1] and s <= o[0] < e)]
                    hits.sort(key=lambda o: o[4])
                    decision, credit, rev = month_decision(customer, month, [o[:4] for o in hits])
                    out.write(dumps(decision) + "\n")
                    terms, contract = rev.contracts.get(contracts[customer]["billing"]), contracts[customer]
                    if credit > 0 and terms:
                        base = Fraction(contract[terms["base"]["field"]]) / terms["base"].get("divide_by", 1)
                        owed[contract["currency"]] = owed.get(contract["currency"], Decimal(0)) + Decimal(
                            money(base * credit / 100, rev.minor[contract["currency"]]))
        if a.claims:
            with open(a.claims, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        out.write(dumps(claim_decision(json.loads(line))) + "\n")
    summary = {"cases": cases, "breached": breached,
               "p50_p95_minutes": {k: [dec(*_frac(sorted(v)[-(-50 * len(v) // 100) - 1], MIN)),
                                       dec(*_frac(sorted(v)[-(-95 * len(v) // 100) - 1], MIN))] for k, v in sorted(times.items())},
               "credit_owed_by_currency": {c: str(v) for c, v in sorted(owed.items())}}
    json.dump(summary, sys.stdout)
    print()


if __name__ == "__main__":
    main()
