"""5,000 concurrent open cases: every clock is kept and decided, on the fixed
pool of durable-rules sessions of the revision's one ruleset (durable-rules
itself refuses the 1,025th session of a ruleset; one session per case, as
before, took about 1 GB here). The 100,000-case run is bench/watch_scale.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path


from engine.watch.runtime import POOL
from watch_helpers import TEST_POLICIES, Stream, read_alerts, run, soon

CASES = 5000


def test_5000_concurrent_open_cases(tmp_path: Path):
    stream = Stream(soon(3.0))
    for i in range(CASES):
        stream.submit(f"S-{i:05d}", 4)  # 6 s target, warning at 3 s
    for i in range(0, CASES, 2):
        stream.event("human_response", f"S-{i:05d}", 1.0, via="case_note")
    events, output = stream.write(tmp_path / "events.jsonl"), tmp_path / "alerts.jsonl"

    result = run(str(events), "-o", str(output), "--policies", str(TEST_POLICIES), timeout=120)

    assert result.returncode == 1, result.stderr
    assert (f"{CASES} case(s) submitted, {CASES // 2} warning(s), {CASES // 2} met, {CASES // 2} breached, "
            f"0 bad line(s); {POOL} durable-rules session(s) in 1 ruleset(s)") in result.stderr
    alerts = read_alerts(output)
    assert set(Counter(a["id"] for a in alerts).values()) == {1}, "no alert twice"
    kinds: dict[str, list[str]] = {}
    for alert in alerts:
        kinds.setdefault(alert["case"], []).append(alert["alert"])
    assert len(kinds) == CASES
    for i in range(CASES):
        expected = ["met"] if i % 2 == 0 else ["warning", "breached"]
        assert kinds[f"S-{i:05d}"] == expected
