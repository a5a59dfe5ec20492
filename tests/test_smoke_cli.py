"""The README's main job works in-process on the bundled policies and examples."""

from jsonschema import Draft202012Validator
import json

from conftest import ROOT, run_cli


def test_versions_lists_the_three_genesys_revisions_with_sha256():
    run = run_cli("versions", "--format", "json")
    assert run.code == 0
    rows = run.json()
    assert [r["revision"] for r in rows] == ["2021-01-19", "2024-04-24", "2024-10-01"]
    assert all(len(r["sha256"]) == 64 for r in rows)


def test_bundled_policies_validate():
    run = run_cli("validate")
    assert run.code == 0, run.out
    assert "3 policy revision(s) valid" in run.out


def test_examples_evaluate_to_decisions_matching_the_decision_schema():
    run = run_cli("evaluate", str(ROOT / "examples" / "records"), "--format", "json", "--now", "2026-01-01T00:00:00Z")
    assert run.code == 1, run.err  # the examples contain breaches on purpose
    decisions = run.json()
    schema = json.loads((ROOT / "schemas" / "decision.schema.json").read_text())
    for decision in decisions:
        Draft202012Validator(schema).validate(decision)
    assert [d["record"] for d in decisions][:2] == ["CASE-1001", "CASE-1002"]


def test_sla_test_runs_the_bundled_policy_tests():
    run = run_cli("test")
    assert run.code == 0, run.out
    assert run.out.splitlines()[-1].endswith("passed, 0 failed")
    assert int(run.out.split()[-4]) >= 30


def test_sla_diff_is_wired_into_the_cli():
    run = run_cli("diff", "genesys-cloud", "2021-01-19", "2024-04-24")
    assert run.code == 0
    assert "claim requires a support case: no → yes (clause credits.request)" in run.out
