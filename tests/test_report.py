"""`sla report`: Markdown content, a self-contained HTML file, and that HTML rendered
in a real headless Chromium (screenshot not blank, key numbers in the DOM)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_helpers import colours, dump_dom, screenshot
from conftest import ROOT, run_cli
from engine.disputes.words import WORDS

DISPUTES = ROOT / "examples" / "disputes"
SIMPLE = DISPUTES / "01-simple-timely-claim.yaml"
ANNUAL = DISPUTES / "08-annual-prepaid.yaml"
CROSSING = DISPUTES / "04-outage-crossing-month-end.yaml"


def _report(tmp_path: Path, bundle: Path, name: str, *args: str) -> str:
    out = tmp_path / name
    run = run_cli("report", str(bundle), "-o", str(out), *args)
    assert run.code == 0, run.err
    return out.read_text(encoding="utf-8")


def test_both_languages_have_the_same_wording_keys():
    assert set(WORDS["en"]) == set(WORDS["zh"])


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_report_has_every_section_with_the_numbers(tmp_path: Path):
    md = _report(tmp_path, ANNUAL, "report.md")
    for heading in ("## Summary", "## Facts", "## Outages in 2024-06", "## Uptime against the credit tiers",
                    "## Rules and the clauses quoted", "## Support cases", "## Revisions used", "## Receipt"):
        assert heading in md
    assert "**Verdict: ELIGIBLE: a 30% credit of 3,000.00 EUR, settled as prepaid_balance_or_refund**" in md
    assert "| A: minutes in the month | 43200 |" in md
    assert "| uptime (%) | 98.611111 |" in md
    assert "| 99% | 30% | yes |" in md
    assert "| 1 | 2024-06-03T10:00:00Z | 2024-06-03T20:00:00Z | inbound_voice | genesys | 600 | unavailable (B) |" in md
    assert "| CASE-1003 | 1 | 2024-06-03T10:05:00Z | 8 | 10 | met |" in md


def test_markdown_report_quotes_each_rules_clause_in_english(tmp_path: Path):
    md = _report(tmp_path, ANNUAL, "report.md")
    assert "MET claim.window [credits.request] (2024-04-24)" in md
    assert "  > **Clause credits.request (revision 2024-04-24)**" in md
    assert "  > Credit request and payment. The customer must request the credit within thirty (30) days" in md


def test_markdown_report_in_chinese_quotes_the_sla_text_verbatim(tmp_path: Path):
    md = _report(tmp_path, ANNUAL, "report.md", "--lang", "zh")
    assert "## 摘要" in md and "## 规则及所引条款" in md
    assert "> 信用申请和付款。 客户必须在正常运行时间低于上述阈值之一的月份之后的三十 (30) 天内申请补偿" in md
    assert "**结论: 符合条件: 30% 的积分,金额 3,000.00 EUR" in md


def test_markdown_report_shows_the_receipt_hashes_that_sla_replay_writes(tmp_path: Path):
    import json

    md = _report(tmp_path, SIMPLE, "report.md")
    receipt = tmp_path / "receipt.json"
    assert run_cli("replay", str(SIMPLE), "--receipt", str(receipt)).code == 0
    hashes = json.loads(receipt.read_text())["sha256"]
    assert f"| receipt sha256 | `{hashes['receipt']}` |" in md
    assert f"| input (canonical bundle) sha256 | `{hashes['input']}` |" in md
    assert f"| decision sha256 | `{hashes['decision']}` |" in md


def test_markdown_report_marks_an_outage_that_runs_past_the_month(tmp_path: Path):
    md = _report(tmp_path, CROSSING, "report.md")
    assert "| 1 | 2024-10-31T22:00:00Z | 2024-11-01T03:00:00Z | outbound_voice, acd_routing | genesys | 120 | " \
           "unavailable (B) (runs past the month's edge) |" in md
    assert "| 2 | 2024-10-14T09:00:00Z | 2024-10-14T13:00:00Z | reporting | genesys | 240 | not counted |" in md


def test_report_with_all_revisions_adds_the_what_if_section(tmp_path: Path):
    md = _report(tmp_path, DISPUTES / "06-march-2024-filed-04-23-no-case.yaml", "report.md", "--all-revisions")
    assert "## What-if: the same dispute under every revision" in md
    assert "rule claim.support_case [credits.request]: not applicable → violation" in md


# --- HTML, self-contained ---------------------------------------------------------------------------


def test_html_report_is_one_self_contained_file(tmp_path: Path):
    page = _report(tmp_path, ANNUAL, "report.html")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I), "no fetched resources"
    assert not re.search(r"<(?:script|link|iframe|img|object|embed)\b", page, re.I)
    assert "@import" not in page and "url(" not in page
    assert page.count("<svg") == 2 and "@media print" in page


def test_html_format_follows_the_output_suffix_and_can_be_forced(tmp_path: Path):
    assert _report(tmp_path, SIMPLE, "r.htm").startswith("<!DOCTYPE html>")
    assert _report(tmp_path, SIMPLE, "r.txt", "--format", "html").startswith("<!DOCTYPE html>")
    assert _report(tmp_path, SIMPLE, "r.md").startswith("# Dispute report")


def test_html_report_in_chinese_is_marked_as_chinese(tmp_path: Path):
    page = _report(tmp_path, SIMPLE, "report.html", "--lang", "zh")
    assert '<html lang="zh-CN">' in page
    assert "积分。 如果 Genesys Cloud Service 正常运行时间在任何一个月的计费周期内低于下表中的阈值" in page


def test_report_of_a_bad_bundle_writes_nothing(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\n", encoding="utf-8")
    out = tmp_path / "report.html"
    run = run_cli("report", str(bad), "-o", str(out))
    assert run.code == 2 and not out.exists()
    assert "bad.yaml:1: missing required field 'customer'" in run.err


# --- HTML in a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, str]:
    folder = tmp_path_factory.mktemp("browser")
    page = folder / "report.html"
    assert run_cli("report", str(ANNUAL), "-o", str(page)).code == 0
    return screenshot(page, folder / "report.png"), dump_dom(page)


def test_html_report_renders_in_headless_chromium_as_a_real_picture(rendered):
    png, _ = rendered
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert len(colours(png)) > 20, "the screenshot is (nearly) a single colour"


def test_html_report_dom_in_chromium_holds_the_key_numbers(rendered):
    _, dom = rendered
    assert "98.611111" in dom  # uptime
    assert "3,000.00 EUR" in dom  # credit amount
    assert "ELIGIBLE" in dom
    assert "uptime 98.611111%" in dom  # the chart's marker label, inside the inline SVG
    assert dom.count("<svg") == 2


def test_a_missing_browser_fails_the_test_instead_of_skipping_it_under_ci(monkeypatch):
    from browser_helpers import chromium

    monkeypatch.delenv("SLA_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("SLA_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed"):
        chromium()


def test_a_missing_browser_skips_the_test_with_the_reason_outside_ci(monkeypatch):
    from browser_helpers import chromium

    monkeypatch.delenv("SLA_CHROMIUM", raising=False)
    monkeypatch.delenv("SLA_REQUIRE_BROWSER", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed.*apt-get install chromium"):
        chromium()


def test_ci_requires_the_browser_tests():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export SLA_REQUIRE_BROWSER=1" in script
    assert script.index("export SLA_REQUIRE_BROWSER=1") < script.index("python -m pytest")
