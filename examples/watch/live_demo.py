"""Print a small live event stream that starts now, for `sla watch` with the TEST
policy (response targets of seconds: Sev1 3 s, Sev2 4 s, Sev3 5 s, Sev4 6 s,
warning half way), so warnings and breaches can be watched as they happen:

    python3 examples/watch/live_demo.py > /tmp/live.jsonl
    sla watch /tmp/live.jsonl --policies tests/fixtures/watch_policies

Within about eight seconds: LIVE-1 (Sev1, nobody answers) warns and breaches;
LIVE-2 is answered in time (met); LIVE-3 is raised from Sev4 to Sev2, which
re-targets its clock to 4 s from the change; LIVE-4 is a Sev1 opened on the
portal, whose clock starts only at the critical-support request by phone.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

START = datetime.now(timezone.utc) + timedelta(seconds=1)


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def case(case_id: str, severity: int, channel: str) -> dict:
    return {"type": "case_submitted", "case": {"id": case_id, "customer": "acme", "severity": severity,
                                               "channel": channel, "submitted_at": at(0)}}


LINES = [
    case("LIVE-1", 1, "phone"),
    case("LIVE-2", 2, "portal"),
    case("LIVE-3", 4, "portal"),
    case("LIVE-4", 1, "portal"),
    {"type": "automated_reply", "case_id": "LIVE-2", "at": at(0.2)},
    {"type": "severity_change", "case_id": "LIVE-3", "at": at(0.5), "to": 2},
    {"type": "human_response", "case_id": "LIVE-2", "at": at(1.0), "via": "case_note"},
    {"type": "critical_support_request", "case_id": "LIVE-4", "at": at(1.0), "via": "phone"},
]

if __name__ == "__main__":
    for line in LINES:
        print(json.dumps(line))
