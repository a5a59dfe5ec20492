"""GoRules zen-engine deciding the same response-target and credit-tier questions.

zen-engine evaluates JSON Decision Models (decision tables and expressions); it
cannot read exports, measure a response clock across severity changes or take
the union of overlapping outages, so this pipeline does those the way
bench/handwritten.py does and hands zen the decision itself:

- response target: a decision table severity -> target minutes, then the
  expression `met = responseMinutes != null and responseMinutes <= targetMinutes`
  (a case with no response yet is met=false here: zen has no "pending");
- credit tier: a first-hit decision table on uptime percent: < 97 -> 100,
  < 99 -> 30, < 99.99 -> 10, else 0 (the thresholds read from the policy file).

It writes one line per record ({"record", "met"} or {"record", "credit_percent"})
and the runner checks every answer against the engine's decisions.

    python3 bench/zen_bench.py --cases bench/data/cases.jsonl --outages bench/data/incidents.csv \
        --contracts bench/data/contracts.csv --months 2024-01..2024-12 --now 2025-06-01T00:00:00Z -o /tmp/zen.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json

import zen

import handwritten as hw

MIN = hw.MIN


def _node(id_: str, type_: str, content: dict | None = None) -> dict:
    node = {"id": id_, "type": type_, "name": id_, "position": {"x": 0, "y": 0}}
    if content is not None:
        node["content"] = content
    return node


def _graph(nodes: list[dict]) -> str:
    edges = [{"id": f"e{i}", "sourceId": a["id"], "targetId": b["id"], "type": "edge"} for i, (a, b) in enumerate(zip(nodes, nodes[1:]))]
    return json.dumps({"nodes": nodes, "edges": edges})


def response_model(rev: hw.Rev) -> str:
    rules = [{"_id": f"r{level}", "sev": str(level), "tgt": str(int(target))} for level, target in sorted(rev.targets.items())]
    table = {"hitPolicy": "first", "passThrough": True, "inputs": [{"id": "sev", "name": "Severity", "field": "severity"}],
             "outputs": [{"id": "tgt", "name": "Target", "field": "targetMinutes"}], "rules": rules}
    expression = {"expressions": [{"id": "m", "key": "met", "value": "responseMinutes != null and responseMinutes <= targetMinutes"},
                                  {"id": "t", "key": "target", "value": "targetMinutes"}]}
    return _graph([_node("in", "inputNode"), _node("target", "decisionTableNode", table), _node("met", "expressionNode", expression),
                   _node("out", "outputNode")])


def tier_model(rev: hw.Rev) -> str:
    rules = [{"_id": f"t{i}", "up": f"< {hw.dec(below.numerator, below.denominator)}", "cr": hw.dec(credit.numerator, credit.denominator)}
             for i, (below, credit) in enumerate(rev.tiers)]
    rules.append({"_id": "none", "up": "", "cr": "0"})
    table = {"hitPolicy": "first", "inputs": [{"id": "up", "name": "Uptime", "field": "uptimePercent"}],
             "outputs": [{"id": "cr", "name": "Credit", "field": "creditPercent"}], "rules": rules}
    return _graph([_node("in", "inputNode"), _node("tier", "decisionTableNode", table), _node("out", "outputNode")])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("cases", "outages", "contracts", "months", "now"):
        p.add_argument(f"--{name}")
    p.add_argument("-o", "--output", required=True)
    a = p.parse_args()
    engine = zen.ZenEngine()
    responses = {r.name: engine.create_decision(response_model(r)) for r in hw.REVS}
    tiers = {r.name: engine.create_decision(tier_model(r)) for r in hw.REVS}
    with open(a.output, "w", encoding="utf-8") as out:
        if a.cases:
            with open(a.cases, encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    rec = json.loads(line)
                    # the clock (which severity decides, when it started, the first response) as hand-written;
                    # the target and the verdict by zen
                    rev, _, _, _, _, clock, response = hw.case_clock(rec)
                    level, start = clock[0], clock[1]  # [severity, start, target, deadline]
                    waited = None if response is None else (response[0] - start) / MIN
                    answer = responses[rev.name].evaluate({"severity": level, "responseMinutes": waited})
                    out.write(json.dumps({"record": rec["id"], "met": answer["result"]["met"]}) + "\n")
        if a.outages:
            months = hw.months_of(a.months)
            with open(a.contracts, encoding="utf-8", newline="") as fh:
                customers = [row["customer"] for row in csv.DictReader(fh)]
            mine: dict[str, list] = {}
            platform: list = []
            with open(a.outages, encoding="utf-8", newline="") as fh:
                for line_no, row in enumerate(csv.DictReader(fh), start=2):
                    item = (hw.micros(row["start"]), hw.micros(row["end"]), tuple(row["functions"].split()), row["cause"], line_no)
                    (platform if row["customer"] in ("", "*") else mine.setdefault(row["customer"], [])).append(item)
            for customer in customers:
                for month in months:
                    s, e = hw.month_bounds(month)
                    rev = hw.rev_at(s)
                    hits = [o[:4] for o in mine.get(customer, []) + platform if (o[0] < e and o[1] > s) or (o[0] == o[1] and s <= o[0] < e)]
                    b, c = hw.measure(hits, rev, (s, e))
                    uptime = (e - s - b + c) * 100 / (e - s)
                    answer = tiers[rev.name].evaluate({"uptimePercent": uptime})
                    out.write(json.dumps({"record": f"{customer}/{month}", "credit_percent": str(answer["result"]["creditPercent"])}) + "\n")


if __name__ == "__main__":
    main()
