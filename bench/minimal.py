"""The minimal baseline: only this SLA's arithmetic, nothing else.

Where bench/handwritten.py writes the engine's decisions byte for byte (findings,
messages, clause ids), this script computes only the verdict of each record and
writes it as one short JSON array per line:

    case            [id, met, waited]             met: true / false / null (pending or no clock);
                                                  waited: microseconds from clock start to response, or null
    customer-month  [id, up, total, credit]       uptime = up / total (exact, in microseconds);
                                                  credit: the tier's credit percent as text ("10")
    credit claim    [id, eligible, credit, owed]  owed: the credit in the currency's minor units (half-up)

stdlib `json` and `csv`, `datetime.fromisoformat`, integer microseconds; no schema
checks, no messages, no revision objects beyond the numbers it needs. It reads the
targets, channels, critical functions, excluded causes, tiers, contracts and the
claim window from the policy YAML once (as handwritten.py does). The runner
(bench/run.py) checks every verdict against the engine's decisions.

    python3 bench/minimal.py --cases bench/data/cases.jsonl --outages bench/data/incidents.csv \
        --contracts bench/data/contracts.csv --claims bench/data/claims.jsonl --months 2024-01..2024-12 \
        --now 2025-06-01T00:00:00Z -o /tmp/minimal.jsonl

It is the speed of "just the arithmetic" in CPython, the yardstick of issue 12's
row-path target (bench/README.md).
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MIN = 60_000_000
DAY = 86_400_000_000
fromiso = datetime.fromisoformat


def micros(text: str) -> int:
    """An RFC 3339 instant as microseconds since the epoch (an offset is required)."""
    t = fromiso(text)
    if t.tzinfo is None:
        raise ValueError(f"naive timestamp {text!r}")
    d = t - EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def month_bounds(month: str) -> tuple[int, int]:
    y, m = int(month[:4]), int(month[5:7])
    return micros(f"{y:04d}-{m:02d}-01T00:00:00Z"), micros(f"{y + (m == 12):04d}-{m % 12 + 1:02d}-01T00:00:00Z")


class Rev:
    """The numbers of one policy revision."""

    def __init__(self, path: Path):
        d = yaml.safe_load(path.read_bytes())
        self.start = micros(f"{d['effective']}T00:00:00Z")
        sev = d["severities"]
        self.target = {int(k): (v["response_target"].get("hours", 0) * 60 + v["response_target"].get("minutes", 0)) * MIN
                       for k, v in sev.items()}
        self.channels = {int(k): frozenset(v["submission_channels"]) for k, v in sev.items()}
        self.critical = frozenset(k for k, v in d["uptime"]["functions"].items() if v["critical"])
        self.excluded = frozenset(d["uptime"]["exclusions"]["causes"])
        self.tiers = sorted((Fraction(t["below"]), Fraction(t["percent"])) for t in d["credits"]["tiers"])
        self.contracts = d["credits"]["contracts"]
        self.minor = d["credits"]["currencies"]
        self.window = d["claims"]["window"]["days"] * DAY
        self.needs_case = d["claims"]["requires_support_case"]
        resp = d["response"]
        self.response = resp["initial_response"]["event"], frozenset(resp["initial_response"]["via"])
        self.request = resp["escalation_request"]["event"], frozenset(resp["escalation_request"]["via"])
        self.shorter = resp["severity_change"]["shorter_target"]
        self.longer = resp["severity_change"]["longer_or_equal_target"]
        self.reopen = frozenset(resp.get("reopen_after_response", ()))


REVS = sorted((Rev(p) for p in (ROOT / "policies" / "genesys-cloud").glob("*.yaml")), key=lambda r: r.start)


def rev_at(us: int) -> Rev:
    if us < REVS[0].start:
        raise ValueError("before the earliest revision")
    chosen = REVS[0]
    for r in REVS:
        if r.start <= us:
            chosen = r
    return chosen


# -- cases ---------------------------------------------------------------------


def case_verdict(rec: dict, now: int) -> list:
    """[id, met, waited]: the response clock, through severity changes (re-targeted as the
    policy's severity_change says), phone requests and reopening after the response."""
    sub = micros(rec["submitted_at"])
    rev = rev_at(sub)
    channel, severity = rec["channel"], rec["severity"]
    channels, targets = rev.channels, rev.target
    events = rec.get("events") or ()
    events = sorted((micros(e["at"]), i, e) for i, e in enumerate(events)) if len(events) > 1 else \
        [(micros(e["at"]), i, e) for i, e in enumerate(events)]
    used: set[int] = set()
    resp_type, resp_via = rev.response
    req_type, req_via = rev.request

    def response(start):  # the first initial response at or after the clock's start
        if start is not None:
            for at, _, e in events:
                if e["type"] == resp_type and at >= start and e.get("via") in resp_via:
                    return at
        return None

    def request() -> int | None:  # the first unused escalation request after submission
        for at, i, e in events:
            if e["type"] == req_type and at >= sub and e.get("via") in req_via and i not in used:
                used.add(i)
                return at
        return None

    # a clock: (start or None, target, deadline or None)
    if channel in channels[severity]:
        clock = (sub, targets[severity], sub + targets[severity])
    else:
        start = request()
        clock = (start, targets[severity], None if start is None else start + targets[severity])
    breached = None
    current, base = severity, sub
    for at, _, e in events:
        if e["type"] != "severity_change" or e["to"] == current:
            continue
        to = e["to"]
        r = response(clock[0])
        answered = r is not None and r <= at
        needs = channel not in channels[to]
        if answered and not needs and to not in rev.reopen:
            current = to
            continue
        if breached is None and clock[0] is not None and (r > clock[2] if answered else clock[2] < at):
            breached = clock
        natural = request() if needs else at
        target = targets[to]
        if answered:
            clock = (natural, target, None if natural is None else natural + target)
            base = natural if natural is not None else at
        else:
            mode = rev.shorter if target < targets[current] else rev.longer
            if needs and mode == "from_submission":
                mode = "restart_at_change"
            if mode == "from_submission":
                clock = (base, target, base + target)
            elif natural is None:
                clock = (None, target, None)
            elif mode == "restart_at_change" or clock[0] is None:
                clock = (natural, target, natural + target)
            else:
                clock = (natural, target, max(base + target, min(natural + target, clock[2])))
        current = to
    start, target, deadline = breached or clock
    if start is None:
        return [rec["id"], None, None]
    r = response(start)
    if r is None:
        return [rec["id"], False if deadline < now else None, None]
    return [rec["id"], r <= deadline, r - start]


# -- uptime --------------------------------------------------------------------


def downtime(outages: list, rev: Rev, lo: int, hi: int) -> int:
    """Unavailable minus excluded microseconds: the union of critical outages clipped to [lo, hi)."""
    edges = []
    critical, excluded = rev.critical, rev.excluded
    for start, end, functions, cause in outages:
        if critical.isdisjoint(functions):
            continue
        s, e = max(start, lo), min(end, hi)
        if s < e:
            kind = cause in excluded
            edges.append((s, kind, 1))
            edges.append((e, kind, -1))
    if not edges:
        return 0
    edges.sort()
    down0 = down1 = union = only = 0
    last = edges[0][0]
    for t, kind, step in edges:
        if t > last:
            if down0 or down1:
                union += t - last
                if not down0:
                    only += t - last
        if kind:
            down1 += step
        else:
            down0 += step
        last = t
    return union - only


def credit_of(up: int, total: int, rev: Rev) -> Fraction:
    for below, credit in rev.tiers:  # up/total*100 < below, by cross-multiplication
        if up * 100 * below.denominator < below.numerator * total:
            return credit
    return Fraction(0)


# -- claims --------------------------------------------------------------------


def claim_verdict(rec: dict) -> list:
    lo, hi = month_bounds(rec["month"])
    mrev, sub = rev_at(lo), micros(rec["submitted_at"])
    crev = rev_at(sub)
    outages = [(micros(o["start"]), micros(o["end"]), o["functions"], o["cause"]) for o in rec["outages"]]
    up = hi - lo - downtime(outages, mrev, lo, hi)
    credit = credit_of(up, hi - lo, mrev)
    contract = rec["contract"]
    terms = crev.contracts.get(contract["billing"])
    eligible = (terms is not None and hi <= sub < hi + crev.window
                and (rec.get("support_case") is not None or not crev.needs_case) and credit > 0)
    owed = 0
    if eligible:
        base = Fraction(contract[terms["base"]["field"]]) / terms["base"].get("divide_by", 1)
        scaled = base * credit / 100 * 10 ** crev.minor[contract["currency"]]
        owed = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return [rec["id"], eligible, str(credit), owed]


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
    dumps, loads = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode, json.loads
    with open(a.output, "w", encoding="utf-8", newline="\n") as out:
        write = out.write
        if a.cases:
            with open(a.cases, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        write(dumps(case_verdict(loads(line), now)) + "\n")
        if a.outages:
            contracts = []
            with open(a.contracts, encoding="utf-8", newline="") as fh:
                contracts = [row["customer"] for row in csv.DictReader(fh)]
            mine: dict[str, list] = {}
            platform: list = []
            with open(a.outages, encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    item = (micros(row["start"]), micros(row["end"]), row["functions"].split(), row["cause"])
                    (platform if row["customer"] in ("", "*") else mine.setdefault(row["customer"], [])).append(item)
            for month in months_of(a.months):
                lo, hi = month_bounds(month)
                rev = rev_at(lo)
                for customer in contracts:
                    up = hi - lo - downtime(mine.get(customer, []) + platform, rev, lo, hi)
                    write(dumps([f"{customer}/{month}", up, hi - lo, str(credit_of(up, hi - lo, rev))]) + "\n")
        if a.claims:
            with open(a.claims, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        write(dumps(claim_verdict(loads(line))) + "\n")


if __name__ == "__main__":
    main()
