"""Bad rows: reported with file and line, never silently dropped; without
--keep-going the run stops and writes nothing; with it they go to the rejects
file and the counts always add up (read = evaluated + rejected)."""

from __future__ import annotations

import json

from check_helpers import NOW, read_jsonl, write
from conftest import run_cli

GOOD = '{"type": "case", "id": "C-%d", "customer": "acme", "severity": 2, "channel": "portal", "submitted_at": "2024-03-05T09:30:00Z", "events": [{"type": "human_response", "at": "2024-03-05T10:00:00Z", "via": "case_note"}]}\n'
ROWS = [
    GOOD % 1,
    "{not json\n",
    GOOD % 2,
    "\n",
    (GOOD % 3).replace('"severity": 2', '"severity": 7'),
    (GOOD % 4).replace("09:30:00Z", "09:30:00"),
    GOOD % 1,
    GOOD % 5,
]


def test_without_keep_going_the_first_bad_row_stops_the_run_and_nothing_is_written(tmp_path):
    cases = write(tmp_path / "cases.jsonl", "".join(ROWS))
    result = run_cli("check", "--cases", cases, "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--junit", str(tmp_path / "j.xml"),
                     "--summary", str(tmp_path / "s.json"))
    assert result.code == 2
    assert result.err.splitlines()[0].startswith(f"{cases}:2: not valid JSON")
    assert "nothing was written" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl"]  # no output, no temporary file left


def test_with_keep_going_every_bad_row_is_reported_and_the_counts_add_up(tmp_path):
    cases = write(tmp_path / "cases.jsonl", "".join(ROWS))
    result = run_cli("check", "--cases", cases, "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--keep-going",
                     "--rejects", str(tmp_path / "r.jsonl"), "--summary", str(tmp_path / "s.json"), "--chunk", "3", "--jobs", "2")
    assert result.code == 2
    assert [d["record"] for d in read_jsonl(tmp_path / "d.jsonl")] == ["C-1", "C-2", "C-5"]
    rejects = read_jsonl(tmp_path / "r.jsonl")
    assert [(r["file"], r["line"]) for r in rejects] == [(cases, 2), (cases, 5), (cases, 6), (cases, 7)]
    assert "unknown severity 7" in rejects[1]["problems"][0]
    assert "has no UTC offset" in rejects[2]["problems"][0]
    assert rejects[3]["problems"] == [f"{cases}:7: record C-1: id: duplicate record id (first at {cases}:1)"]
    assert rejects[0]["row"] == "{not json"  # the row as read, to fix and feed again
    for line in (2, 5, 6, 7):
        assert f"{cases}:{line}: " in result.err
    counts = json.loads((tmp_path / "s.json").read_text())["counts"]["cases"]
    assert counts == {"read": 7, "evaluated": 3, "rejected": 4, "outside": 0}  # the blank line is not a row
    assert "cases: 7 read = 3 evaluated + 4 rejected" in result.err
    assert "4 rejected row(s) written to" in result.err


def test_a_csv_row_with_the_wrong_number_of_cells_names_its_line(tmp_path):
    csv = write(tmp_path / "incidents.csv", "id,customer,start,end,functions,cause\n"
                "INC-1,acme,2024-03-10T00:00:00Z,2024-03-10T00:10:00Z,inbound_voice,genesys\n"
                "INC-2,acme,2024-03-10T00:00:00Z\n"
                "INC-3,acme,2024-03-10T00:20:00Z,2024-03-10T00:10:00Z,inbound_voice,genesys\n"
                "INC-4,acme,2024-03-11T00:20:00Z,2024-03-11T00:30:00Z,teleportation,genesys\n")
    result = run_cli("check", "--outages", csv, "--months", "2024-03", "--now", NOW, "--keep-going",
                     "--rejects", str(tmp_path / "r.jsonl"), "--summary", str(tmp_path / "s.json"))
    assert result.code == 2
    assert f"{csv}:3: 3 cells where the header has 6 columns" in result.err
    assert f"{csv}:4: record INC-3: end: outage ends" in result.err
    assert f"{csv}:5: record INC-4: functions[0]: unknown function 'teleportation'" in result.err
    counts = json.loads((tmp_path / "s.json").read_text())["counts"]["outages"]
    assert counts["read"] == 4 == counts["evaluated"] + counts["rejected"] + counts["outside"]


