"""Issue 12: the `case` kind compiled to SQL (engine.columnar.case) gives the row
engine's facts exactly, and never claims a record the row engine would refuse.

For each input line the row engine either refuses it (schema, parsing, policy
values, no revision in force) or decides it with facts; the SQL stage marks the
line `sure` and the facts query returns a row for it. The contract checked here:

- a line the row engine refuses is never in the SQL facts;
- a line in the SQL facts has the row engine's revision and every fact of
  `case_facts` equal (instants as instants, fractions as Fractions);
- a valid line with at most MAX_CHANGES severity changes is decided by the SQL
  (so `sure` is not simply always false).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import hypothesis_profiles  # noqa: F401  (registers the profiles when run alone)
from spark_helpers import spark  # noqa: F401  (the session fixture)
from conftest import ROOT
from engine.core.evaluate import Options, evaluate
from engine.core.records import Source, parse_record, record_problems, RecordProblems
from engine.errors import RecordError
from engine.io import jsontext
from engine.policy.family import Family, load_family_dir

duckdb = pytest.importorskip("duckdb", reason="the columnar extra (duckdb) is not installed")
pa = pytest.importorskip("pyarrow", reason="the columnar extra (pyarrow) is not installed")

from engine.columnar import case as columnar_case  # noqa: E402
from engine.columnar.case import FACT_TYPES, MAX_CHANGES, stage_sql, facts_sql  # noqa: E402
from engine.columnar.instant import instant_digits_sql, instant_sql  # noqa: E402
from engine.columnar.lists import Spell  # noqa: E402
from engine.timeutil import TimeFormatError, micros, parse_instant  # noqa: E402

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
POLICIES = ROOT / "policies" / "genesys-cloud"


# ------------------------------------------------------------------ the two engines


def row_engine(lines: list[str], family: Family, options: Options) -> list[tuple[bool, Any]]:
    """Per line: (schema/parse valid, decision or None when refused)."""
    out = []
    for n, line in enumerate(lines, 1):
        source = Source("<test>", n)
        try:
            raw = jsontext.decode(line)
        except ValueError:
            out.append((False, None))
            continue
        if record_problems(raw, source):
            out.append((False, None))
            continue
        try:
            record = parse_record(raw, source)
        except RecordProblems:
            out.append((False, None))
            continue
        try:
            out.append((True, evaluate(record, family, options)))
        except RecordError:
            out.append((True, None))
    return out


def sql_engine(lines: list[str], family: Family, options: Options, parquet: bool = False) -> tuple[dict[int, bool], dict[int, dict]]:
    """Per position: the staged `sure`, and the facts rows (by position)."""
    con = duckdb.connect()
    if parquet:
        rows = [json.loads(line) for line in lines]
        table = pa.Table.from_pylist([{**r, "pos": i} for i, r in enumerate(rows)], schema=columnar_case.parquet_schema())
        con.register("raw", table)
        staged = stage_sql("duckdb", "raw", columns=table.column_names)
    else:
        con.register("raw", pa.table({"pos": list(range(len(lines))), "line": list(range(1, len(lines) + 1)), "j": lines}))
        staged = stage_sql("duckdb", "raw")
    con.execute(f"CREATE TEMP TABLE staged AS {staged}")
    sure = dict(con.execute("SELECT pos, sure FROM staged").fetchall())
    assert con.execute("SELECT count(*) FROM staged WHERE sure = (why IS NOT NULL)").fetchone() == (0,)
    result = con.execute(facts_sql(family, "duckdb", "staged", options))
    names = [d[0] for d in result.description]
    facts = {row[0]: dict(zip(names, row)) for row in result.fetchall()}
    return sure, facts


def as_python(row: dict[str, Any]) -> dict[str, Any]:
    """A facts row's columns as the row engine's fact values."""
    out: dict[str, Any] = {}
    for name, kind in FACT_TYPES.items():
        if kind == "frac":
            n, d = row[f"{name}__n"], row[f"{name}__d"]
            out[name] = None if n is None else Fraction(n, d)
        elif kind == "instant":
            out[name] = None if row[name] is None else EPOCH + timedelta(microseconds=row[name])
        elif kind == "texts":
            out[name] = tuple(row[name])
        else:
            out[name] = row[name]
    return out


def assert_same(lines: list[str], family: Family, options: Options, parquet: bool = False) -> dict[str, int]:
    """The contract of the module docstring, for every line; counts for the caller."""
    rows = row_engine(lines, family, options)
    sure, facts = sql_engine(lines, family, options, parquet)
    for pos, (valid, decision) in enumerate(rows):
        line = lines[pos]
        if decision is None:
            assert pos not in facts, f"the SQL decided a line the row engine refuses: {line}"
            if not valid and not parquet:
                assert not sure[pos], f"a line the row engine refuses is staged sure: {line}"
            continue
        changes = sum(1 for e in decision.record.events if e.type == "severity_change")
        if changes <= MAX_CHANGES:
            assert pos in facts, f"the SQL left a plain valid line to the row engine: {line}"
        if pos not in facts:
            continue
        row = facts[pos]
        assert family.revisions[row["rev"]] is decision.revision, line
        expected = {name: decision.facts[name] for name in FACT_TYPES}
        expected["submission_channels"] = tuple(expected["submission_channels"])
        assert as_python(row) == expected, line
    return {"lines": len(lines), "decided": len(facts)}


# ------------------------------------------------------------------ records


def stamp(instant: datetime, offset_minutes: int = 0, fraction: str = "") -> str:
    """`instant` in RFC 3339 at a UTC offset, with `fraction` (".250") written after the seconds."""
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + fraction
    off = local.strftime("%z")
    return text + ("Z" if off == "+0000" else f"{off[:3]}:{off[3:]}")


T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def line(severity: int = 2, channel: str = "portal", events: list[dict] | None = None, submitted: datetime = T0,
         **extra: Any) -> str:
    record = {"type": "case", "id": "C-1", "customer": "acme", "severity": severity, "channel": channel,
              "submitted_at": stamp(submitted), "events": events or []} | extra
    return json.dumps(record)


def at(minutes: float) -> str:
    return stamp(T0 + timedelta(minutes=minutes))


def change(minutes: float, to: int) -> dict:
    return {"type": "severity_change", "at": at(minutes), "to": to}


def human(minutes: float, via: str = "case_note") -> dict:
    return {"type": "human_response", "at": at(minutes), "via": via}


def request(minutes: float, via: str = "phone") -> dict:
    return {"type": "critical_support_request", "at": at(minutes), "via": via}


HANDWRITTEN = [
    line(4, "phone", [change(60, 1)]),
    line(2, "portal", [change(119, 3)]),
    line(1, "phone", [change(5, 2)]),
    line(2, "phone", [change(5, 1)]),
    line(2, "phone", [change(30, 3), change(100, 1)]),
    line(2, "portal", [change(119, 3), human(180)]),
    line(2, "portal", [human(10), change(60, 1), request(65), human(70, "phone")]),
    line(2, "portal", [human(10), change(60, 1), human(80, "phone")]),
    line(1, "portal", []),
    line(1, "portal", [request(3), human(9, "phone")]),
    line(1, "portal", [request(3), request(20), change(30, 2), change(40, 1), human(200, "phone")]),
    line(3, "portal", [change(10, 1), request(15), change(20, 3), change(25, 1), request(40), human(45, "phone")]),
    line(3, "portal", [change(10, 3), change(20, 2), human(200)]),
    line(4, "phone", [human(5, "phone"), change(10, 1), change(12, 2), human(30)]),
    line(2, "portal", [change(1, 1), change(2, 2), change(3, 1)]),
    line(2, "portal", [change(1, 1), change(2, 2), change(3, 1), change(4, 2)]),  # more changes than compiled
    line(2, "phone", [{"type": "automated_reply", "at": at(0)}, human(0, "phone"), change(0, 1)]),
    line(3, "portal", [human(30), human(20)]),  # out of order in the record
    line(3, "portal", [human(130)], designated_contacts={"primary": 1, "backup": 0}, initial_troubleshooting=False,
         portal_case={"customer_name": True, "impact_description": False}),
    line(3, "portal", [{"type": "human_response", "at": stamp(datetime(2021, 3, 1, 1, tzinfo=UTC)), "via": "case_note"}],
         submitted=datetime(2021, 3, 1, tzinfo=UTC)),
    line(1, "phone", [{"type": "human_response", "at": stamp(datetime(2024, 10, 1, 3, 20, tzinfo=UTC)), "via": "phone"}],
         submitted=datetime(2024, 10, 1, 3, tzinfo=UTC)),
    line(3, "portal", [], submitted=datetime(2020, 3, 1, tzinfo=UTC)),  # before every revision
    line(3, "portal", [{"type": "human_response", "at": stamp(T0 + timedelta(minutes=3), 480, ".250"), "via": "case_note"}]),
    line(9, "portal"),  # unknown severity
    line(2, "email"),  # unknown channel
    line(2, "portal", [human(3, "carrier_pigeon")]),  # unknown response channel
    line(2, "portal", [change(3, 7)]),  # unknown severity in a change
    line(2, "portal", [{"type": "automated_reply", "at": at(1), "via": "fax"}]),  # unknown channel on an event
    line(2, "portal")[:-len(', "events": []}')] + "}",  # no events key at all (it is optional)
    line(2, "portal", [human(9)], designated_contacts={"primary": 1}).replace('"severity"', '"s\\u0065verity"').replace(
        '"primary"', '"prim\\u0061ry"'),  # keys written with escapes: the same keys to the decoder
]


@pytest.fixture(scope="module")
def genesys() -> Family:
    return load_family_dir(POLICIES)


def variant(tmp_path: Path, *edits: tuple[str, str]) -> Family:
    """The bundled family with its 2024-04-24 revision edited (the other revisions as they are)."""
    folder = tmp_path / "genesys-cloud"
    shutil.copytree(POLICIES, folder)
    path = folder / "2024-04-24.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return load_family_dir(folder)


MODES = "severity_change: {shorter_target: from_change, longer_or_equal_target: from_submission}"
VARIANTS = {
    "restart_at_change": [(MODES, "severity_change: {shorter_target: restart_at_change, longer_or_equal_target: restart_at_change}")],
    "from_change both ways": [(MODES, "severity_change: {shorter_target: from_change, longer_or_equal_target: from_change}")],
    "from_submission both ways": [(MODES, "severity_change: {shorter_target: from_submission, longer_or_equal_target: from_submission}")],
    "no reopening after the response": [("  reopen_after_response: [1]\n", "")],
    "reopening sev2 too": [("  reopen_after_response: [1]\n", "  reopen_after_response: [1, 2]\n")],
}


# ------------------------------------------------------------------ equality


def test_handwritten_cases_give_the_row_engines_facts(genesys):
    counts = assert_same(HANDWRITTEN, genesys, Options(now=NOW))
    assert counts["decided"] == len(HANDWRITTEN) - 7  # 6 the row engine refuses, 1 with more changes than compiled


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_severity_change_setting_flows_from_the_yaml_into_the_sql(tmp_path, name):
    assert_same(HANDWRITTEN, variant(tmp_path, *VARIANTS[name]), Options(now=NOW))


def test_as_of_decides_every_case_under_that_days_revision(genesys):
    assert_same(HANDWRITTEN, genesys, Options(now=NOW, as_of=date(2024, 5, 1)))
    sure, facts = sql_engine(HANDWRITTEN, genesys, Options(now=NOW, as_of=date(2019, 1, 1)))
    assert facts == {}  # no revision that day: the row engine reports every case


def test_an_unanswered_clock_is_pending_until_now_passes_its_deadline(genesys):
    lines = [line(3, "portal", [])]
    for now in (T0 + timedelta(minutes=1), T0 + timedelta(days=3)):
        assert_same(lines, genesys, Options(now=now))


def test_bench_generator_cases_give_the_row_engines_facts(genesys, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--out", str(tmp_path), "--cases", "3000",
                    "--customers", "20", "--claims", "1"], check=True, capture_output=True)
    lines = (tmp_path / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    counts = assert_same(lines, genesys, Options(now=NOW))
    assert counts["decided"] == len(lines)


def test_parquet_input_gives_the_same_facts_as_jsonl(genesys):
    valid = [text for text, (ok, decision) in zip(HANDWRITTEN, row_engine(HANDWRITTEN, genesys, Options(now=NOW))) if ok]
    assert_same(valid, genesys, Options(now=NOW), parquet=True)


VIAS = st.sampled_from(["phone", "case_note", "portal"])


@st.composite
def case_lines(draw: Any) -> str:
    """A case with up to six events of any type in any order, at any UTC offset."""
    base = draw(st.sampled_from([T0, datetime(2024, 10, 1, tzinfo=UTC), datetime(2024, 4, 24, tzinfo=UTC)]))
    submitted = base + timedelta(seconds=draw(st.integers(-86400, 86400)))  # either side of a revision's start
    events = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["automated_reply", "human_response", "severity_change", "critical_support_request"]))
        when = submitted + timedelta(seconds=draw(st.integers(0, 4 * 3600)), microseconds=draw(st.sampled_from([0, 0, 1, 500_000])))
        fraction = f".{when.microsecond:06d}" if when.microsecond else ""
        event: dict[str, Any] = {"type": kind, "at": stamp(when, draw(st.sampled_from([0, 480, -300, 330])), fraction)}
        if kind in ("human_response", "critical_support_request") or draw(st.booleans()):
            event["via"] = draw(VIAS)
        if kind == "severity_change":
            event["to"] = draw(st.integers(1, 4))
        events.append(event)
    severity = draw(st.integers(1, 4))
    channel = draw(st.sampled_from(["phone", "portal"]))
    return json.dumps({"type": "case", "id": "C-1", "customer": "acme", "severity": severity, "channel": channel,
                       "submitted_at": stamp(submitted, draw(st.sampled_from([0, 480, -300]))), "events": events})


@settings(max_examples=25)
@given(lines=st.lists(case_lines(), min_size=1, max_size=40),
       now_minutes=st.sampled_from([0, 30, 24 * 60]))
def test_generated_cases_give_the_row_engines_facts(genesys, lines, now_minutes):
    assert_same(lines, genesys, Options(now=T0 + timedelta(minutes=now_minutes)))


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Family]:
    return {name: variant(tmp_path_factory.mktemp("policies"), *edits) for name, edits in VARIANTS.items()}


@settings(max_examples=15)
@given(lines=st.lists(case_lines(), min_size=1, max_size=40), name=st.sampled_from(sorted(VARIANTS)))
def test_generated_cases_give_the_row_engines_facts_under_every_setting(variants, lines, name):
    assert_same(lines, variants[name], Options(now=T0 + timedelta(hours=2)))


# ------------------------------------------------------------------ what the stage refuses

GOOD = json.loads(line(2, "portal", [human(5)]))


def edited(**changes: Any) -> str:
    return json.dumps(GOOD | changes)


MALFORMED = {
    "naive submitted_at": edited(submitted_at="2024-06-03T08:00:00"),
    "naive event time": edited(events=[{"type": "human_response", "at": "2024-06-03T08:05:00", "via": "phone"}]),
    "30 February": edited(submitted_at="2024-02-30T08:00:00Z"),
    "hour 24": edited(submitted_at="2024-06-03T24:00:00Z"),
    "offset past 23:59": edited(submitted_at="2024-06-03T08:00:00+24:00"),
    "finer than a microsecond": edited(submitted_at="2024-06-03T08:00:00.1234567Z"),
    "year outside the engine's range": edited(submitted_at="0999-06-03T08:00:00Z"),
    "severity as text": edited(severity="2"),
    "severity as a float": edited(severity=2.5),
    "severity zero": edited(severity=0),
    "severity beyond 64 bits": '{"type":"case","id":"C-1","customer":"acme","severity":18446744073709551616,"channel":"portal","submitted_at":"2024-06-03T08:00:00Z"}',
    "boolean severity": edited(severity=True),
    "null channel": edited(channel=None),
    "channel not a name": edited(channel="Portal"),
    "unknown key": edited(priority="high"),
    "missing id": json.dumps({k: v for k, v in GOOD.items() if k != "id"}),
    "empty id": edited(id=""),
    "id with a control character": edited(id="C-\u0007"),
    "customer with a line break": edited(customer="acme\nx"),
    "id too long": edited(id="C" * 201),
    "wrong record type": edited(type="uptime"),
    "events not a list": edited(events={"type": "human_response"}),
    "event not an object": edited(events=["human_response"]),
    "unknown event type": edited(events=[{"type": "phone_call", "at": at(3)}]),
    "unknown event key": edited(events=[{"type": "human_response", "at": at(3), "via": "phone", "who": "x"}]),
    "response without via": edited(events=[{"type": "human_response", "at": at(3)}]),
    "change without to": edited(events=[{"type": "severity_change", "at": at(3)}]),
    "change to zero": edited(events=[change(3, 0)]),
    "event before submission": edited(events=[human(-1)]),
    "note not text": edited(events=[{**human(3), "note": 5}]),
    "contacts negative": edited(designated_contacts={"primary": -1}),
    "contacts unknown key": edited(designated_contacts={"primary": 1, "tertiary": 1}),
    "troubleshooting as text": edited(initial_troubleshooting="yes"),
    "troubleshooting null": edited(initial_troubleshooting=None),
    "portal case unknown key": edited(portal_case={"customer_name": True, "phone": True}),
    "portal case not boolean": edited(portal_case={"customer_name": 1}),
    "portal case value null": edited(portal_case={"customer_name": None}),
    "contacts key given twice": edited(designated_contacts={"primary": 1}).replace('"primary": 1', '"primary": 1, "primary": 2'),
    "key in capitals": edited(Severity=2),
    "events null": edited(events=None),
    "duplicate key": line(2, "portal")[:-1] + ', "severity": 3}',
    "duplicate key in an event": edited(events=[{"type": "human_response", "at": at(3), "via": "phone"}]).replace(
        '"via": "phone"', '"via": "phone", "via": "case_note"'),
    "a key given twice in an event, the second null": edited(events=[human(3)]).replace(
        '"via": "case_note"', '"via": "case_note", "via": null'),
    "null note": edited(events=[{**human(3), "note": None}]),
    "event key in capitals": edited(events=[{"TYPE": "automated_reply", "type": "automated_reply", "at": at(3)}]),
    "null event": edited(events=[human(3), None]),
    "event time as a number": edited(events=[{"type": "automated_reply", "at": 20240603080500}]),
    "event type in a list": edited(events=[{"type": ["automated_reply"], "at": at(3)}]),
    "event inside a list": edited(events=[[human(3)]]),
    "trailing comma": line(2, "portal")[:-1] + ",}",
    "NaN": line(2, "portal").replace('"severity": 2', '"severity": NaN'),
    "not JSON": "{type: case}",
    "not an object": "[1, 2]",
}


def test_every_malformed_record_is_staged_unsure(genesys):
    names, lines = list(MALFORMED), list(MALFORMED.values())
    rows = row_engine(lines, genesys, Options(now=NOW))
    sure, facts = sql_engine(lines, genesys, Options(now=NOW))
    for pos, name in enumerate(names):
        assert rows[pos][1] is None, f"{name}: the row engine decides it, so it is no malformed example"
        assert sure[pos] is False, f"{name} is staged sure"
    assert facts == {}


def test_an_unknown_event_key_is_named_as_an_event_the_sql_does_not_read():
    """The fallback report's reason for an event's keys is the events' one, not the record's shape."""
    con = duckdb.connect()
    con.register("raw", pa.table({"pos": [0], "j": [MALFORMED["unknown event key"]]}))
    assert con.execute(f"SELECT why FROM ({stage_sql('duckdb', 'raw')})").fetchone() == (
        "a timestamp the SQL does not read, or an event it does not",)


# Key spellings for noisy events: the schema's, one written with a JSON escape (the
# same key to the decoder), one in other letters, one unknown.
EVENT_KEY_TEXT = {"type": ['"type"', '"ty\\u0070e"', '"TYPE"'], "at": ['"at"'], "via": ['"via"', '"Via"'],
                  "to": ['"to"'], "note": ['"note"', '"who"']}
# (Not 2**64: the row engine reads an event's `to` of any size, the SQL only what fits BIGINT and
# leaves the rest to the row engine, a fallback this test would count as a miss.)
ODD_VALUES = st.sampled_from([None, True, 0, -1, 2.0, 2 ** 40, "", "x", "Phone", [], {}, [1], {"a": 1}])


@st.composite
def noisy_event(draw: Any) -> str:
    """An event's JSON text: mostly valid, but a key may be dropped, repeated,
    misspelt or unknown, a value of any JSON type, the item not an object."""
    if draw(st.integers(0, 9)) == 0:
        return json.dumps(draw(st.sampled_from([None, "human_response", [human(3)], 1])))
    kind = draw(st.sampled_from(list(columnar_case.EVENT_TYPES)))
    event: dict[str, Any] = {"type": kind, "at": at(draw(st.integers(0, 300)))}
    if kind in columnar_case.NEEDS_VIA or draw(st.booleans()):
        event["via"] = draw(VIAS)
    if kind == "severity_change":
        event["to"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        event["note"] = draw(st.sampled_from(["", "called back"]))
    pairs = [(key, value) for key, value in event.items() if draw(st.integers(0, 11)) > 0]
    for _ in range(draw(st.integers(0, 2))):
        edit = draw(st.sampled_from(["odd value", "repeat", "extra key"]))
        key = draw(st.sampled_from(list(EVENT_KEY_TEXT)))
        value = draw(ODD_VALUES) if edit != "repeat" else event.get(key, draw(ODD_VALUES))
        if edit == "odd value":
            pairs = [(k, value if k == key else v) for k, v in pairs]
        else:
            pairs.append((key, value))
    return "{" + ", ".join(f"{draw(st.sampled_from(EVENT_KEY_TEXT[k]))}: {json.dumps(v)}" for k, v in pairs) + "}"


@settings(max_examples=40)
@given(items=st.lists(st.lists(noisy_event(), max_size=4), min_size=1, max_size=30))
def test_noisy_events_are_sure_exactly_when_the_row_engine_reads_them(genesys, items):
    """Whatever an event's keys and values, the SQL decides a case only as the row
    engine does, and decides every plain one itself."""
    lines = [edited(events=[]).replace('"events": []', '"events": [' + ", ".join(events) + "]") for events in items]
    assert_same(lines, genesys, Options(now=NOW))


def test_a_surrogate_escape_is_left_to_the_row_engines_text_guard(genesys):
    """`sla check` guards text against lone surrogates before decoding; the SQL does
    not tell a lone one from a pair, so any surrogate escape goes to the row engine."""
    text = edited(events=[{**human(3), "note": "x"}]).replace('"note": "x"', '"note": "\\ud800"')
    sure, facts = sql_engine([text], genesys, Options(now=NOW))
    assert sure == {0: False} and facts == {}


def test_more_severity_changes_than_compiled_go_to_the_row_engine(genesys):
    many = line(2, "portal", [change(k + 1, 1 + (k % 2)) for k in range(MAX_CHANGES + 1)])
    rows = row_engine([many], genesys, Options(now=NOW))
    sure, facts = sql_engine([many], genesys, Options(now=NOW))
    assert rows[0][1] is not None and sure == {0: False} and facts == {}
    con = duckdb.connect()
    con.register("raw", pa.table({"pos": [0], "j": [many]}))
    assert con.execute(f"SELECT why FROM ({stage_sql('duckdb', 'raw')})").fetchone() == (f"more than {MAX_CHANGES} severity changes",)


def test_the_stages_checks_are_the_record_schemas():
    """The keys, event types, id length, name and instant patterns the SQL checks are
    the schema's: a schema edit that the SQL does not follow fails here."""
    from engine.io.schemas import schema
    from engine.columnar.instant import SHAPE

    case_schema, common = schema("records/case.schema.json"), schema("records/common.schema.json")["$defs"]
    props = case_schema["properties"]
    event = props["events"]["items"]
    assert set(columnar_case.TOP_KEYS) == set(props)
    assert set(columnar_case.EVENT_KEYS) == set(event["properties"])
    assert set(columnar_case.EVENT_TYPES) == set(event["properties"]["type"]["enum"])
    assert set(columnar_case.CONTACT_KEYS) == set(props["designated_contacts"]["properties"])
    assert set(columnar_case.PORTAL_KEYS) == set(props["portal_case"]["properties"])
    needs = {rule["if"]["properties"]["type"]["const"]: rule["then"]["required"] for rule in event["allOf"]}
    assert needs == {**{t: ["via"] for t in columnar_case.NEEDS_VIA}, "severity_change": ["to"]}
    assert (common["id"]["minLength"], common["id"]["maxLength"]) == (columnar_case.ID_LENGTH.start, columnar_case.ID_LENGTH.stop - 1)
    assert common["name"]["pattern"] == f"^{columnar_case.NAME}$"
    assert common["instant"]["pattern"] == f"^{SHAPE}$"


