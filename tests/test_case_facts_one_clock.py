"""A case without a severity change (most cases) takes a short path through the
case facts; its facts must be exactly those of the general path. A severity
change to the severity the case already has changes nothing, and sends the same
case down the general path: so the two are compared on realistic generated cases."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from check_helpers import generate
from conftest import decide


def _noop_change(raw: dict) -> dict:
    """The same case with a severity change to its own severity (right at submission)."""
    at = datetime.fromisoformat(raw["submitted_at"])
    change = {"type": "severity_change", "to": raw["severity"], "at": at.isoformat()}
    return {**raw, "events": [*raw.get("events", []), change]}


def test_a_case_without_severity_change_has_the_facts_the_general_path_gives(genesys, tmp_path):
    folder = generate(tmp_path, cases=1500, customers=3, claims=3)
    compared = 0
    with open(folder / "cases.jsonl", encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            if any(e["type"] == "severity_change" for e in raw.get("events", [])):
                continue
            soon = datetime.fromisoformat(raw["submitted_at"]) + timedelta(minutes=3)  # pending clocks too
            for now in (None, soon):
                options = {} if now is None else {"now": now}
                short, general = decide(raw, genesys, **options), decide(_noop_change(raw), genesys, **options)
                assert short.facts == general.facts, raw["id"]
                assert list(short.facts) == list(general.facts), raw["id"]
                assert short.to_json() == general.to_json(), raw["id"]
                compared += 1
    assert compared > 2000
