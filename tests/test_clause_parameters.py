"""Parameters tied to the clause text that states them (issue 15 item 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

LATEST = "2024-10-01"


def _new_revision(tmp_path: Path, edit) -> Path:
    """A copy of the bundled policies plus 2025-07-01 = the latest revision, edited by `edit(text)`."""
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    family = root / "genesys-cloud"
    text = (family / f"{LATEST}.yaml").read_text(encoding="utf-8")
    text = text.replace(f'revision: "{LATEST}"', 'revision: "2025-07-01"').replace(
        f'effective: "{LATEST}"', 'effective: "2025-07-01"')
    (family / "2025-07-01.yaml").write_text(edit(text), encoding="utf-8")
    return root


def _window_45_sev1_15(text: str) -> str:
    assert "days: 30, after: month_end" in text and "{minutes: 10, via: phone}" in text
    return text.replace("days: 30, after: month_end", "days: 45, after: month_end").replace(
        "{minutes: 10, via: phone}", "{minutes: 15, via: phone}")


def _texts_follow(text: str) -> str:
    """The same edit, with both clause texts brought along in both languages."""
    text = _window_45_sev1_15(text)
    for old, new in (("thirty (30) days", "forty-five (45) days"), ("三十 (30) 天", "四十五 (45) 天"),
                     ("response target 10 minutes", "response target 15 minutes"), ("响应目标: 10 分钟", "响应目标: 15 分钟")):
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_the_bundled_revisions_declare_their_clause_parameters_and_lint_clean():
    run = run_cli("lint", str(ROOT / "policies"))
    assert run.code == 0, run.out
    for path in sorted((ROOT / "policies" / "genesys-cloud").glob("*.yaml")):
        assert "clause_parameters:\n  response.targets:" in path.read_text(encoding="utf-8"), path


def test_a_window_of_45_days_and_a_sev1_target_of_15_minutes_under_unchanged_clauses_fail_lint(tmp_path: Path):
    root = _new_revision(tmp_path, _window_45_sev1_15)
    run = run_cli("lint", str(root))
    assert run.code == 1
    changed = [line for line in run.out.splitlines() if "changed from" in line]
    assert len(changed) == 2, run.out
    window = next(line for line in changed if "claims.window.days" in line)
    assert "2025-07-01.yaml:" in window and "changed from 30 to 45 since revision 2024-10-01" in window
    assert "the en and zh text of clause credits.request did not" in window
    target = next(line for line in changed if "severities.1.response_target" in line)
    assert "clause response.targets" in target and "minutes: 15" in target
    assert "45 but the en text of clause credits.request does not state it" in run.out


def test_changing_the_clause_text_in_only_one_language_still_fails_naming_the_other(tmp_path: Path):
    def en_only(text: str) -> str:
        return _window_45_sev1_15(text).replace("thirty (30) days", "forty-five (45) days").replace(
            "response target 10 minutes", "response target 15 minutes")
    run = run_cli("lint", str(_new_revision(tmp_path, en_only)))
    assert run.code == 1
    changed = [line for line in run.out.splitlines() if "changed from" in line]
    assert len(changed) == 2 and all("the zh text of clause" in line for line in changed), run.out


def test_the_same_edit_with_both_clause_texts_updated_lints_clean(tmp_path: Path):
    run = run_cli("lint", str(_new_revision(tmp_path, _texts_follow)))
    assert run.code == 0, run.out


def test_a_declared_parameter_that_does_not_exist_is_a_lint_problem(tmp_path: Path):
    def typo(text: str) -> str:
        return text.replace("credits.request: [claims.window.days,", "credits.request: [claims.windw.days,")
    run = run_cli("lint", str(_new_revision(tmp_path, typo)))
    assert run.code == 1 and "claims.windw.days names no parameter of this revision" in run.out


def test_diff_shows_the_changed_parameter_next_to_the_unchanged_clause_text(tmp_path: Path):
    root = _new_revision(tmp_path, _window_45_sev1_15)
    run = run_cli("diff", "genesys-cloud", LATEST, "2025-07-01", "--policies", str(root))
    assert run.code == 0
    lines = run.out.splitlines()
    at = next(i for i, line in enumerate(lines) if "claim window" in line and "30 → 45" in line)
    assert "stated by clause credits.request" in lines[at + 1] and "thirty (30) days" in lines[at + 1]
    assert "clause text NOT changed in: en, zh" in lines[at + 1]
    data = json.loads(run_cli("diff", "genesys-cloud", LATEST, "2025-07-01", "--policies", str(root),
                              "--format", "json").out)
    window = next(c for c in data["changes"] if c["path"] == "claims.window.days")
    assert window["stated_by"]["clause"] == "credits.request"
    assert window["stated_by"]["clause_text_unchanged"] == ["en", "zh"]
    assert "三十 (30) 天" in window["stated_by"]["text"]["zh"]


def test_diff_says_the_clause_text_changed_too_when_it_did(tmp_path: Path):
    root = _new_revision(tmp_path, _texts_follow)
    run = run_cli("diff", "genesys-cloud", LATEST, "2025-07-01", "--policies", str(root))
    assert run.out.count("(clause text changed too)") == 2, run.out