def test_the_sql_control_characters_are_the_engines():
    """An id the SQL reads as printable is one engine.io.schemas reads as printable, code point by code point."""
    from engine.io.schemas import CONTROL_CHARACTERS

    con = duckdb.connect()
    points = list(range(1, 0x3000))
    table = pa.table({"c": [chr(i) for i in points]})
    con.register("chars", table)
    found = [row[0] for row in con.execute(f"SELECT regexp_matches(c, '{columnar_case.CONTROL}') FROM chars").fetchall()]
    assert found == [bool(CONTROL_CHARACTERS.search(chr(i))) for i in points]


INSTANTS = ["2024-03-05T09:30:00Z", "2024-03-05t09:30:00z", "2024-03-05 09:30:00+08:00", "2024-02-29T00:00:00-05:30",
            "2023-02-29T00:00:00Z", "2024-03-05T09:30:00.123Z", "2024-03-05T09:30:00.1234567Z", "2024-03-05T09:30:00.123456000Z",
            "2024-03-05T24:00:00Z", "2024-03-05T09:30:60Z", "2024-03-05T09:30:00", "2024-03-05T09:30:00+24:00",
            "2024-03-05T09:30:00+23:59", "0999-01-01T00:00:00Z", "1001-01-01T00:00:00Z", "8999-12-31T23:59:59-23:59",
            "9000-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "2024-04-31T00:00:00Z", "2000-02-29T12:00:00.5+01:00",
            "1900-02-29T00:00:00Z", "2024-03-05T09:30:00Z\n", "2024-03-05T09:30:00.Z", "2024-03-05T09:30:00+0800",
            "1970-01-01T00:00:00.000001Z", "1969-12-31T23:59:59.999999Z", "2100-03-01T00:00:00+01:00",
            "2024-02-30T00:00:00Z", "2023-02-29T23:59:59.999999+01:00", "1000-06-01T00:00:00Z", "2024-03-05T09:30:00-00:00",
            "2024-06-30T23:59:59+23:59", "2024-06-31T00:00:00-23:59", "2024-03-05T09:30:00.000000Z"]


