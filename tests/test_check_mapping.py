"""Column mappings: exports with their own column names become core records."""

from __future__ import annotations

from pathlib import Path

from check_helpers import NOW, generate, read_jsonl, write
from conftest import run_cli

TICKETING_HEADER = ("Case Number,Account Name,Priority,Case Origin,Created Date,Auto-Reply Date,"
                    "Critical Support Requested Date,Priority Changed Date,New Priority,First Response Date,First Response Channel\n")


def test_ticketing_export_gives_the_same_decisions_as_the_core_format(tmp_path):
    data = generate(tmp_path / "data")
    core = run_cli("check", "--cases", str(data / "cases.jsonl"), "--now", NOW, "-o", str(tmp_path / "core.jsonl"), "--quiet")
    export = run_cli("check", "--cases", str(data / "cases-ticketing.csv"), "--mapping", "ticketing-export", "--now", NOW,
                     "-o", str(tmp_path / "export.jsonl"), "--quiet")
    assert core.code == export.code == 1, core.err + export.err
    assert (tmp_path / "export.jsonl").read_bytes() == (tmp_path / "core.jsonl").read_bytes()
    assert len(read_jsonl(tmp_path / "export.jsonl")) == 600


def test_first_response_columns_become_a_human_response_event(tmp_path):
    csv = write(tmp_path / "cases.csv", TICKETING_HEADER +
                "C-1,acme,P1 - Critical,Phone,2024-03-05 09:30:00,,,,,2024-03-05 09:38:30,Phone\n"
                "C-2,acme,P2 - High,Web,2024-03-05 09:30:00,2024-03-05 09:30:05,,,,2024-03-05 12:00:00,\n")
    result = run_cli("check", "--cases", csv, "--mapping", "ticketing-export", "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--quiet")
    assert result.code == 1, result.err
    first, second = read_jsonl(tmp_path / "d.jsonl")
    assert first["result"]["response_minutes"] == "8.5" and first["result"]["response_met"] is True
    # an empty First Response Channel is a case note; the auto-reply never counts
    assert second["result"]["response_minutes"] == "150" and second["result"]["response_met"] is False


def test_critical_request_and_priority_change_columns_become_events(tmp_path):
    csv = write(tmp_path / "cases.csv", TICKETING_HEADER +
                "C-1,acme,P3 - Medium,Web,2024-06-03 09:00:00,,2024-06-03 09:20:00,2024-06-03 09:10:00,P1 - Critical,2024-06-03 09:25:00,Phone\n")
    result = run_cli("check", "--cases", csv, "--mapping", "ticketing-export", "--now", NOW, "-o", str(tmp_path / "d.jsonl"),
                     "--quiet", "--fail-on", "none")
    assert result.code == 0, result.err
    [decision] = read_jsonl(tmp_path / "d.jsonl")
    assert decision["result"]["current_severity"] == 1
    assert decision["result"]["clock_start"] == "2024-06-03T09:20:00Z"  # the phone request starts the Sev1 clock
    assert decision["result"]["response_minutes"] == "5"


def test_an_unknown_priority_names_the_column_and_the_known_values(tmp_path):
    csv = write(tmp_path / "cases.csv", TICKETING_HEADER + "C-1,acme,Urgent,Phone,2024-03-05 09:30:00,,,,,,\n")
    result = run_cli("check", "--cases", csv, "--mapping", "ticketing-export", "--now", NOW, "--quiet")
    assert result.code == 2
    assert f"{csv}:2: severity: unknown value 'Urgent'" in result.err
    assert "(column 'Priority')" in result.err and "'P1 - Critical'" in result.err


def test_a_time_without_offset_is_an_error_unless_the_mapping_declares_the_zone(tmp_path):
    mapping = write(tmp_path / "m.yaml", "mapping: no-zone\nsource: cases\nfields:\n  id: Case Number\n  customer: Account Name\n"
                    "  severity: {column: Priority, type: integer}\n  channel: {value: phone}\n  submitted_at: {column: Created, type: time}\n")
    csv = write(tmp_path / "cases.csv", "Case Number,Account Name,Priority,Created\nC-1,acme,2,2024-03-05 09:30:00\n")
    result = run_cli("check", "--cases", csv, "--mapping", mapping, "--now", NOW, "--quiet")
    assert result.code == 2
    assert "has no UTC offset" in result.err and "(column 'Created')" in result.err
    zoned = write(tmp_path / "z.yaml", Path(mapping).read_text() + "timezone: Asia/Shanghai\n")
    result = run_cli("check", "--cases", csv, "--mapping", zoned, "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--quiet")
    assert result.code in (0, 1), result.err
    [decision] = read_jsonl(tmp_path / "d.jsonl")
    assert decision["result"]["clock_start"] == "2024-03-05T01:30:00Z"  # 09:30 in Shanghai


