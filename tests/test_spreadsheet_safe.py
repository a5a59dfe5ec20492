"""Issue 14 item 4: spreadsheet-safe CSV, safe Markdown.

A cell the engine writes to CSV that begins with =, +, -, @, tab or carriage
return is neutralised as OWASP recommends (a leading single quote), so a
spreadsheet never runs it as a formula; plain numbers stay numbers. Markdown
reports escape HTML in ids, names and clause texts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli
from engine.io.csvsafe import neutralise

FORMULA = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", FORMULA])
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(cell: str):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["acme", "-5", "+3.25", "99.99", "", "2024-03"])
def test_plain_text_and_numbers_are_left_alone(cell: str):
    assert neutralise(cell) == cell


def test_check_summary_csv_neutralises_a_formula_in_a_customer_name(tmp_path: Path):
    contracts = tmp_path / "contracts.csv"
    contracts.write_text("customer,billing,monthly_commitment,annual_commitment,currency\n"
                         '"=HYPERLINK(""http://x"",""y"")",month_to_month,10000.00,,USD\n', encoding="utf-8")
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("id,customer,start,end,functions,cause\n"
                         'I-1,"=HYPERLINK(""http://x"",""y"")",2024-03-12T02:00:00Z,2024-03-12T04:40:00Z,inbound_voice,genesys\n',
                         encoding="utf-8")
    summary = tmp_path / "s.csv"
    run = run_cli("check", "--contracts", str(contracts), "--outages", str(incidents), "--months", "2024-03",
                  "--summary", str(summary), "--quiet", "--fail-on", "none")
    assert run.code == 0, run.err
    rows = [r for r in csv.DictReader(io.StringIO(summary.read_text(encoding="utf-8"))) if r["section"] == "customer_month"]
    assert [r["customer"] for r in rows] == ["'" + FORMULA]
    assert rows[0]["uptime_percent"] == "99.641577"


def test_a_markdown_report_escapes_html_in_titles_ids_and_texts(tmp_path: Path):
    bundle = yaml.safe_load((ROOT / "examples" / "disputes" / "01-simple-timely-claim.yaml").read_text(encoding="utf-8"))
    bundle["title"] = "<script>alert(1)</script> & co"
    bundle["records"][1]["id"] = "CLM-<img src=x onerror=alert(1)>"
    bundle.pop("expected", None)
    src = tmp_path / "d.yaml"
    src.write_text(yaml.safe_dump(bundle, allow_unicode=True), encoding="utf-8")
    run = run_cli("report", str(src), "--format", "markdown")
    assert run.code == 0, run.err
    assert "<script>" not in run.out and "<img" not in run.out
    assert "&lt;script&gt;" in run.out or "&lt;script>" in run.out
    assert "&amp; co" in run.out
