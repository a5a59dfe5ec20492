"""The compiled record check (engine.schemafast) agrees with jsonschema: it may
only say "valid" where jsonschema says valid, so the engine's fast path never
lets a bad record through. Checked on the examples and on thousands of mutated
records."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, case, claim, outage, uptime
from engine.io.schemafast import Unsure
from engine.io.schemas import RECORD_TYPES, fast_check, record_schema_name, validator

BASES = [case(events=[{"type": "human_response", "at": "2024-06-03T09:05:00Z", "via": "phone"},
                      {"type": "severity_change", "at": "2024-06-03T09:01:00Z", "to": 1}]),
         uptime([outage("2024-03-01T00:00:00Z", "2024-03-01T01:00:00Z", ["inbound_voice", "reporting"])]),
         claim(), claim(support_case=None),
         claim(contract={"billing": "annual_prepaid", "annual_commitment": "120000.00", "currency": "EUR"})]
ODD_VALUES = [None, True, False, 0, 1, -1, 2.0, 2.5, Decimal("2"), "", "x", "2024-03-05T09:30:00", "2024-03-05T09:30:00Z",
              "phone", "A" * 201, [], [1], {}, {"a": 1}, "2024-13", "10000.00", "USD", "usd", "1e3"]


def agrees(record) -> None:
    expected = validator(record_schema_name(record["type"])).is_valid(record) if record.get("type") in RECORD_TYPES else None
    if expected is None:
        return
    try:
        fast = fast_check(record_schema_name(record["type"]))(record)
    except Unsure:
        return
    assert fast == expected, json.dumps(record, default=str)


def test_every_record_type_has_a_compiled_check():
    assert {t for t in RECORD_TYPES if fast_check(record_schema_name(t)) is not None} == set(RECORD_TYPES)


def test_the_examples_agree():
    for path in (ROOT / "examples" / "records").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            agrees(json.loads(line))
    for base in BASES:
        agrees(base)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


@settings(max_examples=600, deadline=None, derandomize=True)
@given(st.sampled_from(BASES), st.data())
def test_mutated_records_agree(base, data):
    record = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3))):
        targets = list(paths(record))[1:]
        path = data.draw(st.sampled_from(targets))
        parent = record
        for part in path[:-1]:
            parent = parent[part]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = data.draw(st.sampled_from(ODD_VALUES))
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.sampled_from(["extra", "note", "via", "to", "id"]))] = data.draw(st.sampled_from(ODD_VALUES))
        elif isinstance(parent, list):
            parent.append(data.draw(st.sampled_from(ODD_VALUES)))
        agrees(record)
