"""`--lang zh` all the way through: every command's output for people shows the
codes it knows (contract kinds, settlements, channels, record kinds) in Chinese
words, never the bare English code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from check_helpers import NOW, generate
from conftest import ROOT, run_cli
from engine.render.catalogue import entries, sections

# Codes people see; each must reach them in the policy's words under --lang zh.
KNOWN_CODES = ("annual_prepaid", "prepaid_balance_or_refund", "month_to_month", "next_invoice", "phone", "portal",
               "case_note", "case", "credit_claim", "uptime")
# A code as a word of its own: not part of an id, a path, a rule id (case.response_target) or a field name.
_CODE = re.compile(r"(?<![A-Za-z0-9_.\-/])(" + "|".join(KNOWN_CODES) + r")(?![A-Za-z0-9_.\-/])")
EXAMPLES = ROOT / "examples"
DISPUTES = sorted((EXAMPLES / "disputes").glob("*.yaml"))


def english_codes(text: str) -> list[str]:
    """The known codes left in `text` (HTML tags, which are markup, not words, removed)."""
    plain = re.sub(r"<[^>]+>", " ", text)
    return sorted({m.group(1) for m in _CODE.finditer(plain)})


def test_the_check_finds_a_bare_code():
    assert english_codes("月份 annual_prepaid 合同") == ["annual_prepaid"]
    assert english_codes("通过 phone 提交") == ["phone"]
    assert english_codes("CASE-1001 case.response_target uptime-2024.json") == []


def test_every_catalogue_entry_has_both_languages():
    for name in sections():
        for key, entry in entries(name).items():
            assert set(entry) == {"en", "zh"}, (name, key)


def test_evaluate_and_explain_in_zh_name_no_code():
    records = [str(EXAMPLES / "records" / n) for n in ("cases.jsonl", "claims.yaml", "uptime-2024.json")]
    table = run_cli("evaluate", *records, "--lang", "zh", "--format", "table", "--now", NOW, "--fail-on", "none")
    assert table.code == 0, table.err
    explained = run_cli("explain", *records, "--lang", "zh", "--now", NOW)
    assert explained.code == 0, explained.err
    assert "电话" in explained.out
    assert english_codes(table.out) == [] and english_codes(explained.out) == []


def test_diff_in_zh_names_no_code():
    result = run_cli("diff", "genesys-cloud", "2021-01-19", "2024-10-01", "--lang", "zh")
    assert result.code == 0, result.err
    # a changed clause is shown in both languages on purpose: its English text (英文：...) is a quote, not a code
    lines = [line for line in result.out.splitlines() if not line.lstrip().startswith("英文：")]
    assert len(lines) < len(result.out.splitlines())
    assert english_codes("\n".join(lines)) == []


@pytest.mark.parametrize("bundle", DISPUTES, ids=[p.stem for p in DISPUTES])
def test_replay_and_report_in_zh_name_no_code(tmp_path: Path, bundle: Path):
    replay = run_cli("replay", str(bundle), "--lang", "zh")
    assert replay.code == 0, replay.err
    md, html = tmp_path / "r.md", tmp_path / "r.html"
    assert run_cli("report", str(bundle), "--lang", "zh", "-o", str(md)).code == 0
    assert run_cli("report", str(bundle), "--lang", "zh", "-o", str(html)).code == 0
    title = yaml.safe_load(bundle.read_text(encoding="utf-8"))["title"]  # the user's own words, shown as written
    for text in (replay.out, md.read_text(encoding="utf-8"), html.read_text(encoding="utf-8")):
        assert english_codes(text.replace(title, "")) == []


def test_check_summary_and_html_in_zh_name_no_code(tmp_path: Path):
    data = generate(tmp_path / "data", cases=300, customers=8, claims=60)
    html = tmp_path / "summary.html"
    result = run_cli("check", "--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"),
                     "--contracts", str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"),
                     "--months", "2024-01..2024-12", "--now", NOW, "--html", str(html), "-o", str(tmp_path / "d.jsonl"),
                     "--lang", "zh", "--fail-on", "none")
    assert result.code == 0, result.err
    page = html.read_text(encoding="utf-8")
    assert "SLA 检查摘要" in page and "严重级别 1" in result.out and "读取" in result.err
    assert "溢出" in page  # the histogram's last bar says it is the overflow bin
    for text in (result.out, result.err, page):
        assert english_codes(text) == []


def test_watch_in_zh_names_no_code(tmp_path: Path):
    output = tmp_path / "alerts.jsonl"
    result = run_cli("watch", str(EXAMPLES / "watch" / "events.jsonl"), "-o", str(output), "--lang", "zh")
    assert result.code == 1, result.err
    messages = [line for line in output.read_text(encoding="utf-8").splitlines()]
    assert english_codes(result.err) == []
    assert english_codes("\n".join(json.loads(m)["message"] for m in messages)) == []


def test_no_language_text_is_kept_in_engine_python():
    """The words live in the catalogue and the policies, not in dictionaries scattered over modules."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    holders = [str(p.relative_to(ROOT)) for p in (ROOT / "engine").rglob("*.py") if cjk.search(p.read_text(encoding="utf-8"))]
    assert holders == []
