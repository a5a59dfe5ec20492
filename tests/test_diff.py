"""`sla diff`: a semantic diff of two policy revisions, in English and Chinese.

Applied to the bundled Genesys revisions it must show exactly what the SLA's
change log records, and nothing spurious.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from engine.policy.diff import diff_revisions, marked_diff
from engine.policy.family import Family, Revision, load_revision

GENESYS = ROOT / "policies" / "genesys-cloud"
REVISIONS = ("2021-01-19", "2024-04-24", "2024-10-01")


def sla_diff(*args: str, root: Path | None = None) -> tuple[int, str, str]:
    run = run_cli("diff", *args, *(["--policies", str(root)] if root else []))
    return run.code, run.out, run.err


def by_path(diff):  # type: ignore[no-untyped-def]
    return {c.path: c for c in diff.changes}


def logged_clauses(diff) -> set[str]:  # type: ignore[no-untyped-def]
    return {clause for entry in diff.change_log for clause in entry.clauses}


# --------------------------------------------------------------------------- the bundled revisions


def test_2021_to_2024_04_adds_the_support_case_requirement_and_nothing_else(genesys: Family):
    diff = diff_revisions(genesys.by_revision("2021-01-19"), genesys.by_revision("2024-04-24"), genesys)
    changes = by_path(diff)
    assert set(changes) == {"clauses[credits.request]", "claims.requires_support_case"}

    case = changes["claims.requires_support_case"]
    assert (case.kind, case.old, case.new, case.clause) == ("changed", False, True, "credits.request")
    assert case.label == {"en": "claim requires a support case", "zh": "申请需要支持案例"}
    assert case.shown == {"en": {"old": "no", "new": "yes"}, "zh": {"old": "否", "new": "是"}}

    text = changes["clauses[credits.request]"]
    assert (text.kind, text.clause) == ("changed", "credits.request")
    assert "{+, and must create a support case for the incident to verify the impact+}" in text.texts["en"]["diff"]
    assert "{+,并针对该事件创建支持案例以验证所造成的影响+}" in text.texts["zh"]["diff"]
    assert "note" not in text.old and "note" not in text.new  # the reconstruction note is not SLA content

    # Nothing outside the change log: every change's clause is one the log names.
    assert all(c.in_change_log for c in diff.changes)
    assert {c.clause for c in diff.changes} <= logged_clauses(diff)
    # The log also says severity/response definitions were made consistent; the files carry the same ones.
    consistent = [e for e in diff.change_log if "severity.levels" in e.clauses]
    assert consistent and consistent[0].without_differences == ["severity.levels", "response.targets"]


def test_2024_04_to_2024_10_shows_only_the_troubleshooting_reference(genesys: Family):
    diff = diff_revisions(genesys.by_revision("2024-04-24"), genesys.by_revision("2024-10-01"), genesys)
    changes = by_path(diff)
    assert set(changes) == {"clauses[support.initial_troubleshooting]", "initial_troubleshooting.reference"}

    reference = changes["initial_troubleshooting.reference"]
    assert (reference.kind, reference.old, reference.clause) == ("added", None, "support.initial_troubleshooting")
    assert reference.new == {"zh": "Genesys 的支持门户", "en": "Genesys Cloud Customer Care (support portal)"}
    assert reference.label == {"en": "initial troubleshooting reference", "zh": "初步故障排除参考资料"}

    text = changes["clauses[support.initial_troubleshooting]"]
    assert text.kind == "changed" and text.clause == "support.initial_troubleshooting"
    assert text.texts["en"]["diff"].endswith(
        "scope of responsibility{+, as described in Genesys Cloud Customer Care on the support portal+}.")
    assert text.texts["zh"]["diff"].endswith("了解客户的责任范围{+,如Genesys 的支持门户+}。")
    assert all(c.in_change_log for c in diff.changes)
    assert [e.clauses for e in diff.change_log] == [["support.initial_troubleshooting"]]


def test_text_output_of_the_bundled_diffs_en_and_zh():
    code, out, err = sla_diff("genesys-cloud", "2021-01-19", "2024-04-24")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "genesys-cloud 2021-01-19 → 2024-04-24"
    assert "  claim requires a support case: no → yes (clause credits.request)" in lines
    assert "  clause credits.request: text changed" in lines
    assert any(line.startswith("  2024-04-24: Updated Credit Request and Payment") for line in lines)
    assert "differences in the files (2):" in lines

    code, out, err = sla_diff("genesys-cloud", "2021-01-19", "2024-04-24", "--lang", "zh")
    assert code == 0
    assert "  申请需要支持案例：否 → 是（条款 credits.request）" in out.splitlines()
    assert "2024-04-24：更新了信用请求和付款,包括支持案例的要求。" in out

    code, out, err = sla_diff("genesys-cloud", "2024-04-24", "2024-10-01")
    assert code == 0
    assert ('  added initial troubleshooting reference: "Genesys Cloud Customer Care (support portal)" '
            "(clause support.initial_troubleshooting)") in out.splitlines()
    code, out, err = sla_diff("genesys-cloud", "2024-04-24", "2024-10-01", "--lang", "zh")
    assert "  新增 初步故障排除参考资料：“Genesys 的支持门户”（条款 support.initial_troubleshooting）" in out.splitlines()


def test_two_file_paths_give_the_same_diff_as_family_and_revisions():
    family = sla_diff("genesys-cloud", "2021-01-19", "2024-04-24", "--format", "json")
    files = sla_diff(str(GENESYS / "2021-01-19.yaml"), str(GENESYS / "2024-04-24.yaml"), "--format", "json")
    assert family[0] == files[0] == 0
    assert json.loads(family[1])["changes"] == json.loads(files[1])["changes"]
    assert json.loads(family[1])["change_log"] == json.loads(files[1])["change_log"]


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_revision_compared_with_itself_has_no_differences(genesys: Family, revision: str):
    rev = genesys.by_revision(revision)
    assert diff_revisions(rev, rev, genesys).changes == []
    for lang, words in (("en", "no differences"), ("zh", "无差异")):
        code, out, err = sla_diff("genesys-cloud", revision, revision, "--lang", lang)
        assert (code, err) == (0, "")
        assert out.splitlines()[-1] == words


def test_spelling_order_and_notes_are_not_differences(tmp_path: Path):
    """99.0 and 99 are one threshold; channel order and clause notes are not SLA content."""
    text = (GENESYS / "2024-10-01.yaml").read_text(encoding="utf-8")
    text = _replace(text, '{below: "99.0", percent: "30"}', '{below: "99", percent: "30.00"}')
    text = _replace(text, "case_channels: [phone, portal]", "case_channels: [portal, phone]")
    text = _replace(text, "    zh: \"范围 ", "    note: \"a reviewer's note\"\n    zh: \"范围 ")
    copy = _write_revision(tmp_path, "2024-10-01", text)
    diff = diff_revisions(load_revision(GENESYS / "2024-10-01.yaml"), copy)
    assert diff.changes == []


# --------------------------------------------------------------------------- a hand-made revision


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _write_revision(root: Path, revision: str, text: str) -> Revision:
    folder = root / "genesys-cloud"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{revision}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_revision(path)


NEW_RULE = """
rules:
  - id: claim.test
    applies_to: credit_claim
    clause: credits.request
    outcomes:
      - when: {is_null: {field: support_case}}
        outcome: violation
        reason: missing_support_case
        message: {en: "No support case.", zh: "无支持案例。"}
      - outcome: met
        message: {en: "Support case given.", zh: "已提供支持案例。"}