def test_exit_codes_follow_fail_on(tmp_path):
    met = write(tmp_path / "met.jsonl", GOOD % 1)
    late = write(tmp_path / "late.jsonl", (GOOD % 1).replace("10:00:00Z", "12:00:00Z"))
    portal_sev1 = write(tmp_path / "v.jsonl", (GOOD % 1).replace('"severity": 2', '"severity": 1'))
    assert run_cli("check", "--cases", met, "--now", NOW).code == 0
    assert run_cli("check", "--cases", late, "--now", NOW).code == 1
    assert run_cli("check", "--cases", late, "--now", NOW, "--fail-on", "violation").code == 0
    assert run_cli("check", "--cases", portal_sev1, "--now", NOW, "--fail-on", "violation").code == 1
    assert run_cli("check", "--cases", portal_sev1, "--now", NOW, "--fail-on", "breached").code == 0
    assert run_cli("check", "--cases", late, "--now", NOW, "--fail-on", "none").code == 0


def test_cases_can_come_from_standard_input(tmp_path):
    result = run_cli("check", "--cases", "-", "--now", NOW, "-o", str(tmp_path / "d.jsonl"), stdin=GOOD % 1 + GOOD % 2)
    assert result.code == 0, result.err
    assert len(read_jsonl(tmp_path / "d.jsonl")) == 2
    csv = "id,customer,severity,channel,submitted_at,events\nC-1,acme,3,phone,2024-03-05T09:30:00Z,[]\n"
    result = run_cli("check", "--cases", "-", "--now", NOW, "-o", str(tmp_path / "e.jsonl"), stdin=csv)
    assert result.code == 1 and "<stdin>" not in result.err  # no response at all by 2025: breached, not a bad row


def test_the_progress_line_is_shown_only_on_a_terminal(tmp_path):
    import io

    from engine.cli import main

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    cases = write(tmp_path / "cases.jsonl", "".join(GOOD % i for i in range(1, 3000)))
    for args, shown in (((), True), (("--quiet",), False)):
        err = Terminal()
        main(["check", "--cases", cases, "--now", NOW, "--chunk", "10", *args], stdout=io.StringIO(), stderr=err)
        assert ("records/s" in err.getvalue() or "/s" in err.getvalue()) is shown
    err = io.StringIO()
    main(["check", "--cases", cases, "--now", NOW], stdout=io.StringIO(), stderr=err)
    assert "\r" not in err.getvalue()


def test_duplicate_ids_are_found_exactly_whatever_their_characters(tmp_path):
    ids = ["Ü-1", "C-1", "Ü-1", "C-1\ud800", "C-\U0001f600", "C-\U0001f600", "C-2"]
    rows = "".join((GOOD % 0).replace('"C-0"', json.dumps(i)) for i in ids)
    cases = write(tmp_path / "cases.jsonl", rows)
    result = run_cli("check", "--cases", cases, "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--keep-going",
                     "--rejects", str(tmp_path / "r.jsonl"), "--quiet")
    assert result.code == 2
    rejects = read_jsonl(tmp_path / "r.jsonl")
    assert [r["line"] for r in rejects] == [3, 4, 6]
    assert "duplicate record id (first at" in rejects[0]["problems"][0]
    assert "unpaired UTF-16 surrogate" in rejects[1]["problems"][0]  # not a character: cannot be written out
    assert [d["record"] for d in read_jsonl(tmp_path / "d.jsonl")] == ["Ü-1", "C-1", "C-\U0001f600", "C-2"]


def test_a_row_nested_too_deeply_is_a_bad_row_not_a_crash(tmp_path):
    cases = write(tmp_path / "cases.jsonl", GOOD % 1 + '{"a":' * 50_000 + "1" + "}" * 50_000 + "\n" + GOOD % 2)
    result = run_cli("check", "--cases", cases, "--now", NOW, "--keep-going", "--rejects", str(tmp_path / "r.jsonl"), "--quiet")
    assert result.code == 2
    assert f"{cases}:2: JSON nested too deeply to be a record" in result.err
