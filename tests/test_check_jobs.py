"""Worker processes change nothing: every output of --jobs 2 is byte-identical to
--jobs 1, decisions come out in input order, and they are the decisions
`sla evaluate` gives the same records."""

from __future__ import annotations

import json

import pytest

from check_helpers import NOW, generate, write
from conftest import run_cli

OUTPUTS = ("d.jsonl", "s.json", "s.csv", "j.xml", "h.html", "r.jsonl")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("data"), cases=1500, customers=15, claims=200)
    # a few bad rows, so rejects and JUnit errors are compared too
    lines = (folder / "cases.jsonl").read_text().splitlines(keepends=True)
    lines[10] = '{"type": "case", "id": "BROKEN"\n'
    lines[700] = lines[700].replace('"severity": ', '"severity": 9, "x": ')
    lines[900] = lines[5]  # a duplicate id
    (folder / "cases.jsonl").write_text("".join(lines))
    return folder


def _check(data, out, jobs):
    out.mkdir()
    return run_cli("check", "--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"),
                   "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"), "--months", "2024-01..2024-12",
                   "--now", NOW, "--jobs", str(jobs), "--chunk", "64", "--keep-going", "--quiet",
                   "-o", str(out / "d.jsonl"), "--summary", str(out / "s.json"), "--junit", str(out / "j.xml"),
                   "--html", str(out / "h.html"), "--rejects", str(out / "r.jsonl"))


def test_two_jobs_write_the_same_bytes_as_one(data, tmp_path):
    one, two = _check(data, tmp_path / "one", 1), _check(data, tmp_path / "two", 2)
    assert one.code == two.code == 2, one.err  # the planted bad rows
    assert one.out == two.out and one.err == two.err
    for name in ("d.jsonl", "s.json", "j.xml", "h.html", "r.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    rerun = run_cli("check", "--cases", str(data / "cases.jsonl"), "--now", NOW, "--jobs", "2", "--chunk", "64", "--keep-going",
                    "--quiet", "--summary", str(tmp_path / "s1.csv"), "--rejects", str(tmp_path / "r1.jsonl"))
    again = run_cli("check", "--cases", str(data / "cases.jsonl"), "--now", NOW, "--jobs", "1", "--chunk", "64", "--keep-going",
                    "--quiet", "--summary", str(tmp_path / "s2.csv"), "--rejects", str(tmp_path / "r2.jsonl"))
    assert rerun.out == again.out
    assert (tmp_path / "s1.csv").read_bytes() == (tmp_path / "s2.csv").read_bytes()


def test_decisions_come_out_in_input_order(data, tmp_path):
    _check(data, tmp_path / "two", 2)
    written = [json.loads(line)["record"] for line in (tmp_path / "two" / "d.jsonl").read_text().splitlines()]
    cases = [json.loads(line).get("id") for line in (data / "cases.jsonl").read_text().splitlines() if '"BROKEN"' not in line]
    cases = [c for i, c in enumerate(cases) if c not in cases[:i]]  # the duplicate is rejected, the first one kept
    cases.remove(json.loads((data / "cases.jsonl").read_text().splitlines()[700])["id"])  # severity 9 is rejected
    claims = [json.loads(line)["id"] for line in (data / "claims.jsonl").read_text().splitlines()]
    customers = [line.split(",")[0] for line in (data / "contracts.csv").read_text().splitlines()[1:]]
    months = [f"{c}/2024-{m:02d}" for c in customers for m in range(1, 13)]
    assert written == cases + months + claims


def test_the_decisions_are_those_of_sla_evaluate(data, tmp_path):
    clean = write(tmp_path / "clean.jsonl", "".join((data / "cases.jsonl").read_text().splitlines(keepends=True)[20:420]))
    checked = run_cli("check", "--cases", clean, "--now", NOW, "--jobs", "2", "--chunk", "50", "-o", str(tmp_path / "d.jsonl"), "--quiet")
    evaluated = run_cli("evaluate", clean, "--now", NOW, "--format", "jsonl")
    assert checked.code == evaluated.code == 1
    assert (tmp_path / "d.jsonl").read_text() == evaluated.out


def test_decisions_can_stream_to_standard_output(data, tmp_path):
    clean = write(tmp_path / "clean.jsonl", "".join((data / "cases.jsonl").read_text().splitlines(keepends=True)[20:70]))
    result = run_cli("check", "--cases", clean, "--now", NOW, "--jobs", "2", "-o", "-", "--quiet")
    assert len(result.out.splitlines()) == 50 and result.out.startswith('{"record":"CASE-0000021"')
    assert "Response targets" in result.err  # the table moves to standard error
