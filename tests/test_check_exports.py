"""Real-world CSV exports: separators, encodings, date orders, daylight saving."""

from __future__ import annotations

from pathlib import Path

from check_helpers import NOW, read_jsonl, write
from conftest import run_cli

MAPPING = ("mapping: eu-helpdesk\nsource: cases\nfields:\n  id: Ticket\n  customer: Org\n"
           "  severity: {column: Prio, type: integer}\n  channel: {value: phone}\n  submitted_at: {column: Opened, type: time}\n"
           "events:\n  - {type: human_response, at: Replied, via: {value: phone}}\n")


def mapping(tmp_path: Path, extra: str = "timezone: Europe/Berlin\n") -> str:
    return write(tmp_path / "m.yaml", MAPPING + extra)


def check(tmp_path: Path, csv: str, mapping_file: str, *more: str):
    return run_cli("check", "--cases", csv, "--mapping", mapping_file, "--now", NOW, "-o", str(tmp_path / "d.jsonl"),
                   "--fail-on", "none", *more)


def test_a_semicolon_export_is_read_with_the_mappings_delimiter(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket;Org;Prio;Opened;Replied\nT-1;acme;1;2024-03-05 09:30;2024-03-05 09:38\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\ndelimiter: ';'\n"), "--quiet")
    assert result.code == 0, result.err
    [decision] = read_jsonl(tmp_path / "d.jsonl")
    assert decision["result"]["response_minutes"] == "8"  # times without seconds are read


def test_a_sniffed_delimiter_is_stated(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket|Org|Prio|Opened|Replied\nT-1|acme|1|2024-03-05 09:30|2024-03-05 09:38\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\ndelimiter: auto\n"))
    assert result.code == 0, result.err
    assert f"--cases {csv}: cells separated by '|' (pipe) (detected from the header line)" in result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["response_minutes"] == "8"


def test_a_header_read_as_one_column_asks_about_semicolons(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket;Org;Prio;Opened;Replied\nT-1;acme;1;2024-03-05 09:30;2024-03-05 09:38\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert result.code == 2
    assert f"{csv}:1: the header is one column" in result.err and "is it separated by ';' (semicolon)?" in result.err
    assert "Traceback" not in result.err


def test_a_cp1252_export_is_read_in_its_encoding(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("Ticket,Org,Prio,Opened,Replied\nT-1,Müller Gärten,1,2024-03-05 09:30,2024-03-05 09:38\n".encode("cp1252"))
    result = check(tmp_path, str(path), mapping(tmp_path, "timezone: UTC\nencoding: cp1252\n"), "--quiet")
    assert result.code == 0, result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["record"] == "T-1"
    utf8 = check(tmp_path, str(path), mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert utf8.code == 2 and f"{path}:2: not UTF-8 text" in utf8.err  # the same bytes are not UTF-8


def test_an_encoding_error_names_its_true_line(tmp_path):
    rows = "".join(f"T-{i},acme,2,2024-03-05 09:30,2024-03-05 09:38\n" for i in range(1, 3000))
    path = tmp_path / "c.csv"
    path.write_bytes(("Ticket,Org,Prio,Opened,Replied\n" + rows).encode() + "T-3000,Müller,2,2024-03-05 09:30,\n".encode("cp1252"))
    result = check(tmp_path, str(path), mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert result.code == 2
    assert f"{path}:3001: not UTF-8 text" in result.err, result.err
    assert "encoding: cp1252" in result.err


def test_an_unknown_encoding_is_a_mapping_error(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\nencoding: klingon\n"), "--quiet")
    assert result.code == 2 and "unknown encoding 'klingon'" in result.err


def test_an_ambiguous_date_without_a_date_order_names_both_readings(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,03/05/2024 09:30,\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert result.code == 2
    assert "'03/05/2024 09:30' is ambiguous: 2024-05-03 (day-first) or 2024-03-05 (month-first)" in result.err
    assert "date_order" in result.err and "(column 'Opened')" in result.err


def test_a_date_that_reads_one_way_needs_no_date_order(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,13/05/2024 09:30,13/05/2024 10:00\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert result.code == 0, result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["clock_start"] == "2024-05-13T09:30:00Z"


def test_the_stated_date_order_reads_the_date(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,03.05.2024 09:30,03.05.2024 10:00\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\ndate_order: day-first\n"), "--quiet")
    assert result.code == 0, result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["clock_start"] == "2024-05-03T09:30:00Z"
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\ndate_order: month-first\n"), "--quiet")
    assert result.code == 0, result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["clock_start"] == "2024-03-05T09:30:00Z"


def test_a_time_format_contradicting_the_date_order_is_a_mapping_error(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\n")
    bad = mapping(tmp_path, "timezone: UTC\ndate_order: day-first\ntime_formats: ['%m/%d/%Y %H:%M']\n")
    result = check(tmp_path, csv, bad, "--quiet")
    assert result.code == 2 and "reads the date MDY, but `date_order` is day-first" in result.err


def test_a_local_time_in_a_daylight_saving_gap_is_an_error(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,2024-03-31 02:30,\n")
    result = check(tmp_path, csv, mapping(tmp_path), "--quiet")
    assert result.code == 2
    assert "'2024-03-31 02:30' does not exist in Europe/Berlin" in result.err and "daylight-saving gap" in result.err


def test_a_local_time_in_a_daylight_saving_overlap_is_an_error(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,2024-10-27 02:30,\n")
    result = check(tmp_path, csv, mapping(tmp_path), "--quiet")
    assert result.code == 2
    assert "'2024-10-27 02:30' happens twice in Europe/Berlin (a daylight-saving overlap: CEST +02:00 or CET +01:00)" in result.err


def test_a_local_time_outside_daylight_saving_changes_is_read_in_the_zone(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,2024-07-01 09:30,2024-07-01 10:00\n")
    result = check(tmp_path, csv, mapping(tmp_path), "--quiet")
    assert result.code == 0, result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["clock_start"] == "2024-07-01T07:30:00Z"


def test_a_jsonl_source_under_a_mapping_with_another_encoding_is_refused(tmp_path):
    jsonl = write(tmp_path / "c.jsonl", "")
    result = check(tmp_path, jsonl, mapping(tmp_path, "timezone: UTC\nencoding: cp1252\n"), "--quiet")
    assert result.code == 2 and "a JSONL file is UTF-8" in result.err


def test_a_semicolon_export_on_standard_input_is_sniffed(tmp_path):
    result = run_cli("check", "--cases", "-", "--mapping", mapping(tmp_path, "timezone: UTC\ndelimiter: auto\n"), "--now", NOW,
                     "-o", str(tmp_path / "d.jsonl"), "--fail-on", "none",
                     stdin="Ticket;Org;Prio;Opened;Replied\nT-1;acme;1;2024-03-05 09:30;2024-03-05 09:38\n")
    assert result.code == 0, result.err
    assert "--cases <stdin>: cells separated by ';' (semicolon)" in result.err
    assert read_jsonl(tmp_path / "d.jsonl")[0]["result"]["response_minutes"] == "8"


def test_a_date_without_a_time_is_not_a_timestamp(tmp_path):
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,2024-03-05,\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert result.code == 2 and "'2024-03-05' is a date without a time of day" in result.err
    csv = write(tmp_path / "c.csv", "Ticket,Org,Prio,Opened,Replied\nT-1,acme,2,03/05/2024,\n")
    result = check(tmp_path, csv, mapping(tmp_path, "timezone: UTC\n"), "--quiet")
    assert result.code == 2 and "'03/05/2024' is ambiguous" in result.err  # the order is the first thing to fix


def test_the_ticketing_export_reads_times_without_seconds(tmp_path):
    header = ("Case Number,Account Name,Priority,Case Origin,Created Date,Auto-Reply Date,Critical Support Requested Date,"
              "Priority Changed Date,New Priority,First Response Date,First Response Channel\n")
    csv = write(tmp_path / "c.csv", header + "C-1,acme,P1 - Critical,Phone,2024-03-05 09:30,,,,,03/05/2024 09:38,Phone\n")
    result = run_cli("check", "--cases", csv, "--mapping", "ticketing-export", "--now", NOW, "-o", str(tmp_path / "d.jsonl"),
                     "--quiet", "--fail-on", "none")
    assert result.code == 0, result.err
    [decision] = read_jsonl(tmp_path / "d.jsonl")
    assert decision["result"]["clock_start"] == "2024-03-05T09:30:00Z" and decision["result"]["response_minutes"] == "8"
