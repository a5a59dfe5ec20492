"""`sla watch` and `sla evaluate` agree: the same events give the same met /
breached verdict for every case.

A few hundred generated cases (TEST policy: targets of seconds) with every kind
of event — automated replies, human responses in time and late, severity
changes up and down, Sev1 on the portal with and without a critical-support
request by phone, requests by the wrong channel, closings — are fed to
`sla watch`, which runs their clocks in real time. The finished cases (the same
events, as case records) are then evaluated with `sla evaluate`, and for every
case the deciding clock's verdict (response_met true / false / null) is compared
with the watcher's alert for that clock (met / breached / none).

A case closed while its clock was still running gets no verdict from the
watcher; `sla evaluate` agrees when asked at the closing instant (--now), which
is what is compared for those.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from conftest import run_cli

from watch_helpers import TEST_POLICIES, Stream, iso, parse, read_alerts, soon

POLICIES = ("--policies", str(TEST_POLICIES))
VERDICT = {True: "met", False: "breached", None: None}


def generate(t0: datetime, count: int, seed: int, change_share: float = 0.35,
             changes: int = 1) -> tuple[Stream, dict[str, dict[str, Any]], dict[str, str]]:
    """The event stream, the finished case records, and the closing instant of closed
    cases; `change_share` of the cases get up to `changes` severity changes."""
    rng = random.Random(seed)
    stream = Stream(t0)
    records: dict[str, dict[str, Any]] = {}
    closed: dict[str, str] = {}
    for i in range(count):
        case_id = f"G-{i:03d}"
        severity = rng.choice([1, 1, 2, 3, 4])
        channel = rng.choice(["phone", "portal"])
        start = rng.uniform(0, 1.5)
        events: list[tuple[float, dict[str, Any]]] = []

        def add(offset: float, kind: str, **fields: Any) -> None:
            events.append((offset, {"type": kind, **fields}))

        if rng.random() < 0.4:
            add(start + rng.uniform(0, 0.5), "automated_reply")
        if rng.random() < change_share:
            for _ in range(rng.randint(1, changes)):
                add(start + rng.uniform(0, 3), "severity_change", to=rng.choice([1, 2, 3, 4]))
        if rng.random() < 0.45:
            add(start + rng.uniform(0, 3), "critical_support_request", via=rng.choice(["phone", "phone", "portal"]))
        for _ in range(rng.choice([0, 1, 1, 2])):
            add(start + rng.uniform(0, 6.5), "human_response", via=rng.choice(["phone", "case_note"]))
        if rng.random() < 0.15:
            add(start + rng.uniform(0, 0.5), "human_response", via="case_note")  # answered fast
        events.sort(key=lambda e: e[0])
        stream.submit(case_id, severity, channel, offset=start)
        record = dict(stream.lines[-1]["case"], type="case", events=[])
        for offset, event in events:
            stream.event(event["type"], case_id, offset, **{k: v for k, v in event.items() if k != "type"})
            record["events"].append({**event, "at": stream.at(offset)})
        if rng.random() < 0.2:
            last = events[-1][0] if events else start
            closing = max(last, start) + rng.uniform(0, 4)
            stream.event("case_closed", case_id, closing)
            closed[case_id] = stream.at(closing)
        records[case_id] = record
    stream.lines.sort(key=lambda line: parse(line.get("at") or line["case"]["submitted_at"]))
    return stream, records, closed


def decisions(records: list[dict[str, Any]], now: str, folder: Path, name: str) -> dict[str, dict[str, Any]]:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = run_cli("evaluate", str(path), "--now", now, "--format", "jsonl", "--fail-on", "none", *POLICIES)
    assert result.code == 0, result.err
    return {d["record"]: d for d in map(json.loads, result.out.splitlines())}


def test_watch_and_evaluate_give_every_case_the_same_verdict(tmp_path: Path):
    agree(tmp_path, *generate(soon(1.5), count=300, seed=20))


def test_watch_and_evaluate_agree_on_severity_changes_that_may_not_extend_a_deadline(tmp_path: Path):
    # most cases relabelled once or twice before or after their response: the
    # response.severity_change rule (shorter target from the change, longer or equal
    # from submission, never past the running deadline) decides many of them
    stream, records, closed = generate(soon(1.5), count=200, seed=21, change_share=0.9, changes=2)
    batch = agree(tmp_path, stream, records, closed)
    capped = from_submission = 0
    for case_id, decision in batch.items():
        r = decision["result"]
        if r["clock_start"] is None:
            continue
        length = (parse(r["response_deadline"]) - parse(r["clock_start"])).total_seconds()
        capped += length < float(r["response_target_minutes"]) * 60 - 1e-6
        from_submission += r["current_severity"] != r["severity"] and r["clock_start"] == records[case_id]["submitted_at"]
    assert capped >= 5 and from_submission >= 10, (capped, from_submission)


def agree(tmp_path: Path, stream: Stream, records: dict[str, dict[str, Any]], closed: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Run the stream through `sla watch`, the finished cases through `sla evaluate`,
    and assert every deciding clock gets the same verdict; returns the decisions."""
    events = stream.write(tmp_path / "events.jsonl")
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(events), "-o", str(output), *POLICIES)
    assert result.code == 1 and "0 bad line(s)" in result.err, result.err
    alerts = read_alerts(output)
    finished = iso(datetime.now(timezone.utc))

    batch = decisions([r for cid, r in records.items() if cid not in closed], finished, tmp_path, "open")
    for case_id, at in closed.items():
        batch |= decisions([records[case_id]], at, tmp_path, case_id)
    assert len(batch) == len(records)

    verdicts: dict[tuple[str, str], str] = {}
    for alert in alerts:
        if alert["alert"] in ("met", "breached"):
            key = (alert["case"], alert["clock_start"])
            assert key not in verdicts, f"two verdicts for one clock: {alert}"
            verdicts[key] = alert["alert"]

    seen = {"met": 0, "breached": 0, None: 0}
    for case_id, decision in batch.items():
        result_ = decision["result"]
        expected = VERDICT[result_["response_met"]]
        watched = verdicts.get((case_id, result_["clock_start"])) if result_["clock_start"] else None
        assert watched == expected, (case_id, decision["result"], [a for a in alerts if a["case"] == case_id],
                                     records[case_id], closed.get(case_id))
        seen[expected] += 1
    assert min(seen.values()) >= 20, f"every verdict is well represented: {seen}"
    # every warning belongs to a clock that ran past the policy's share of its target
    for alert in alerts:
        if alert["alert"] == "warning":
            share = float(alert["warning_share"])
            assert parse(alert["at"]) >= parse(alert["clock_start"]) + \
                (parse(alert["deadline"]) - parse(alert["clock_start"])) * share
    return batch