"""


@pytest.fixture
def edited_root(tmp_path: Path) -> Path:
    """A policy root with 2024-10-01 and a 2025-01-01 that changes a tier percent,
    adds a tier, changes the Sev1 target and adds a rule."""
    text = (GENESYS / "2024-10-01.yaml").read_text(encoding="utf-8")
    text = _replace(text, 'revision: "2024-10-01"', 'revision: "2025-01-01"')
    text = _replace(text, 'effective: "2024-10-01"', 'effective: "2025-01-01"')
    text = _replace(text, '{below: "99.99", percent: "10"}', '{below: "99.99", percent: "15"}')
    text = _replace(text, '    - {below: "97", percent: "100"}\n',
                    '    - {below: "98", percent: "50"}\n    - {below: "97", percent: "100"}\n')
    text = _replace(text, "response_target: {minutes: 10, via: phone}", "response_target: {minutes: 15, via: phone}")
    text = _replace(text, "\nrules:\n", NEW_RULE)
    _write_revision(tmp_path, "2025-01-01", text)
    shutil.copy(GENESYS / "2024-10-01.yaml", tmp_path / "genesys-cloud" / "2024-10-01.yaml")
    return tmp_path


EXPECTED = {
    "credits.tiers[below=99.99].percent": (
        "changed", "credits.tiers",
        {"en": "credit tier below 99.99% credit percent", "zh": "低于 99.99% 的信用等级的信用百分比"},
        {"en": {"old": "10%", "new": "15%"}, "zh": {"old": "10%", "new": "15%"}}),
    "credits.tiers[below=98]": (
        "added", "credits.tiers",
        {"en": "credit tier below 98%", "zh": "低于 98% 的信用等级"},
        {"en": {"old": None, "new": "credit percent 50%"}, "zh": {"old": None, "new": "信用百分比 50%"}}),
    "severities.1.response_target": (
        "changed", "response.targets",
        {"en": "severity 1 response target", "zh": "严重级别 1 的响应目标"},
        {"en": {"old": "10 minutes via phone", "new": "15 minutes via phone"},
         "zh": {"old": "10 分钟（电话）", "new": "15 分钟（电话）"}}),
    "rules[id=claim.test]": (
        "added", "credits.request",
        {"en": "rule claim.test", "zh": "规则 claim.test"},
        None),
}


def test_each_edit_is_one_change_with_its_label_in_en_and_zh(edited_root: Path):
    old = load_revision(edited_root / "genesys-cloud" / "2024-10-01.yaml")
    new = load_revision(edited_root / "genesys-cloud" / "2025-01-01.yaml")
    diff = diff_revisions(old, new)
    assert set(by_path(diff)) == set(EXPECTED)
    assert len(diff.changes) == len(EXPECTED)
    for path, (kind, clause, label, shown) in EXPECTED.items():
        change = by_path(diff)[path]
        assert (change.kind, change.clause, change.label) == (kind, clause, label), path
        if shown is not None:
            assert change.shown == shown, path
    rule = by_path(diff)["rules[id=claim.test]"]
    assert rule.shown["en"]["new"] == ("applies to credit_claim; clause credits.request; outcomes "
                                       "(1) when {is_null: {field: support_case}} → violation (reason missing_support_case) "
                                       "(2) otherwise → met")
    assert rule.shown["zh"]["new"] == ("适用于 积分申请；条款 credits.request；结果 (1) 当 {is_null: {field: support_case}} 时 "
                                       "→ 违规（原因 missing_support_case） (2) 否则 → 达成")  # codes in the policy's words
    # The copied change log names only support.initial_troubleshooting: these edits are flagged.
    assert not any(c.in_change_log for c in diff.changes)

    code, out, err = sla_diff("genesys-cloud", "2024-10-01", "2025-01-01", root=edited_root)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "genesys-cloud 2024-10-01 → 2025-01-01"
    assert "  credit tier below 99.99% credit percent: 10% → 15% (clause credits.tiers) [not in the change log]" in lines
    assert "  added credit tier below 98%: credit percent 50% (clause credits.tiers) [not in the change log]" in lines
    assert ("  severity 1 response target: 10 minutes via phone → 15 minutes via phone (clause response.targets) "
            "[not in the change log]") in lines
    code, out, err = sla_diff("genesys-cloud", "2024-10-01", "2025-01-01", "--lang", "zh", root=edited_root)
    assert "  低于 99.99% 的信用等级的信用百分比：10% → 15%（条款 credits.tiers） [变更日志未提及]" in out.splitlines()
    assert "  新增 规则 claim.test：" in out


def test_a_changed_rule_outcome_is_reported_field_by_field(tmp_path: Path):
    text = (GENESYS / "2024-10-01.yaml").read_text(encoding="utf-8")
    text = _replace(text, "      - when: {gt: [{fact: credit_percent}, 0]}\n        outcome: breached",
                    "      - when: {ge: [{fact: credit_percent}, 1]}\n        outcome: breached")
    new = _write_revision(tmp_path, "2024-10-01", text)
    diff = diff_revisions(load_revision(GENESYS / "2024-10-01.yaml"), new)
    [change] = diff.changes
    assert change.path == "rules[id=uptime.credit_tier].outcomes[0].when"
    assert change.label == {"en": "rule uptime.credit_tier outcome 1 condition", "zh": "规则 uptime.credit_tier 的结果 1 的条件"}
    assert change.shown["en"] == {"old": "{gt: [{fact: credit_percent}, 0]}", "new": "{ge: [{fact: credit_percent}, 1]}"}
    assert change.clause == "credits.tiers"


# --------------------------------------------------------------------------- JSON and errors


@pytest.mark.parametrize("pair", [("2021-01-19", "2024-04-24"), ("2024-04-24", "2024-10-01")])
def test_json_output_parses_and_has_the_same_changes(genesys: Family, pair: tuple[str, str]):
    code, out, err = sla_diff("genesys-cloud", *pair, "--format", "json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["title"] == f"genesys-cloud {pair[0]} → {pair[1]}"
    assert (data["old"]["revision"], data["new"]["revision"]) == pair
    assert data["change_log"] and all({"zh", "en", "clauses"} <= set(e) for e in data["change_log"])
    diff = diff_revisions(genesys.by_revision(pair[0]), genesys.by_revision(pair[1]), genesys)
    assert [(c["kind"], c["path"], c["clause"], c["label"]) for c in data["changes"]] == \
        [(c.kind, c.path, c.clause, c.label) for c in diff.changes]
    for change in data["changes"]:
        assert set(change) >= {"kind", "path", "clause", "label", "old", "new"}
    _, text, _ = sla_diff("genesys-cloud", *pair)
    assert all(c["label"]["en"] in text for c in data["changes"])


def test_json_values_are_plain_and_exact(edited_root: Path):
    code, out, _ = sla_diff(str(edited_root / "genesys-cloud" / "2024-10-01.yaml"),
                            str(edited_root / "genesys-cloud" / "2025-01-01.yaml"), "--format", "json")
    assert code == 0
    changes = {c["path"]: c for c in json.loads(out)["changes"]}
    tier = changes["credits.tiers[below=99.99].percent"]
    assert (tier["old"], tier["new"]) == ("10", "15")
    assert changes["credits.tiers[below=98]"]["new"] == {"below": "98", "percent": "50"}
    assert changes["severities.1.response_target"]["new"] == {"minutes": 15, "via": "phone"}


@pytest.mark.parametrize("args, message", [
    (("genesys-cloud", "2021-01-19", "2099-01-01"), "genesys-cloud has no revision '2099-01-01'"),
    (("no-such-family", "2021-01-19", "2024-04-24"), "no policy family 'no-such-family'"),
    (("missing-a.yaml", "missing-b.yaml"), "missing-a.yaml: no such policy file"),
    (("genesys-cloud",), "expected FAMILY REV_A REV_B or FILE_A FILE_B"),
])
def test_unknown_family_revision_or_file_exits_2_with_one_line(args: tuple[str, ...], message: str):
    code, out, err = sla_diff(*args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err


def test_bad_format_is_a_usage_error():
    code, out, err = sla_diff("genesys-cloud", "2021-01-19", "2024-04-24", "--format", "xml")
    assert code == 2 and out == "" and len(err.splitlines()) == 1


def test_marked_diff_is_word_level_for_latin_and_character_level_for_chinese():
    assert marked_diff("within 30 days.", "within 45 days.") == "within [-30-]{+45+} days."
    assert marked_diff("客户必须申请补偿。", "客户必须及时申请补偿。") == "客户必须{+及时+}申请补偿。"
