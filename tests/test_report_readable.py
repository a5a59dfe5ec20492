"""Reports a person would rather read: outage rows that add up to B and C, each
clause quoted once, amounts with currency and thousands separators, and a real
PDF (looked at as a picture)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from browser_helpers import REQUIRE, chromium, colours
from conftest import ROOT, run_cli

DISPUTES = ROOT / "examples" / "disputes"
OVERLAP = DISPUTES / "05-excluded-cause-overlapping-outage.yaml"
ANNUAL = DISPUTES / "08-annual-prepaid.yaml"


def _markdown(tmp_path: Path, bundle: Path, *args: str) -> str:
    out = tmp_path / "r.md"
    run = run_cli("report", str(bundle), "-o", str(out), *args)
    assert run.code == 0, run.err
    return out.read_text(encoding="utf-8")


def _outage_table(md: str) -> list[list[str]]:
    section = md.split("## Outages in", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def _fact(md: str, label: str) -> str:
    return re.search(rf"^\| {re.escape(label)} \| ([^|]+) \|$", md, re.M).group(1).strip()


def test_outage_rows_add_up_to_the_b_and_c_the_report_shows(tmp_path):
    md = _markdown(tmp_path, OVERLAP)
    *rows, total = _outage_table(md)
    b, c = _fact(md, "B: minutes a critical function was inaccessible"), _fact(md, "C: excluded minutes")
    assert sum(Fraction(r[7]) for r in rows) == Fraction(b) == Fraction(total[7])
    assert sum(Fraction(r[8]) for r in rows) == Fraction(c) == Fraction(total[8])
    # the overlap is visible: an exclusion gives back less than its own minutes
    assert [(r[5], r[7], r[8]) for r in rows] == [("120", "120", "90"), ("30", "0", "0"), ("480", "480", "300"), ("180", "0", "0")]
    assert "a minute an earlier row already counted is not counted again" in md


def test_each_clause_is_quoted_once(tmp_path):
    md = _markdown(tmp_path, ANNUAL)
    quotes = re.findall(r"> \*\*Clause (\S+) \(revision (\S+)\)\*\*", md)
    above = re.findall(r"\(clause (\S+) \((\S+)\) is quoted above\)", md)
    assert quotes and len(quotes) == len(set(quotes)), quotes  # each clause once
    assert above and set(above) <= set(quotes)  # the later findings under a clause point back to its quote


def test_amounts_carry_currency_and_thousands_separators_in_markdown_and_html(tmp_path):
    md = _markdown(tmp_path, ANNUAL)
    assert "| monthly committed fee | 10,000 EUR |" in md
    assert "3,000.00 EUR" in md and "3000.00" not in md
    html = tmp_path / "r.html"
    assert run_cli("report", str(ANNUAL), "-o", str(html)).code == 0
    text = html.read_text(encoding="utf-8")
    summary = text.split('id="summary"', 1)[1].split("</section>", 1)[0]
    assert "3,000.00 EUR" in summary


def _pdftoppm() -> str:
    """pdftoppm, to look at the PDF as a picture: skipped with the reason where it is
    missing, required (a failure) under $SLA_REQUIRE_BROWSER=1, as CI sets it."""
    found = shutil.which("pdftoppm")
    if not found:
        reason = "pdftoppm is not installed (Debian: apt-get install poppler-utils); the PDF report must be looked at as a picture"
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{reason}; {REQUIRE}=1 requires it", pytrace=False)
        pytest.skip(reason)
    return found


def test_report_format_pdf_is_a_real_pdf_that_shows_the_verdict(tmp_path):
    chromium()  # the PDF is printed by headless Chromium: skipped with the reason where it is missing
    pdftoppm = _pdftoppm()
    pdf = tmp_path / "report.pdf"
    run = run_cli("report", str(ANNUAL), "--format", "pdf", "-o", str(pdf))
    assert run.code == 0, run.err
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run([pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    [png] = tmp_path.glob("page*.png")
    seen = colours(png.read_bytes(), rows=400, step=2)
    assert (234, 246, 236) in seen  # the green box of an ELIGIBLE verdict
    assert any(max(c) < 80 for c in seen)  # dark text
    assert len(seen) > 20  # not a blank page


def test_a_pdf_name_for_markdown_content_is_an_error_and_writes_nothing(tmp_path):
    out = tmp_path / "x.pdf"
    run = run_cli("report", str(ANNUAL), "--format", "markdown", "-o", str(out))
    assert run.code == 2 and "names a pdf file but the content would be markdown" in run.err
    assert not out.exists()
    run = run_cli("report", str(ANNUAL), "--format", "pdf")
    assert run.code == 2 and "give -o FILE.pdf" in run.err