@pytest.mark.parametrize("reading", ["duckdb's cast for the common shape", "digit by digit (as on Spark)"])
def test_sql_reads_instants_exactly_as_parse_instant_does(reading: str):
    spell = Spell.of("duckdb")
    if reading.startswith("digit"):
        ok, us = instant_digits_sql(spell, "s")
    else:
        ok, us = instant_sql(spell, "s")
    con = duckdb.connect()
    for text in INSTANTS:
        got = con.execute(f"SELECT {ok}, CASE WHEN {ok} THEN {us} END FROM (SELECT ?::VARCHAR AS s)", [text]).fetchone()
        try:
            expected = (True, micros(parse_instant(text)))
        except TimeFormatError:
            expected = (False, None)
        assert got == expected, text


# ------------------------------------------------------------------ whole decisions through the plan


def plan_decisions(lines: list[str], family: Family, options: Options, dialect: Any = None) -> dict[int, dict]:
    """stage -> facts -> engine.columnar.plan on DuckDB: position -> decision (parsed JSON)."""
    from engine.columnar.dialect import DUCKDB
    from engine.columnar.plan import compile_plan

    dialect = dialect or DUCKDB
    con = duckdb.connect()
    con.register("raw", pa.table({"pos": list(range(len(lines))), "j": lines}))
    plan = compile_plan(family, "case", dialect, options, columnar_case.shape(family, dialect, options))
    sql = (f"WITH staged AS ({stage_sql(dialect, 'raw')}), facts AS ({facts_sql(family, dialect, 'staged', options)}) "
           f"{plan.sql('facts')}")
    return {pos: json.loads(decision) for pos, _, decision, *_ in con.execute(sql).fetchall()}


