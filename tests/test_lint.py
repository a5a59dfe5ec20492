"""`sla lint`: one broken fixture per fault, each rejected with one precise line."""

from pathlib import Path

import pytest

from conftest import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "lint"


@pytest.mark.parametrize(
    ("fault", "line", "path", "message"),
    [
        ("misspelt_key", 174, "claims.requires_suport_case",
         "unknown key 'requires_suport_case'; did you mean 'requires_support_case'?"),
        ("overlapping_tier", 156, "credits.tiers[2].below",
         "tier below 99% overlaps tiers[1] (same threshold); each threshold may appear once"),
        ("swapped_month_day", 11, "effective",
         "'2024-30-10' is not a real date: month 30 is not 1-12 (month and day swapped?)"),
        ("unknown_clause_id", 285, "rules[6].clause",
         "unknown clause id 'credits.requests'; did you mean 'credits.request'?"),
    ],
)
def test_lint_rejects_each_fault_with_one_precise_line(fault, line, path, message):
    folder = FIXTURES / fault / "genesys-cloud"
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert run.out.splitlines() == [f"{folder / '2024-10-01.yaml'}:{line}: {path}: {message}"]


def test_bundled_policies_are_lint_clean():
    run = run_cli("lint")
    assert run.code == 0, run.out
    assert "3 policy revision(s) lint clean" in run.out


def _revision_with(tmp_path: Path, old: str, new: str) -> Path:
    source = (ROOT / "policies" / "genesys-cloud" / "2024-10-01.yaml").read_text(encoding="utf-8")
    assert source.count(old) == 1
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    (folder / "2024-10-01.yaml").write_text(source.replace(old, new), encoding="utf-8")
    return folder


def test_credit_that_does_not_rise_as_uptime_falls_is_reported(tmp_path):
    folder = _revision_with(tmp_path, '{below: "97", percent: "100"}', '{below: "97", percent: "20"}')
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert "credit 20% below 97% does not rise above the 30% of the tier below 99.0%" in run.out


def test_tier_threshold_above_100_is_reported(tmp_path):
    folder = _revision_with(tmp_path, '{below: "99.99", percent: "10"}', '{below: "100.5", percent: "10"}')
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert "credits.tiers[0].below: below must be a percentage from 0 to 100; got 100.5" in run.out


def test_rule_comparing_with_an_undefined_severity_is_reported(tmp_path):
    folder = _revision_with(
        tmp_path,
        "      - when: {not_in: [{fact: channel}, {fact: submission_channels}]}",
        "      - when: {all: [{not_in: [{fact: channel}, {fact: submission_channels}]}, {in: [{fact: severity}, [1, 7]]}]}",
    )
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert "rule case.submission_channel compares with severity 7, which this revision does not define" in run.out


def test_rule_naming_an_unknown_fact_suggests_the_near_one(tmp_path):
    folder = _revision_with(tmp_path, "{gt: [{fact: credit_percent}, 0]}", "{gt: [{fact: credit_percnt}, 0]}")
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert "unknown fact 'credit_percnt'; did you mean 'credit_percent'?" in run.out


def test_revisions_whose_effective_dates_run_backwards_are_reported(tmp_path):
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    for name in ("2021-01-19", "2024-04-24"):
        text = (ROOT / "policies" / "genesys-cloud" / f"{name}.yaml").read_text(encoding="utf-8")
        if name == "2024-04-24":
            text = text.replace('effective: "2024-04-24"', 'effective: "2020-01-01"')
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert "revision 2024-04-24 takes effect on 2020-01-01, not after revision 2021-01-19" in run.out


def test_two_revisions_on_one_effective_date_are_reported(tmp_path):
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    for name in ("2024-04-24", "2024-10-01"):
        text = (ROOT / "policies" / "genesys-cloud" / f"{name}.yaml").read_text(encoding="utf-8")
        text = text.replace('effective: "2024-10-01"', 'effective: "2024-04-24"')
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    run = run_cli("lint", str(folder))
    assert run.code == 1
    assert "effective date 2024-04-24 is also that of 2024-04-24.yaml" in run.out