def test_core_csv_cases_carry_their_events_as_json(tmp_path):
    csv = write(tmp_path / "cases.csv", 'id,customer,severity,channel,submitted_at,events\n'
                'C-1,acme,1,phone,2024-03-05T09:30:00Z,"[{""type"": ""human_response"", ""at"": ""2024-03-05T09:38:30Z"", ""via"": ""phone""}]"\n')
    result = run_cli("check", "--cases", csv, "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--quiet")
    assert result.code == 0, result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["response_minutes"] == "8.5"


def test_the_core_mapping_is_strict_about_unknown_fields(tmp_path):
    cases = write(tmp_path / "cases.jsonl", '{"id": "C-1", "customer": "acme", "severity": 2, "channel": "portal", '
                  '"submited_at": "2024-03-05T09:30:00Z", "events": []}\n')
    result = run_cli("check", "--cases", cases, "--now", NOW, "--quiet")
    assert result.code == 2
    assert f"{cases}:1: record C-1: submited_at: unknown key 'submited_at'; did you mean 'submitted_at'?" in result.err


def test_a_broken_mapping_file_is_reported_with_its_line(tmp_path):
    mapping = write(tmp_path / "m.yaml", "mapping: broken\nsource: cases\nfeilds:\n  id: Case Number\n")
    result = run_cli("check", "--cases", write(tmp_path / "c.csv", "Case Number\nC-1\n"), "--mapping", mapping, "--quiet")
    assert result.code == 2
    assert f"{mapping}:3: feilds: unknown key 'feilds'; did you mean 'fields'?" in result.err


def test_a_mapping_names_its_source_and_must_match_a_given_one(tmp_path):
    result = run_cli("check", "--claims", write(tmp_path / "c.jsonl", ""), "--mapping", "ticketing-export", "--quiet")
    assert result.code == 2 and "is for --cases, which is not given" in result.err
    result = run_cli("check", "--cases", write(tmp_path / "d.jsonl", ""), "--mapping", "no-such-mapping", "--quiet")
    assert result.code == 2 and "no bundled mapping of that name" in result.err and "ticketing-export" in result.err


def test_incident_export_maps_force_majeure_to_the_beyond_reasonable_control_exclusion(tmp_path):
    csv = write(tmp_path / "incidents.csv",
                "Incident,Account,Started,Resolved,Affected Services,Root Cause Category\n"
                "INC-1,acme,2024-03-12 02:00:00,2024-03-12 04:00:00,inbound_voice;ivr_routing,Force Majeure\n"
                "INC-2,acme,2024-03-13 02:00:00,2024-03-13 03:00:00,inbound_voice,Genesys\n")
    out = tmp_path / "d.jsonl"
    result = run_cli("check", "--outages", csv, "--mapping", "incident-export", "--months", "2024-03..2024-03",
                     "-o", str(out), "--quiet")
    assert result.code == 1, result.err  # the Genesys hour still costs a credit tier
    [month] = read_jsonl(out)
    assert (month["result"]["unavailable_minutes"], month["result"]["excluded_minutes"]) == ("180", "120")


def test_ticketing_export_duty_columns_become_duty_findings_and_missing_ones_stay_unknown(tmp_path):
    header = TICKETING_HEADER.rstrip("\n") + ",Org ID Provided,Troubleshooting Done\n"
    csv = write(tmp_path / "cases.csv", header +
                "C-1,acme,P2 - High,Web,2024-03-05 09:30:00,,,,,2024-03-05 10:00:00,,No,\n"
                "C-2,acme,P2 - High,Web,2024-03-05 09:30:00,,,,,2024-03-05 10:00:00,,Yes,Yes\n")
    result = run_cli("check", "--cases", csv, "--mapping", "ticketing-export", "--now", NOW, "-o", str(tmp_path / "d.jsonl"), "--quiet")
    assert result.code == 1, result.err
    first, second = ({f["rule"]: f["outcome"] for f in d["findings"]} for d in read_jsonl(tmp_path / "d.jsonl"))
    assert (first["case.portal_organisation_id"], first["case.initial_troubleshooting"]) == ("violation", "info")
    assert (second["case.portal_organisation_id"], second["case.initial_troubleshooting"]) == ("met", "met")
    assert first["case.portal_customer_name"] == "info" and first["case.response_target"] == "met"
