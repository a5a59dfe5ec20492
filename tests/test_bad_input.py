"""Bad input through the `sla` command line, in-process.

Every malformed record or file: exit 2, ONE clear stderr line naming the file,
the line (where there is one), the record id and the field path, an empty
stdout (never partial output) and no traceback. `--keep-going` decides the
valid records, reports each rejected one and accounts for every record read.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import engine.io.atomic
from conftest import ROOT, Run, case, claim, outage, run_cli, uptime

NOW = ("--now", "2030-01-01T00:00:00Z")
SUMMARY = re.compile(r"^(\d+) of (\d+) record\(s\) rejected(?:, (\d+) evaluated|; nothing was written.*)$")


# ---------------------------------------------------------------- helpers

def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write bytes exactly as given (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def evaluate(*args: str, stdin: str = "") -> Run:
    return run_cli("evaluate", *args, *NOW, "--format", "json", stdin=stdin)


def problem_lines(run: Run) -> list[str]:
    """stderr without the final count line."""
    return [l for l in run.err.splitlines() if l and not SUMMARY.match(l)]


def assert_clean_failure(run: Run) -> None:
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    assert run.code == 2, (run.code, run.err)
    assert run.out == "", "nothing is printed on bad input"


def assert_one_problem(run: Run, where: str, message: str) -> str:
    """Exit 2, empty stdout, and exactly one problem line: `where: ...message...`."""
    assert_clean_failure(run)
    lines = problem_lines(run)
    assert len(lines) == 1, run.err
    line = lines[0]
    assert line.startswith(where + ": "), f"{line!r} does not start with {where!r}"
    assert message in line[len(where):], f"{message!r} not in {line!r}"
    return line


def summary(run: Run) -> tuple[int, int, int | None]:
    last = run.err.splitlines()[-1]
    m = SUMMARY.match(last)
    assert m, f"no count line at the end of stderr: {last!r}"
    return int(m[1]), int(m[2]), int(m[3]) if m[3] is not None else None


def yaml_case(rid: str = "C-1", submitted_at: str = "'2024-06-03T09:00:00Z'", indent: str = "") -> str:
    first = "- " if indent else ""
    lines = [f"type: case", f"id: {rid}", "customer: acme", "severity: 2", "channel: portal",
             f"submitted_at: {submitted_at}", "events: []"]
    return first + ("\n" + indent).join(lines) + "\n"


# ---------------------------------------------------------------- unreadable files

def test_invalid_json_is_rejected_with_file_and_line(tmp_path):
    f = write(tmp_path, "bad.json", '{"type": "case",\n "id": "C-1"\n "customer": "acme"}\n')
    assert_one_problem(evaluate(str(f)), f"{f}:3", "not valid JSON")


def test_invalid_jsonl_line_is_rejected_with_its_line_number(tmp_path):
    f = write(tmp_path, "bad.jsonl", jsonl(case(id="C-1"), case(id="C-2")) + '{"type": "case", "id": \n' + jsonl(case(id="C-4")))
    run = evaluate(str(f))
    assert_one_problem(run, f"{f}:3", "not valid JSON")
    assert summary(run)[:2] == (1, 4)


def test_invalid_yaml_is_rejected_with_its_line_number(tmp_path):
    f = write(tmp_path, "bad.yaml", "type: case\nid: C-1\ncustomer: acme\n  severity: 2\nchannel: portal\n")
    assert_one_problem(evaluate(str(f)), f"{f}:4", "not valid YAML")


def test_json_array_whose_third_element_is_invalid_names_that_elements_line(tmp_path):
    body = "[\n" + json.dumps(case(id="C-1")) + ",\n" + json.dumps(case(id="C-2")) + ",\n" + json.dumps(case(id="C-3", severity=7)) + "\n]\n"
    f = write(tmp_path, "arr.json", body)
    assert_one_problem(evaluate(str(f)), f"{f}:4: record C-3: severity", "unknown severity 7")


def test_json_array_whose_third_element_is_not_json_names_that_elements_line(tmp_path):
    body = "[\n" + json.dumps(case(id="C-1")) + ",\n" + json.dumps(case(id="C-2")) + ',\n{"type": oops}\n]\n'
    f = write(tmp_path, "arr.json", body)
    assert_one_problem(evaluate(str(f)), f"{f}:4", "not valid JSON")


def test_json_with_duplicate_keys_is_rejected(tmp_path):
    f = write(tmp_path, "dup.json", json.dumps(case())[:-1] + ', "id": "C-2"}')
    assert_one_problem(evaluate(str(f)), str(f), "duplicate key 'id'")


def test_non_utf8_bytes_are_rejected_with_their_line(tmp_path):
    f = write(tmp_path, "latin1.jsonl", jsonl(case(id="C-1")).encode() + '{"type": "case", "id": "C-2", "customer": "Müller"}\n'.encode("latin-1"))
    assert_one_problem(evaluate(str(f)), f"{f}:2", "not UTF-8")


def test_missing_file_is_rejected_by_name(tmp_path):
    assert_one_problem(evaluate(str(tmp_path / "nope.json")), str(tmp_path / "nope.json"), "cannot read")


def test_unknown_file_suffix_is_rejected_by_name(tmp_path):
    f = write(tmp_path, "records.txt", json.dumps(case()))
    assert_one_problem(evaluate(str(f)), str(f), "unknown file type '.txt'")


# ---------------------------------------------------------------- records that break the schema

def test_unknown_field_is_rejected_with_did_you_mean(tmp_path):
    raw = case(id="CASE-7")
    raw["submited_at"] = raw.pop("submitted_at")
    f = write(tmp_path, "c.json", json.dumps(raw))
    # one mistake, one line: the misspelt key is not also reported as a missing field
    assert_one_problem(evaluate(str(f)), f"{f}:1: record CASE-7: submited_at",
                       "unknown key 'submited_at'; did you mean 'submitted_at'?")


def test_unknown_record_type_is_rejected_with_the_known_types(tmp_path):
    f = write(tmp_path, "c.json", json.dumps(case(id="X-1", type="cas")))
    line = assert_one_problem(evaluate(str(f)), f"{f}:1: record X-1: type", "unknown record type 'cas'")
    assert "did you mean 'case'" in line and "case, uptime, credit_claim" in line


def test_missing_type_is_rejected(tmp_path):
    raw = case(id="X-2")
    del raw["type"]
    f = write(tmp_path, "c.json", json.dumps(raw))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record X-2: type", "missing field 'type'")


def test_record_that_is_not_an_object_is_rejected(tmp_path):
    f = write(tmp_path, "c.json", "[\n" + json.dumps(case()) + ",\n42\n]")
    assert_one_problem(evaluate(str(f)), f"{f}:3", "a record is a JSON object; got int")


def test_month_out_of_range_is_rejected(tmp_path):
    f = write(tmp_path, "u.json", json.dumps(uptime([], month="2024-13", id="U-13")))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record U-13: month", "'2024-13' is not a real month")


@pytest.mark.parametrize("amount, shown", [(100.5, "got 100.5"), ("ten", 'got "ten"')], ids=["json-number", "word"])
def test_money_that_is_not_a_decimal_string_is_rejected(tmp_path, amount, shown):
    raw = claim(id="K-9")
    raw["contract"]["monthly_commitment"] = amount
    f = write(tmp_path, "k.json", json.dumps(raw))
    line = assert_one_problem(evaluate(str(f)), f"{f}:1: record K-9: contract.monthly_commitment",
                              "expected an amount as a decimal string")
    # a JSON number is shown as the number it was, not as if it had been a string
    assert line.endswith(shown)


# ---------------------------------------------------------------- times

def test_naive_timestamp_is_rejected_with_record_and_field(tmp_path):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="CASE-1"), case(id="CASE-9", submitted_at="2024-03-05T09:30:00")))
    line = assert_one_problem(evaluate(str(f)), f"{f}:2: record CASE-9: submitted_at", "has no UTC offset")
    assert line == (f"{f}:2: record CASE-9: submitted_at: '2024-03-05T09:30:00' has no UTC offset; "
                    "a naive time is ambiguous, write e.g. 2024-03-05T09:30:00Z or 2024-03-05T09:30:00+08:00")


@pytest.mark.parametrize("field", ["start", "end"])
def test_naive_outage_time_is_rejected_with_its_path(tmp_path, field):
    o = outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z")
    o[field] = o[field].rstrip("Z")
    f = write(tmp_path, "u.json", json.dumps(uptime([outage("2024-03-01T00:00:00Z", "2024-03-01T00:10:00Z"), o], id="U-2")))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record U-2: outages[1].{field}", "has no UTC offset")


def test_naive_timestamp_in_yaml_names_the_fields_own_line(tmp_path):
    f = write(tmp_path, "c.yaml", yaml_case("C-1", indent="  ") + yaml_case("C-2", "'2024-06-03T09:00:00'", indent="  "))
    # the second record starts on line 8; its submitted_at is its 6th line
    assert_one_problem(evaluate(str(f)), f"{f}:13: record C-2: submitted_at", "has no UTC offset")


def test_outage_ending_before_it_starts_is_rejected(tmp_path):
    f = write(tmp_path, "u.json", json.dumps(uptime([outage("2024-03-12T02:00:00Z", "2024-03-12T01:59:59Z")], id="U-3")))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record U-3: outages[0].end", "before it starts")


def test_event_before_submission_is_rejected(tmp_path):
    events = [{"type": "automated_reply", "at": "2024-06-03T09:00:00Z"},
              {"type": "human_response", "at": "2024-06-03T08:59:59Z", "via": "phone"}]
    f = write(tmp_path, "c.json", json.dumps(case(id="C-5", events=events)))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record C-5: events[1].at", "before the case was submitted")


# ---------------------------------------------------------------- values the policy defines

def test_unknown_severity_is_rejected_with_record_and_field(tmp_path):
    f = write(tmp_path, "c.json", json.dumps(case(id="C-7", severity=7)))
    line = assert_one_problem(evaluate(str(f)), f"{f}:1: record C-7: severity", "unknown severity 7")
    assert "1, 2, 3, 4" in line


def test_unknown_severity_in_a_severity_change_is_rejected(tmp_path):
    events = [{"type": "severity_change", "at": "2024-06-03T09:05:00Z", "to": 5}]
    f = write(tmp_path, "c.json", json.dumps(case(id="C-8", events=events)))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record C-8: events[0].to", "unknown severity 5")


def test_unknown_function_is_rejected_with_did_you_mean(tmp_path):
    f = write(tmp_path, "u.json", json.dumps(uptime([outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z",
                                                            ["inbound_voice", "inbound_vocie"])], id="U-4")))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record U-4: outages[0].functions[1]",
                       "unknown function 'inbound_vocie'; did you mean 'inbound_voice'?")


def test_unknown_cause_is_rejected(tmp_path):
    f = write(tmp_path, "u.json", json.dumps(uptime([outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z", cause="aliens")], id="U-5")))
    line = assert_one_problem(evaluate(str(f)), f"{f}:1: record U-5: outages[0].cause", "unknown cause 'aliens'")
    assert "genesys" in line and "customer_internet" in line


def test_unknown_channel_is_rejected(tmp_path):
    f = write(tmp_path, "c.json", json.dumps(case(id="C-9", channel="email")))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record C-9: channel", "unknown channel 'email'; expected one of phone, portal")


def test_unknown_cause_in_a_claims_outage_is_rejected(tmp_path):
    raw = claim(id="K-2", outages=[outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z", cause="solar_flare")])
    f = write(tmp_path, "k.json", json.dumps(raw))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record K-2: outages[0].cause", "unknown cause 'solar_flare'")


def test_record_before_the_earliest_revision_is_rejected_naming_it(tmp_path):
    f = write(tmp_path, "c.json", json.dumps(case(id="C-OLD", submitted_at="2020-06-03T09:00:00Z")))
    assert_one_problem(evaluate(str(f)), f"{f}:1: record C-OLD: submitted_at", "earliest revision of genesys-cloud (2021-01-19")


# ---------------------------------------------------------------- duplicates

def test_duplicate_record_id_rejects_the_second_and_names_the_first(tmp_path):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="C-1"), case(id="C-2"), case(id="C-1")))
    assert_one_problem(evaluate(str(f)), f"{f}:3: record C-1: id", f"duplicate record id (first at {f}:1)")


def test_duplicate_record_id_across_files_names_the_first_file(tmp_path):
    a = write(tmp_path, "a.jsonl", jsonl(case(id="C-1")))
    b = write(tmp_path, "b.json", "[\n" + json.dumps(case(id="C-2")) + ",\n" + json.dumps(case(id="C-1")) + "\n]")
    assert_one_problem(evaluate(str(a), str(b)), f"{b}:3: record C-1: id", f"first at {a}:1")


# ---------------------------------------------------------------- YAML safety

def test_yaml_alias_in_a_record_file_is_rejected_at_the_alias(tmp_path):
    text = yaml_case("C-1", indent="  ").replace("customer: acme", "customer: &who acme")
    text += yaml_case("C-2", indent="  ").replace("customer: acme", "customer: *who")
    f = write(tmp_path, "c.yaml", text)
    assert text.splitlines()[9] == "  customer: *who"
    assert_one_problem(evaluate(str(f)), f"{f}:10: [1].customer", "YAML aliases (*name) are not allowed")


def test_yaml_alias_of_a_whole_record_is_rejected(tmp_path):
    text = ("- &rec\n"
            "  type: case\n  id: C-1\n  customer: acme\n  severity: 2\n  channel: portal\n"
            "  submitted_at: '2024-06-03T09:00:00Z'\n"
            "- *rec\n")
    f = write(tmp_path, "c.yaml", text)
    assert text.splitlines()[7] == "- *rec"
    assert_one_problem(evaluate(str(f)), f"{f}:8: [1]", "YAML aliases (*name) are not allowed")


def test_yaml_python_tag_in_a_record_file_is_rejected(tmp_path):
    f = write(tmp_path, "c.yaml", yaml_case("C-1").replace("customer: acme", "customer: !!python/object/apply:os.getcwd []"))
    assert_one_problem(evaluate(str(f)), f"{f}:3: customer", "YAML tag !!python/object/apply:os.getcwd is not allowed")


# ---------------------------------------------------------------- accepted encodings

@pytest.mark.parametrize("suffix", ["json", "jsonl", "yaml"])
def test_utf8_bom_is_accepted(tmp_path, suffix):
    body = {"json": json.dumps(case()), "jsonl": jsonl(case()), "yaml": yaml_case()}[suffix]
    f = write(tmp_path, f"c.{suffix}", "\ufeff" + body)
    run = evaluate(str(f))
    assert run.code in (0, 1), run.err
    assert [d["record"] for d in run.json()] == ["C-1"]


@pytest.mark.parametrize("suffix", ["json", "jsonl", "yaml"])
def test_crlf_line_ends_are_accepted(tmp_path, suffix):
    body = {"json": "[\n" + json.dumps(case(id="C-1")) + ",\n" + json.dumps(case(id="C-2")) + "\n]\n",
            "jsonl": jsonl(case(id="C-1"), case(id="C-2")),
            "yaml": yaml_case("C-1", indent="  ") + yaml_case("C-2", indent="  ")}[suffix]
    f = write(tmp_path, f"c.{suffix}", body.replace("\n", "\r\n"))
    run = evaluate(str(f))
    assert run.code in (0, 1), run.err
    assert [d["record"] for d in run.json()] == ["C-1", "C-2"]


def test_crlf_line_ends_keep_line_numbers_right(tmp_path):
    body = jsonl(case(id="C-1"), case(id="C-2"), case(id="C-3", severity=9)).replace("\n", "\r\n")
    f = write(tmp_path, "c.jsonl", body)
    assert_one_problem(evaluate(str(f)), f"{f}:3: record C-3: severity", "unknown severity 9")


@pytest.mark.parametrize("suffix, body", [("json", ""), ("json", "  \n"), ("jsonl", ""), ("jsonl", "\n  \n\r\n"), ("yaml", ""), ("yaml", "# nothing\n")])
def test_empty_file_gives_an_empty_array_and_exit_0(tmp_path, suffix, body):
    f = write(tmp_path, f"empty.{suffix}", body)
    run = evaluate(str(f))
    assert run.code == 0, run.err
    assert run.json() == []
    assert run.err == ""


# ---------------------------------------------------------------- --keep-going

def test_keep_going_decides_the_valid_records_and_reports_each_rejected_one(tmp_path):
    good = write(tmp_path, "a.jsonl", jsonl(case(id="C-1"), case(id="C-2", severity=7), case(id="C-3"))
                 + '{"broken\n' + jsonl(case(id="C-5", channel="fax"), case(id="C-6")))
    run = run_cli("evaluate", str(good), "--keep-going", *NOW, "--format", "json")
    assert run.code == 2
    assert [d["record"] for d in run.json()] == ["C-1", "C-3", "C-6"]  # input order
    lines = problem_lines(run)
    assert len(lines) == 3
    assert lines[0].startswith(f"{good}:2: record C-2: severity: unknown severity 7")
    assert lines[1].startswith(f"{good}:4: not valid JSON")
    assert lines[2].startswith(f"{good}:5: record C-5: channel: unknown channel 'fax'")
    rejected, read, evaluated = summary(run)
    assert (rejected, read, evaluated) == (3, 6, 3)
    assert read == rejected + evaluated


def test_keep_going_counts_add_up_when_a_whole_file_is_unreadable(tmp_path):
    a = write(tmp_path, "a.jsonl", jsonl(case(id="C-1"), case(id="C-2")))
    b = write(tmp_path, "b.json", '{"type": "case", oops}')
    c = write(tmp_path, "c.yaml", "key: [unclosed\n")
    run = run_cli("evaluate", str(a), str(b), str(c), "--keep-going", *NOW, "--format", "json")
    assert run.code == 2
    assert [d["record"] for d in run.json()] == ["C-1", "C-2"]
    assert len(problem_lines(run)) == 2
    rejected, read, evaluated = summary(run)
    assert (rejected, evaluated) == (2, 2)
    assert read == rejected + evaluated, run.err


def test_keep_going_counts_add_up_when_an_array_breaks_midway(tmp_path):
    body = "[\n" + json.dumps(case(id="C-1")) + ",\n" + json.dumps(case(id="C-2")) + ',\n{"type": oops}\n]\n'
    f = write(tmp_path, "arr.json", body)
    run = run_cli("evaluate", str(f), "--keep-going", *NOW, "--format", "json")
    assert run.code == 2
    rejected, read, evaluated = summary(run)
    assert evaluated == len(run.json()) == 2
    assert read == rejected + evaluated, run.err


def test_without_keep_going_one_bad_record_suppresses_all_output(tmp_path):
    f = write(tmp_path, "a.jsonl", jsonl(case(id="C-1"), case(id="C-2"), case(id="C-3", severity=0)))
    run = evaluate(str(f))
    assert_clean_failure(run)
    assert summary(run)[:2] == (1, 3)


# ---------------------------------------------------------------- standard input

STDIN = {
    "json-array": json.dumps([case(id="C-1"), case(id="C-2")], indent=2),
    "json-object": json.dumps(case(id="C-1"), indent=2),
    "jsonl": jsonl(case(id="C-1"), case(id="C-2")),
    "yaml-list": yaml_case("C-1", indent="  ") + yaml_case("C-2", indent="  "),
    "yaml-document": yaml_case("C-1"),
}


@pytest.mark.parametrize("kind", sorted(STDIN))
def test_stdin_dash_reads_every_format(kind):
    run = evaluate("-", stdin=STDIN[kind])
    assert run.code in (0, 1), run.err
    expected = ["C-1", "C-2"] if "C-2" in STDIN[kind] else ["C-1"]
    assert [d["record"] for d in run.json()] == expected


def test_stdin_bad_record_is_reported_with_its_line():
    run = evaluate("-", stdin=jsonl(case(id="C-1"), case(id="C-2", severity=7)))
    assert_one_problem(run, "<stdin>:2: record C-2: severity", "unknown severity 7")


def test_stdin_non_utf8_bytes_are_rejected_not_crashed():
    """A real stdin (bytes), in a subprocess: a clear error, exit 2, not an internal error."""
    data = json.dumps(case(id="C-1")).encode().replace(b"acme", b"\xffacme") + b"\n"
    proc = subprocess.run([sys.executable, "-m", "engine", "evaluate", "-", "--now", "2030-01-01T00:00:00Z", "--format", "json"],
                          input=data, capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=60)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    assert err.startswith("<stdin>:1: not UTF-8"), err
    assert "Traceback" not in err


# ---------------------------------------------------------------- -o FILE

def test_output_file_is_written_atomically_by_renaming_a_temporary_file(tmp_path, monkeypatch):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="C-1"), case(id="C-2")))
    out = tmp_path / "out" / "decisions.json"
    out.parent.mkdir()
    renames = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((Path(src), Path(dst), Path(src).read_text(encoding="utf-8")))
        return real_replace(src, dst)

    monkeypatch.setattr(engine.io.atomic.os, "replace", spy)
    run = run_cli("evaluate", str(f), "-o", str(out), *NOW, "--format", "json")
    assert run.code in (0, 1), run.err
    assert run.out == ""  # the decisions went to the file
    assert [d["record"] for d in json.loads(out.read_text(encoding="utf-8"))] == ["C-1", "C-2"]
    [(src, dst, content)] = renames
    assert dst == out and src.parent == out.parent and src != out
    assert content == out.read_text(encoding="utf-8")  # complete before the rename
    assert sorted(p.name for p in out.parent.iterdir()) == ["decisions.json"]  # no temporary left


def test_output_file_keeps_its_old_content_on_bad_input(tmp_path):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="C-1"), case(id="C-2", submitted_at="2024-06-03T09:00:00")))
    out = write(tmp_path, "out.json", "OLD CONTENT\n")
    run = run_cli("evaluate", str(f), "-o", str(out), *NOW, "--format", "json")
    assert_clean_failure(run)
    assert out.read_text(encoding="utf-8") == "OLD CONTENT\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "out.json"]


def test_output_file_keeps_its_old_content_when_writing_fails_midway(tmp_path, monkeypatch):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="C-1")))
    out = write(tmp_path, "out.json", "OLD CONTENT\n")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engine.io.atomic.os, "fsync", disk_full)
    run = run_cli("evaluate", str(f), "-o", str(out), *NOW, "--format", "json")
    assert_one_problem(run, str(out), "No space left on device")
    assert out.read_text(encoding="utf-8") == "OLD CONTENT\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "out.json"]


def test_output_into_a_missing_folder_is_a_usage_error_not_an_internal_error(tmp_path):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="C-1")))
    out = tmp_path / "no" / "such" / "out.json"
    run = run_cli("evaluate", str(f), "-o", str(out), *NOW, "--format", "json")
    assert_one_problem(run, str(out), "cannot write output")


def test_output_file_with_keep_going_holds_the_valid_decisions(tmp_path):
    f = write(tmp_path, "c.jsonl", jsonl(case(id="C-1"), case(id="C-2", severity=7)))
    out = write(tmp_path, "out.json", "OLD CONTENT\n")
    run = run_cli("evaluate", str(f), "-o", str(out), "--keep-going", *NOW, "--format", "json")
    assert run.code == 2
    assert run.out == ""
    assert [d["record"] for d in json.loads(out.read_text(encoding="utf-8"))] == ["C-1"]
    assert summary(run) == (1, 2, 1)


# ---------------------------------------------------------------- usage

def _valid_file(tmp_path: Path) -> Path:
    return write(tmp_path, "c.json", json.dumps(case()))


def test_now_without_an_offset_is_a_usage_error(tmp_path):
    run = run_cli("evaluate", str(_valid_file(tmp_path)), "--now", "2024-06-03T09:00:00", "--format", "json")
    assert_clean_failure(run)
    assert run.err.count("\n") == 1
    assert "--now: '2024-06-03T09:00:00' has no UTC offset" in run.err


def test_as_of_with_month_and_day_swapped_is_a_usage_error(tmp_path):
    run = run_cli("evaluate", str(_valid_file(tmp_path)), "--as-of", "2024-24-04", *NOW, "--format", "json")
    assert_clean_failure(run)
    assert run.err.count("\n") == 1
    assert "--as-of: '2024-24-04' is not a real date" in run.err and "month and day swapped?" in run.err


def test_unknown_option_is_a_usage_error(tmp_path):
    run = run_cli("evaluate", str(_valid_file(tmp_path)), "--fromat", "json")
    assert_clean_failure(run)
    assert "--fromat" in run.err


def test_sla_without_a_command_exits_2():
    run = run_cli()
    assert run.code == 2
    assert "Traceback" not in run.err


def test_evaluate_help_exits_0(capsys):
    run = run_cli("evaluate", "--help")
    assert run.code == 0
    assert run.err == ""
    assert "--keep-going" in run.out + capsys.readouterr().out  # argparse prints help to sys.stdout
