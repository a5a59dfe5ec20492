"""Issue 10, item 6: the 2021-01-19 wording of the severity and response-time
definitions is not in the text we have. Both revisions carry the same text, and
`sla diff` and `sla explain` say plainly that the earlier wording is unknown
rather than equal (policy data: `wording: unknown` on the clause)."""

from __future__ import annotations

import json

from conftest import case, run_cli


def test_the_2021_revision_marks_both_definitions_as_unknown_wording(genesys):
    old, new = genesys.by_revision("2021-01-19"), genesys.by_revision("2024-04-24")
    for clause in ("severity.levels", "response.targets"):
        assert old.data["clauses"][clause]["wording"] == "unknown"
        assert "wording" not in new.data["clauses"][clause]
        assert old.clause_text(clause, "zh") == new.clause_text(clause, "zh")  # kept equal


def test_diff_says_the_earlier_wording_is_unknown_not_that_there_is_no_difference():
    run = run_cli("diff", "genesys-cloud", "2021-01-19", "2024-04-24")
    assert run.code == 0, run.err
    [entry] = [line for line in run.out.splitlines() if "Made the severity-level" in line]
    assert "no difference in the files" not in entry
    assert "wording of 2021-01-19 unknown, not known to be equal: severity.levels, response.targets" in entry
    assert "wording unknown in 2021-01-19: severity.levels, response.targets." in run.out
    assert "means unknown, not equal" in run.out


def test_diff_in_chinese_says_the_same():
    run = run_cli("diff", "genesys-cloud", "2021-01-19", "2024-04-24", "--lang", "zh")
    assert "2021-01-19 的措辞未知，不能认定相同：severity.levels, response.targets" in run.out
    assert "表示未知，而非相同" in run.out


def test_diff_as_json_lists_the_unknown_wording():
    data = json.loads(run_cli("diff", "genesys-cloud", "2021-01-19", "2024-04-24", "--format", "json").out)
    expected = [{"revision": "2021-01-19", "clause": "severity.levels"}, {"revision": "2021-01-19", "clause": "response.targets"}]
    assert data["unknown_wording"] == expected
    [entry] = [e for e in data["change_log"] if "severity.levels" in e["clauses"]]
    assert entry["unknown_wording"] == expected


def test_diff_between_later_revisions_says_nothing_of_unknown_wording():
    run = run_cli("diff", "genesys-cloud", "2024-04-24", "2024-10-01")
    assert "unknown" not in run.out


def _explained(tmp_path, submitted: str, lang: str) -> str:
    path = tmp_path / "case.jsonl"
    path.write_text(json.dumps(case(submitted_at=submitted, events=[
        {"type": "human_response", "via": "case_note", "at": submitted.replace("T09", "T10")}])) + "\n", encoding="utf-8")
    run = run_cli("explain", str(path), "--lang", lang)
    assert run.code == 0, run.err
    return run.out


def test_explain_quotes_a_2021_response_target_as_of_unknown_wording(tmp_path):
    out = _explained(tmp_path, "2023-06-03T09:00:00Z", "en")
    assert "clause response.targets: its wording in revision 2021-01-19 is unknown (not in the text we have)" in out
    assert "not known to be equal" in out


def test_explain_in_chinese_says_the_wording_is_unknown(tmp_path):
    out = _explained(tmp_path, "2023-06-03T09:00:00Z", "zh")
    assert "条款 response.targets:其在版本 2021-01-19 中的措辞未知" in out


def test_explain_under_a_later_revision_quotes_the_clause_plainly(tmp_path):
    out = _explained(tmp_path, "2024-06-03T09:00:00Z", "en")
    assert "clause response.targets: “" in out and "unknown" not in out
