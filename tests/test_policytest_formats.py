"""`sla test --format junit|json` and `--coverage` (issue 15 item 5)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import ROOT, run_cli

TESTS = ROOT / "policies" / "genesys-cloud" / "tests"


def _one_failing(tmp_path: Path) -> Path:
    """A copy of the policies whose claims tests expect one wrong reason."""
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    claims = root / "genesys-cloud" / "tests" / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    assert "reasons: [late]" in text
    claims.write_text(text.replace("reasons: [late]", "reasons: [premature]", 1), encoding="utf-8")
    return root


def test_junit_lists_every_test_per_file_and_the_failure_with_expected_and_actual(tmp_path: Path):
    root = _one_failing(tmp_path)
    run = run_cli("test", str(root), "--format", "junit")
    assert run.code == 1
    tree = ET.fromstring(run.out)
    text = run_cli("test", str(root)).out
    passed, failed = (int(n) for n in text.splitlines()[-1].replace(" passed,", "").replace(" failed", "").split())
    assert int(tree.get("tests")) == passed + failed and int(tree.get("failures")) == failed == 1
    suites = {s.get("name"): s for s in tree.iter("testsuite")}
    assert any(name.endswith("claims.yaml") for name in suites)
    failure = next(tree.iter("failure"))
    assert "reasons: expected [premature], actual [late]" in failure.get("message")
    assert "clause:" in failure.text


def test_json_has_each_test_with_its_mismatches_and_the_counts(tmp_path: Path):
    run = run_cli("test", str(_one_failing(tmp_path)), "--format", "json")
    assert run.code == 1
    data = json.loads(run.out)
    assert data["failed"] == 1 and data["passed"] == len(data["tests"]) - 1
    bad = next(t for t in data["tests"] if not t["passed"])
    assert bad["file"].endswith("claims.yaml") and bad["line"] > 0
    assert bad["mismatches"][0]["key"] == "reasons" and bad["mismatches"][0]["actual"] == "[late]"


def test_an_invalid_test_file_is_an_error_in_junit_and_exit_2(tmp_path: Path):
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    (root / "genesys-cloud" / "tests" / "broken.yaml").write_text("policy: genesys-cloud\ntests: 3\n", encoding="utf-8")
    run = run_cli("test", str(root), "--format", "junit")
    assert run.code == 2
    tree = ET.fromstring(run.out)
    assert int(tree.get("errors")) >= 1 and "broken.yaml" in next(tree.iter("error")).get("message")


def test_coverage_names_the_rule_outcomes_no_test_reaches(tmp_path: Path):
    """With only the revision-selection tests, the claim outcomes that only claims.yaml
    reaches (a late claim) are reported as not reached; with every test, they are not."""
    all_run = run_cli("test", "--coverage", "--format", "json", str(TESTS))
    one_run = run_cli("test", "--coverage", "--format", "json", str(TESTS / "cases.yaml"))
    full, partial = json.loads(all_run.out)["coverage"], json.loads(one_run.out)["coverage"]
    assert full["outcomes"] == partial["outcomes"] > 0
    assert partial["reached"] < full["reached"]

    def missed(cover: dict) -> set[tuple[str, str, int]]:
        return {(o["revision"], o["rule"], o["outcome_index"]) for o in cover["not_reached"]}

    late = ("2024-04-24", "claim.window", 0)
    assert late in missed(partial) and late not in missed(full)
    assert missed(full) < missed(partial)
    text = run_cli("test", "--coverage", str(TESTS / "cases.yaml")).out
    assert f"coverage: {partial['reached']} of {partial['outcomes']} rule outcomes reached by a test" in text
    assert "2024-04-24.yaml:" in text and "claim.window outcome 1: violation (late)" in text


def test_a_rule_outcome_a_new_test_reaches_leaves_the_not_reached_list(tmp_path: Path):
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    before = json.loads(run_cli("test", str(root), "--coverage", "--format", "json").out)["coverage"]
    target = ("2024-10-01", "claim.premature", 0)
    assert target in {(o["revision"], o["rule"], o["outcome_index"]) for o in before["not_reached"]}
    (root / "genesys-cloud" / "tests" / "premature.yaml").write_text(
        "policy: genesys-cloud\ntests:\n  - name: A claim before its month has ended is premature\n"
        "    record: {type: credit_claim, id: K-9, customer: acme, month: \"2024-11\", submitted_at: \"2024-11-20T00:00:00Z\",\n"
        "             support_case: C-1, contract: {billing: month_to_month, monthly_commitment: \"100.00\", currency: USD},\n"
        "             outages: [{start: \"2024-11-02T00:00:00Z\", end: \"2024-11-02T02:00:00Z\", functions: [inbound_voice], cause: genesys}]}\n"
        "    expect: {eligible: false, reasons: [premature]}\n", encoding="utf-8")
    run = run_cli("test", str(root), "--coverage", "--format", "json")
    assert run.code == 0, run.out
    after = json.loads(run.out)["coverage"]
    assert target not in {(o["revision"], o["rule"], o["outcome_index"]) for o in after["not_reached"]}
    assert after["reached"] > before["reached"]
