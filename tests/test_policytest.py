"""`sla test` (engine.policytest.run_command) and the pytest plugin for policy test files."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import ROOT
from engine.policy.testing import count_tests, run_command, same

BUNDLED_TESTS = ROOT / "policies" / "genesys-cloud" / "tests"

CLAIM = """\
    record:
      type: credit_claim
      id: CLM-1
      customer: acme
      month: "2024-03"
      submitted_at: "2024-04-15T09:00:00Z"
      support_case: null
      contract: {billing: month_to_month, monthly_commitment: "10000.00", currency: USD}
      outages:
        - {start: "2024-03-12T02:00:00Z", end: "2024-03-12T02:40:00Z", functions: [inbound_voice], cause: genesys}
"""


def run(*paths: str | Path, policies_root: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_command([str(p) for p in paths], policies_root, out, err)
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_failing_test_shows_file_line_name_expected_actual_and_clause(tmp_path):
    path = write(tmp_path / "tests", "claims.yaml", f"""\
policy: genesys-cloud
tests:
  - name: A claim filed on 15 April is late (wrong on purpose)
{CLAIM}    expect:
      eligible: false
      reasons: [late]
      findings: {{claim.window: violation}}
      credit_amount: "1000.00"
""")
    code, out, err = run(path)
    assert code == 1, out + err
    assert f"FAILED {path}:3: A claim filed on 15 April is late (wrong on purpose)" in out
    assert "  eligible (line 15)\n    expected: false\n    actual:   true\n" in out
    assert "  reasons (line 16)\n    expected: [late]\n    actual:   []\n" in out
    assert "  findings.claim.window (line 17)\n    expected: violation\n    actual:   met: Claim submitted" in out
    # the clause involved, with its revision and text
    assert "    clause:   credits.request (genesys-cloud@2021-01-19): Credit request and payment." in out
    assert "  credit_amount (line" not in out  # it matched
    assert out.splitlines()[-1] == "0 passed, 1 failed"
    assert err == ""


def test_a_misspelt_key_makes_the_file_invalid_with_file_and_line(tmp_path):
    path = write(tmp_path / "tests", "claims.yaml", f"""\
policy: genesys-cloud
tests:
  - name: misspelt expectation
{CLAIM}    expect:
      eligable: true
""")
    code, out, err = run(path)
    assert code == 2
    assert f"{path}:15: tests[0].expect.eligable: unknown key 'eligable'; did you mean 'eligible'?" in err.splitlines()
    assert out.splitlines()[-1] == "0 passed, 0 failed"


@pytest.mark.parametrize("expect, line, message", [
    ("findings: {claim.windw: met}", 15, "tests[0].expect.findings.claim.windw: genesys-cloud has no rule 'claim.windw' "
                                         "for a credit_claim record; did you mean 'claim.window'?"),
    ("reasons: [lates]", 15, "tests[0].expect.reasons[0]: genesys-cloud gives no reason 'lates'; did you mean 'late'?"),
    ("response_met: true", 15, "tests[0].expect.response_met: 'response_met' is not part of a credit_claim decision"),
    ("{error: before, eligible: true}", 14, "tests[0].expect: `error` expects the record to be rejected"),
    ("findings: {claim.window: late}", 15, "tests[0].expect.findings.claim.window: \"late\" is not one of 'met', 'breached'"),
    ("eligible: yes", 15, "tests[0].expect.eligible: expected true or false; got \"yes\""),
])
def test_expectations_the_policy_cannot_give_are_reported_at_their_line(tmp_path, expect, line, message):
    body = f"      {expect}\n" if not expect.startswith("{") else ""
    head = f"    expect: {expect}\n" if expect.startswith("{") else "    expect:\n"
    path = write(tmp_path / "tests", "t.yaml", f"policy: genesys-cloud\ntests:\n  - name: t\n{CLAIM}{head}{body}")
    code, out, err = run(path)
    assert code == 2, out + err
    assert any(l.startswith(f"{path}:{line}: {message}") for l in err.splitlines()), err


def test_other_invalid_files(tmp_path):
    folder = tmp_path / "tests"
    dup = write(folder, "dup.yaml", f"policy: genesys-cloud\ntests:\n  - name: same\n{CLAIM}    expect: {{eligible: true}}\n"
                                    f"  - name: same\n{CLAIM}    expect: {{eligible: true}}\n")
    date = write(folder, "date.yaml", f"policy: genesys-cloud\nas_of: \"2024-24-04\"\ntests:\n  - name: t\n{CLAIM}    expect: {{eligible: true}}\n")
    family = write(folder, "family.yaml", f"policy: genesys-clod\ntests:\n  - name: t\n{CLAIM}    expect: {{eligible: true}}\n")
    empty = write(folder, "empty.yaml", f"policy: genesys-cloud\ntests:\n  - name: t\n{CLAIM}    expect: {{}}\n")
    code, out, err = run(folder)
    assert code == 2
    assert f"{empty}:14: tests[0].expect: the test expects nothing" in err
    assert f"{dup}:15: tests[1].name: two tests are named 'same' (the first on line 3)" in err
    assert f"{date}:2: as_of: '2024-24-04' is not a real date: month 24 is not 1-12 (month and day swapped?)" in err
    assert f"{family}:1: policy: no policy family 'genesys-clod'; did you mean 'genesys-cloud'?" in err


def test_expected_error_and_unexpected_rejection_are_failures(tmp_path):
    path = write(tmp_path / "tests", "errors.yaml", f"""\
