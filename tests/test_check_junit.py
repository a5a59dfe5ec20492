"""JUnit XML: one test case per record, failures for breached/violation, errors
for rejected rows, and a structure CI reporters accept (the element and
attribute rules of the JUnit schema Jenkins, GitLab and GitHub read)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from check_helpers import NOW, generate, write
from conftest import run_cli

# Per element: required attributes, allowed attributes, allowed children (JUnit XSD, as Jenkins publishes it).
RULES = {
    "testsuites": (set(), {"name", "tests", "failures", "errors", "disabled", "time"}, {"testsuite"}),
    "testsuite": ({"name", "tests"}, {"name", "tests", "failures", "errors", "skipped", "disabled", "time", "timestamp",
                                      "hostname", "id", "package", "file"}, {"properties", "testcase", "system-out", "system-err"}),
    "testcase": ({"name", "classname"}, {"name", "classname", "time", "file", "line", "assertions", "status"},
                 {"skipped", "error", "failure", "system-out", "system-err"}),
    "failure": (set(), {"message", "type"}, set()),
    "error": (set(), {"message", "type"}, set()),
}
INTEGER_ATTRIBUTES = {"tests", "failures", "errors", "skipped", "disabled", "line"}


def validate_junit(text: str) -> ET.Element:
    """Every JUnit rule that matters to a reader; returns the root. Fails with the reason."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    for element in root.iter():
        required, allowed, children = RULES[element.tag]
        assert required <= set(element.attrib), (element.tag, element.attrib)
        assert set(element.attrib) <= allowed, (element.tag, set(element.attrib) - allowed)
        assert {c.tag for c in element} <= children, (element.tag, [c.tag for c in element])
        for name in INTEGER_ATTRIBUTES & set(element.attrib):
            assert element.attrib[name].isdigit(), (element.tag, name, element.attrib[name])
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
        for c in cases:
            assert len(c.findall("failure")) + len(c.findall("error")) <= 1
        for key in totals:
            totals[key] += int(suite.get(key))
    assert {k: int(root.get(k)) for k in totals} == totals
    return root


def test_one_test_case_per_record_with_failures_and_errors(tmp_path):
    data = generate(tmp_path / "data", cases=300, customers=6, claims=40)
    lines = (data / "cases.jsonl").read_text().splitlines(keepends=True)
    lines[3] = '{"type": "case"}\n'
    (data / "cases.jsonl").write_text("".join(lines))
    result = run_cli("check", "--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"),
                     "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"), "--months", "2024-01..2024-03",
                     "--now", NOW, "--junit", str(tmp_path / "j.xml"), "--summary", str(tmp_path / "s.json"), "--keep-going",
                     "--rejects", str(tmp_path / "r.jsonl"), "--quiet")
    assert result.code == 2
    root = validate_junit((tmp_path / "j.xml").read_text(encoding="utf-8"))
    counts = json.loads((tmp_path / "s.json").read_text())["counts"]
    suites = {s.get("name"): s for s in root}
    assert list(suites) == ["cases", "customer-months", "claims"]
    for name in suites:
        assert int(suites[name].get("tests")) == counts[name]["evaluated"] + counts[name]["rejected"]
    assert int(suites["cases"].get("errors")) == 1
    error = suites["cases"].find("testcase/error")
    assert "missing required field" in error.get("message") and error.get("type") == "rejected"
    failed = [c for c in suites["cases"] if c.find("failure") is not None]
    assert failed and all(c.find("failure").get("type") in ("breached", "violation") for c in failed)
    assert any("case.response_target" in c.find("failure").text for c in failed)
    first = suites["cases"].find("testcase")
    assert first.get("classname") == "cases" and first.get("name") == "CASE-0000001" and first.get("line") == "1"


def test_ids_and_messages_are_escaped(tmp_path):
    record = {"type": "case", "id": 'C-<1>&"2"', "customer": "acme \u00e9", "severity": 1, "channel": "portal",
              "submitted_at": "2024-03-05T09:30:00Z", "events": []}
    cases = write(tmp_path / "c.jsonl", json.dumps(record) + "\n")
    result = run_cli("check", "--cases", cases, "--now", NOW, "--junit", str(tmp_path / "j.xml"), "--quiet")
    assert result.code == 1
    root = validate_junit((tmp_path / "j.xml").read_text(encoding="utf-8"))
    case = root.find("testsuite/testcase")
    assert case.get("name") == 'C-<1>&"2"'
    assert case.find("failure").get("type") == "violation"  # Sev1 on the portal


def test_the_file_is_the_same_on_every_run(tmp_path):
    cases = write(tmp_path / "c.jsonl", '{"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal", '
                  '"submitted_at": "2024-03-05T09:30:00Z", "events": []}\n')
    for name in ("a.xml", "b.xml"):
        run_cli("check", "--cases", cases, "--now", NOW, "--junit", str(tmp_path / name), "--quiet")
    assert (tmp_path / "a.xml").read_bytes() == (tmp_path / "b.xml").read_bytes()
    assert b"time=" not in (tmp_path / "a.xml").read_bytes()