def assert_same_decisions(lines: list[str], family: Family, options: Options) -> int:
    rows = row_engine(lines, family, options)
    got = plan_decisions(lines, family, options)
    for pos, (_, decision) in enumerate(rows):
        if pos in got:
            assert decision is not None and got[pos] == decision.to_json(), lines[pos]
    return len(got)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_whole_decisions_through_the_plan_equal_the_row_engines(genesys, lang):
    examples = (ROOT / "examples" / "records" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [text for text in examples + HANDWRITTEN if text.strip()]
    assert assert_same_decisions(lines, genesys, Options(now=NOW, lang=lang)) >= len(lines) - 7


def test_whole_decisions_under_as_of_and_other_settings_equal_the_row_engines(genesys, variants):
    assert assert_same_decisions(HANDWRITTEN, genesys, Options(now=NOW, as_of=date(2024, 11, 1))) > 0
    for family in variants.values():
        assert assert_same_decisions(HANDWRITTEN, family, Options(now=T0 + timedelta(hours=1))) > 0


def test_whole_decisions_on_bench_generator_cases_equal_the_row_engines(genesys, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--out", str(tmp_path), "--cases", "2000",
                    "--customers", "20", "--claims", "1"], check=True, capture_output=True)
    lines = (tmp_path / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    assert assert_same_decisions(lines, genesys, Options(now=NOW)) == len(lines)


# ------------------------------------------------------------------ Spark


def test_spark_gives_the_same_facts_as_duckdb_from_the_parquet_shape(genesys, tmp_path, spark):
    import pyarrow.parquet as pq

    from engine.columnar.dialect import SPARK

    rows = row_engine(HANDWRITTEN, genesys, Options(now=NOW))
    valid = [json.loads(text) for text, (ok, _) in zip(HANDWRITTEN, rows) if ok]
    table = pa.Table.from_pylist([{**r, "pos": i} for i, r in enumerate(valid)], schema=columnar_case.parquet_schema())
    pq.write_table(table, tmp_path / "cases.parquet")
    spark.read.parquet(str(tmp_path / "cases.parquet")).createOrReplaceTempView("raw")
    spark.sql(stage_sql(SPARK, "raw", columns=table.column_names)).createOrReplaceTempView("staged")
    got = {r["pos"]: r.asDict() for r in spark.sql(facts_sql(genesys, SPARK, "staged", Options(now=NOW))).collect()}
    lines = [json.dumps(r) for r in valid]
    _, expected = sql_engine(lines, genesys, Options(now=NOW), parquet=True)
    assert set(got) == set(expected) and expected
    for pos, row in expected.items():
        assert as_python(got[pos]) == as_python(row)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_spark_whole_decisions_through_the_plan_equal_the_row_engines(genesys, tmp_path, spark, lang):
    import pyarrow.parquet as pq

    from engine.columnar.dialect import SPARK
    from engine.columnar.plan import compile_plan

    options = Options(now=NOW, lang=lang)
    rows = row_engine(HANDWRITTEN, genesys, options)
    valid = [(json.loads(text), decision) for text, (ok, decision) in zip(HANDWRITTEN, rows) if ok]
    table = pa.Table.from_pylist([{**r, "pos": i} for i, (r, _) in enumerate(valid)], schema=columnar_case.parquet_schema())
    pq.write_table(table, tmp_path / "cases.parquet")
    spark.read.parquet(str(tmp_path / "cases.parquet")).createOrReplaceTempView("raw")
    spark.sql(stage_sql(SPARK, "raw", columns=table.column_names)).createOrReplaceTempView("staged")
    spark.sql(facts_sql(genesys, SPARK, "staged", options)).createOrReplaceTempView("facts")
    plan = compile_plan(genesys, "case", SPARK, options, columnar_case.shape(genesys, SPARK, options))
    got = {r["pos"]: json.loads(r["decision"]) for r in spark.sql(plan.sql("facts")).collect()}
    assert len(got) == sum(1 for _, d in valid if d is not None) - 1  # all but the one with more changes than compiled
    for pos, decision in got.items():
        assert decision == valid[pos][1].to_json()
