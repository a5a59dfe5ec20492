"""One policy-root discovery order for every command (issue 15 item 2):
--policies, then $SLA_POLICIES, then a policies/ folder here or in a parent, then bundled."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.api import Engine
from engine.io.resources import policies_dir
from engine.policy.root import find_root
from conftest import ROOT, run_cli

DISPUTE = ROOT / "examples" / "disputes" / "07-march-2024-filed-04-24-no-case.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A policy repository: project/policies/genesys-cloud with 2024-10-01 removed (so it is
    recognisably not the bundled set), and the current directory two levels below it."""
    root = tmp_path / "project" / "policies"
    shutil.copytree(ROOT / "policies", root)
    (root / "genesys-cloud" / "2024-10-01.yaml").unlink()
    deep = tmp_path / "project" / "work" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("SLA_POLICIES", raising=False)
    return root


def _revisions(run) -> list[str]:
    return [row["revision"] for row in json.loads(run.out)]


def test_a_policies_folder_in_a_parent_is_found_like_git_finds_dot_git(project: Path):
    assert find_root().how == "found"
    assert find_root().path.resolve() == project.resolve()
    assert _revisions(run_cli("versions", "--format", "json")) == ["2021-01-19", "2024-04-24"]


def test_sla_policies_wins_over_the_folder_found_and_option_wins_over_both(project: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLA_POLICIES", str(policies_dir()))
    assert _revisions(run_cli("versions", "--format", "json")) == ["2021-01-19", "2024-04-24", "2024-10-01"]
    assert _revisions(run_cli("versions", "--format", "json", "--policies", str(project))) == ["2021-01-19", "2024-04-24"]


def test_without_any_the_bundled_policies_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLA_POLICIES", raising=False)
    assert find_root().how == "bundled" and find_root().path == policies_dir()


def test_a_policies_folder_without_families_is_not_a_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "policies" / "notes").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLA_POLICIES", raising=False)
    assert find_root().how == "bundled"


def test_lint_validate_and_test_use_the_found_root_and_keep_their_path_arguments(project: Path):
    assert "2 policy revision(s) lint clean" in run_cli("lint").out
    assert "2 policy revision(s) valid" in run_cli("validate").out
    assert "3 policy revision(s) valid" in run_cli("validate", str(policies_dir())).out
    bundled = run_cli("test", str(policies_dir()))
    assert bundled.code == 0, bundled.out


def test_engine_load_without_a_root_uses_the_same_order(project: Path):
    engine = Engine.load()
    assert [r.revision for r in engine.family().revisions] == ["2021-01-19", "2024-04-24"]


def test_an_unknown_revision_names_the_root_searched_and_how_to_choose_another(project: Path):
    run = run_cli("diff", "genesys-cloud", "2024-04-24", "2024-10-01")
    assert run.code == 2
    assert "has no revision '2024-10-01'" in run.err
    assert "policies (the policies/ folder found from the current directory)" in run.err
    assert "choose another folder with --policies DIR or SLA_POLICIES=DIR" in run.err


def test_an_unknown_family_names_the_root_searched(project: Path):
    for run in (run_cli("diff", "acme-sla", "2024-04-24", "2024-10-01"),
                run_cli("evaluate", str(ROOT / "examples" / "records"), "--policy", "acme-sla")):
        assert run.code == 2
        assert "no policy family 'acme-sla'" in run.err and "--policies DIR or SLA_POLICIES=DIR" in run.err


def test_a_missing_policies_folder_or_sla_policies_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    run = run_cli("versions", "--policies", str(tmp_path / "nope"))
    assert run.code == 2 and "--policies" in run.err and "no such policy folder" in run.err
    monkeypatch.setenv("SLA_POLICIES", str(tmp_path / "nope"))
    run = run_cli("versions")
    assert run.code == 2 and "SLA_POLICIES" in run.err


def test_a_receipt_records_the_root_and_verify_with_another_folder_says_so_in_one_line(project: Path, tmp_path: Path):
    receipt = tmp_path / "receipt.json"
    mine = tmp_path / "mine"
    shutil.copytree(ROOT / "policies", mine)
    made = run_cli("replay", str(DISPUTE), "--policies", str(mine), "--receipt", str(receipt))
    assert made.code == 0, made.err
    recorded = json.loads(receipt.read_text(encoding="utf-8"))["run"]["policy_root"]
    assert recorded == {"bundled": False, "path": str(mine.resolve())}
    # Verified from the project's folder, whose policy files differ (2024-04-24 edited):
    edited = project / "genesys-cloud" / "2024-04-24.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("days: 30", "days: 31"), encoding="utf-8")
    run = run_cli("verify", str(receipt))
    assert run.code == 1
    body = [line for line in run.out.splitlines()[1:] if not line.startswith("  unsigned:")]  # issue 14's notice
    assert len(body) == 1, run.out
    assert f"made with another policy folder: pass --policies {mine.resolve()}" in body[0]
    assert run_cli("verify", str(receipt), "--policies", str(mine)).code == 0


def test_a_receipt_from_another_folder_with_the_same_files_still_verifies(tmp_path: Path):
    receipt = tmp_path / "receipt.json"
    assert run_cli("replay", str(DISPUTE), "--policies", str(policies_dir()), "--receipt", str(receipt)).code == 0
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "policies", copy)
    run = run_cli("verify", str(receipt), "--policies", str(copy))
    assert run.code == 0, run.out


def test_a_dispute_naming_an_unknown_family_names_the_root_searched(project: Path, tmp_path: Path):
    bundle = tmp_path / "dispute.yaml"
    bundle.write_text("policy: acme-sla\n" + DISPUTE.read_text(encoding="utf-8"), encoding="utf-8")
    run = run_cli("replay", str(bundle))
    assert run.code == 2
    assert "no policy family 'acme-sla'" in run.err and "--policies DIR or SLA_POLICIES=DIR" in run.err