policy: genesys-cloud
tests:
  - name: expects a rejection that does not happen
{CLAIM}    expect:
      error: "before the earliest revision"
  - name: expects a decision for a record that is rejected
    record: {{type: uptime, id: U-1, customer: acme, month: "2020-06", outages: []}}
    expect:
      credit_percent: "0"
  - name: expects a rejection and gets it
    record: {{type: uptime, id: U-2, customer: acme, month: "2020-06", outages: []}}
    expect:
      error: "Before The Earliest Revision"
""")
    code, out, err = run(path)
    assert code == 1
    assert "  error (line 15)\n    expected: the record is rejected with a message containing 'before the earliest revision'\n" \
           "    actual:   it was decided: version 2021-01-19; eligible: true" in out
    assert "  decision (line 16)\n    expected: a decision\n    actual:   rejected: " in out
    assert "record U-1: month: 2020-06-01T00:00:00Z is before the earliest revision of genesys-cloud (2021-01-19" in out
    assert out.splitlines()[-1] == "1 passed, 2 failed"


def test_version_mismatch_explains_which_revision_was_chosen_and_why(tmp_path):
    path = write(tmp_path / "tests", "v.yaml", f"policy: genesys-cloud\ntests:\n  - name: v\n{CLAIM}    expect:\n"
                                               f"      version: \"2024-04-24\"\n")
    code, out, _ = run(path)
    assert code == 1
    assert ("    why:      the claim procedure revision is the latest one in force at submitted_at 2024-04-15T09:00:00Z; "
            "genesys-cloud has 2021-01-19 (effective 2021-01-19), 2024-04-24") in out


def test_the_bundled_genesys_tests_all_pass():
    code, out, err = run()
    assert (code, err) == (0, ""), out + err
    match = re.fullmatch(r"(\d+) passed, 0 failed", out.splitlines()[-1])
    assert match, out
    assert int(match.group(1)) == count_tests([]) >= 30
    for name in ("cases.yaml", "uptime.yaml", "claims.yaml", "revisions.yaml"):
        assert (BUNDLED_TESTS / name).is_file()


def test_the_bundled_tests_cite_every_rule_of_the_policy():
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(BUNDLED_TESTS.glob("*.yaml")))
    for rule in ("case.submission_channel", "case.critical_support_request", "case.response_target", "uptime.credit_tier",
                 "claim.contract_type", "claim.premature", "claim.window", "claim.support_case", "claim.credit_due"):
        assert rule in text, rule
    for reason in ("late", "premature", "missing_support_case", "contract_not_eligible", "no_credit_due"):
        assert re.search(rf"reasons: \[[^\]]*\b{reason}\b", text), reason


def test_tests_beside_a_policy_folder_use_that_folder(tmp_path):
    """A test file in ROOT/FAMILY/tests/ is run against ROOT/FAMILY, not the bundled policies."""
    family = tmp_path / "policies" / "genesys-cloud"
    shutil.copytree(ROOT / "policies" / "genesys-cloud", family, ignore=shutil.ignore_patterns("tests"))
    for name in ("2024-04-24.yaml", "2024-10-01.yaml"):
        revision = family / name
        revision.write_text(revision.read_text(encoding="utf-8").replace("requires_support_case: true",
                                                                         "requires_support_case: false"), encoding="utf-8")
    claim = CLAIM.replace("2024-04-15T09:00:00Z", "2024-04-25T09:00:00Z")
    path = write(family / "tests", "local.yaml", f"policy: genesys-cloud\ntests:\n  - name: no support case needed here\n"
                                                 f"{claim}    expect: {{eligible: true, version: \"2024-04-24\"}}\n")
    assert run(path)[0] == 0
    assert run(tmp_path / "policies")[0] == 0  # a folder: the test files of the families under it
    code, out, _ = run(path, policies_root=ROOT / "policies")  # an explicit root wins
    assert code == 1 and "  eligible (line 14)" in out


def test_a_folder_without_test_files_is_a_usage_problem(tmp_path):
    code, out, err = run(tmp_path)
    assert code == 2
    assert f"{tmp_path}: no policy test files in this folder" in err


@pytest.mark.parametrize("expected, actual", [
    ("10", "10"), (10, "10"), (Decimal("99.99"), "99.99"), ("10.0", "10"), ("2024-05-01T08:00:00+08:00", "2024-05-01T00:00:00Z"),
    (["late", "missing_support_case"], ["missing_support_case", "late"]), (None, None), (True, True), ("USD", "USD"),
])
def test_values_that_mean_the_same(expected, actual):
    assert same(expected, actual)


@pytest.mark.parametrize("expected, actual", [
    ("10", "10.000001"), ("true", True), (1, True), (None, "0"), ("0", None), (False, None), (["late"], ["late", "late"]),
    ("2024-05-01T00:00:00Z", "2024-05-01T00:00:00.001Z"), ("usd", "USD"),
])
def test_values_that_differ(expected, actual):
    assert not same(expected, actual)


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_pytest_plugin_collects_one_item_per_bundled_yaml_test():
    proc = _pytest("--collect-only", "-q", "policies", cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = [l for l in proc.stdout.splitlines() if "::" in l]
    assert len(items) == count_tests([]) >= 30
    assert f"{len(items)} tests collected" in proc.stdout
    assert all(l.startswith("policies/genesys-cloud/tests/") and ".yaml::" in l for l in items)  # never a revision file
    assert "policies/genesys-cloud/tests/claims.yaml::A claim made before its month has ended is premature" in items


def test_the_pytest_plugin_reports_a_failure_as_file_name_and_message(tmp_path):
    family = tmp_path / "policies" / "genesys-cloud"
    shutil.copytree(ROOT / "policies" / "genesys-cloud", family, ignore=shutil.ignore_patterns("tests"))
    write(family / "tests", "wrong.yaml", f"policy: genesys-cloud\ntests:\n  - name: wrong on purpose\n{CLAIM}"
                                          f"    expect: {{eligible: false}}\n  - name: right\n{CLAIM}    expect: {{eligible: true}}\n")
    write(tmp_path / "other" / "tests", "notes.yaml", "not: a policy test\n")  # not in a policy family folder: ignored
    proc = _pytest("-p", "no:sla_policies", "-p", "engine.pytest_plugin", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "policies/genesys-cloud/tests/wrong.yaml:3 / wrong on purpose / 1 difference(s): eligible" in proc.stdout
    assert "    expected: false\n    actual:   true" in proc.stdout
    assert "1 failed, 1 passed" in proc.stdout


def test_the_pytest_plugin_reports_an_invalid_file_as_a_collection_error(tmp_path):
    family = tmp_path / "policies" / "genesys-cloud"
    shutil.copytree(ROOT / "policies" / "genesys-cloud", family, ignore=shutil.ignore_patterns("tests"))
    write(family / "tests", "bad.yaml", f"policy: genesys-cloud\ntests:\n  - name: t\n{CLAIM}    expect: {{eligable: true}}\n")
    proc = _pytest("-p", "no:sla_policies", "-p", "engine.pytest_plugin", cwd=tmp_path)
    assert proc.returncode == 2
    assert ("policies/genesys-cloud/tests/bad.yaml:14: tests[0].expect.eligable: unknown key 'eligable'; "
            "did you mean 'eligible'?") in proc.stdout
