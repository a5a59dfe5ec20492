"""`sla evaluate`, `sla check` and `sla replay` decide the same response clock on
the same generated cases, most of them relabelled before or after their first
reply (issue 10: a severity change never extends a running deadline).

`sla watch` is compared with `sla evaluate` on the same kind of cases in
tests/test_watch_agreement.py (it runs in real time, on a policy with targets of
seconds). Here the bundled policy decides; one independent reading of the rule,

    new_deadline = max(submitted_at + T_new, min(changed_at + T_new, current_deadline))

is checked on every generated phone case with one change before any reply.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from conftest import run_cli

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=timezone.utc)
NOW = "2024-06-20T00:00:00Z"
TARGETS = {1: 10, 2: 120, 3: 120, 4: 120}  # minutes, as the 2024-04-24 and 2024-10-01 revisions say
COMPARED = ("severity", "current_severity", "response_target_minutes", "response_minutes", "response_met",
            "clock_start", "response_deadline")


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        submitted = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 10))
        severity, channel = rng.choice([1, 2, 2, 3, 4]), rng.choice(["phone", "portal"])
        events = []

        def add(minutes: float, kind: str, **fields: Any) -> None:
            events.append({"type": kind, "at": iso(submitted + timedelta(minutes=minutes)), **fields})

        for _ in range(rng.choice([1, 1, 1, 2, 3])):  # early, any time, or just before a two-hour deadline
            when = rng.choice([rng.uniform(0, 15), rng.uniform(0, 180), rng.uniform(105, 125)])
            add(when, "severity_change", to=rng.choice([1, 1, 2, 3, 4]))
        if rng.random() < 0.4:
            add(rng.uniform(0, 60), "critical_support_request", via="phone")
        for _ in range(rng.choice([0, 1, 1, 2])):
            add(rng.choice([rng.uniform(0, 20), rng.uniform(0, 240), rng.uniform(100, 240)]), "human_response",
                via=rng.choice(["phone", "case_note"]))
        cases.append({"type": "case", "id": f"R-{i:04d}", "customer": "acme", "severity": severity, "channel": channel,
                      "submitted_at": iso(submitted), "events": events})
    return cases


def results(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["record"]: {k: d["result"][k] for k in COMPARED} for d in lines if d["type"] == "case"}


def evaluated(tmp_path: Path, cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    run = run_cli("evaluate", str(path), "--now", NOW, "--format", "jsonl", "--fail-on", "none")
    assert run.code == 0, run.err
    return results([json.loads(line) for line in run.out.splitlines()])


def checked(tmp_path: Path, cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    path, out = tmp_path / "check-cases.jsonl", tmp_path / "check-decisions.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    run = run_cli("check", "--cases", str(path), "--now", NOW, "-o", str(out))
    assert run.code in (0, 1), run.err
    return results([json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()])


def replayed(tmp_path: Path, cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    bundle = {"title": "generated relabelled cases", "customer": "acme", "now": NOW,
              "contract": {"billing": "month_to_month", "monthly_commitment": "100.00", "currency": "USD"},
              "records": [{k: v for k, v in c.items() if k != "customer"} for c in cases]}
    path = tmp_path / "dispute.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    run = run_cli("replay", str(path), "--format", "json")
    assert run.code in (0, 1), run.err
    return results(json.loads(run.out)["decisions"])


def reference_deadline(case: dict[str, Any]) -> str | None:
    """The issue's formula, independently, for a phone case with one change before any reply."""
    changes = [e for e in case["events"] if e["type"] == "severity_change"]
    replies = [e for e in case["events"] if e["type"] == "human_response"]
    if case["channel"] != "phone" or len(changes) != 1 or changes[0]["to"] == case["severity"]:
        return None
    submitted = datetime.fromisoformat(case["submitted_at"])
    changed = datetime.fromisoformat(changes[0]["at"])
    if any(datetime.fromisoformat(r["at"]) <= changed for r in replies):
        return None
    old, new = TARGETS[case["severity"]], TARGETS[changes[0]["to"]]
    current = submitted + timedelta(minutes=old)
    if current < changed:
        return None  # breached before the change: that clock decides
    if new >= old:
        return iso(submitted + timedelta(minutes=new))
    return iso(max(submitted + timedelta(minutes=new), min(changed + timedelta(minutes=new), current)))


def test_evaluate_check_and_replay_decide_the_same_clock_on_relabelled_cases(tmp_path: Path):
    cases = generate(800, seed=10)
    batch = evaluated(tmp_path, cases)
    assert len(batch) == 800
    assert checked(tmp_path, cases) == batch
    assert replayed(tmp_path, cases) == batch

    compared = capped = 0
    for case in cases:
        expected = reference_deadline(case)
        if expected is not None:
            got = datetime.fromisoformat(batch[case["id"]]["response_deadline"])
            assert got == datetime.fromisoformat(expected), (case, batch[case["id"]])
            compared += 1
            start = datetime.fromisoformat(batch[case["id"]]["clock_start"])
            capped += datetime.fromisoformat(expected) < start + timedelta(minutes=TARGETS[batch[case["id"]]["current_severity"]])
    assert compared >= 40 and capped >= 5, (compared, capped)
    verdicts = [r["response_met"] for r in batch.values()]
    assert min(verdicts.count(True), verdicts.count(False), verdicts.count(None)) >= 10
