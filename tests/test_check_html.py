"""The HTML summary renders in a real headless Chromium: one self-contained file,
its tables and both plots in the DOM, a screenshot that is not blank.
Chromium is required (CI installs it); a missing browser fails, never skips."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from browser_helpers import colours, dump_dom, png_pixels, screenshot
from check_helpers import NOW, generate
from conftest import run_cli


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    data = generate(tmp / "data", cases=800, customers=10, claims=60)
    result = run_cli("check", "--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"),
                     "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"), "--months", "2024-01..2024-12",
                     "--now", NOW, "--html", str(tmp / "summary.html"), "--summary", str(tmp / "summary.json"), "--quiet")
    assert result.code == 1, result.err
    return tmp / "summary.html"


def test_the_summary_is_one_self_contained_file(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)
    assert "<script" not in text and "@import" not in text and "url(" not in text
    assert text.count("<svg") == 5  # four severities' response times, and uptime per month


def test_chromium_renders_the_tables_and_plots(page):
    html = dump_dom(page)
    summary = json.loads((page.parent / "summary.json").read_text())
    assert "SLA check summary" in html
    for row in summary["severities"]:
        assert f"Sev{row['severity']}" in html and row["p95_minutes"] in html and row["breach_rate_percent"] in html
    for currency, total in summary["credit_owed_by_currency"].items():
        whole, _, cents = total.partition(".")  # the exact total, grouped, with its currency
        assert f"<td>{currency}</td><td class=\"n\">{int(whole):,}.{cents} {currency}</td>" in html
    assert html.count("<circle") > 10 and "target 10 min" in html and "&lt; 99.99%: 10% credit" in html


def test_chromium_paints_a_page_that_is_not_blank(page, tmp_path):
    shot = screenshot(page, tmp_path / "shot.png", size="1100,1800")
    width, height, _ = png_pixels(shot, max_rows=1)
    assert (width, height) == (1100, 1800)
    assert len(colours(shot, rows=1800, step=5)) > 20  # text, bars in two colours, dots, tier lines: far from blank
