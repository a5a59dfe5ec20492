"""`sla validate` on broken policies: one fault each, reported as exactly one
`FILE:LINE: path: message` line that points at the faulty key, exit 1.

Fixtures: tests/fixtures/broken_policies/<fault>/genesys-cloud/2024-10-01.yaml,
each a copy of the bundled revision with ONE fault on the line marked
`# FAULT` (regenerate with tests/fixtures/broken_policies/regenerate.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "broken_policies"

# fault folder -> (yaml path, message) of the one problem `sla validate` must print
EXPECTED = {
    "misspelt_key": (
        "claims.requires_suport_case",
        "unknown key 'requires_suport_case'; did you mean 'requires_support_case'?"),
    "swapped_effective_date": (
        "effective",
        "'2024-13-01' is not a real date: month 13 is not 1-12 (month and day swapped?)"),
    "unknown_clause_in_rule": (
        "rules[6].clause",
        "unknown clause id 'credits.requets'; did you mean 'credits.request'?"),
    "unknown_fact_in_rule": (
        "rules[3].outcomes[0].when.gt[0].fact",
        "unknown fact 'credit_percnt'; did you mean 'credit_percent'?"),
    "unknown_param_in_rule": (
        "rules[7].outcomes[0].when.all[0].eq[0].param",
        "policy has no value 'claims.requires_suport_case' (no 'requires_suport_case'; did you mean 'requires_support_case'?)"),
    "duplicate_yaml_key": (
        "claims.window",
        "duplicate key 'window' (first given on line {first_window})"),
    "tier_above_100": (
        "credits.tiers[0].below",
        "below must be a percentage from 0 to 100; got 100.5"),
    "submission_channel_not_a_case_channel": (
        "severities.2.submission_channels[1]",
        "'email' is not one of case_channels (phone, portal)"),
    "file_name_not_revision": (
        "revision",
        "file is named 2024-10-01.yaml but holds revision '2024-10-02'; name it 2024-10-02.yaml"),
    "python_tag": (
        "claims.requires_support_case",
        "YAML tag !!python/object:types.SimpleNamespace is not allowed; write plain values"),
    "yaml_alias": (
        "severities.2.submission_channels",
        "YAML aliases (*name) are not allowed; write the value out"),
}


def _line_of(text: str, marker: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `marker`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) >= nth, f"{marker!r} not found {nth} time(s)"
    return hits[nth - 1]


def test_every_fixture_folder_has_an_expectation():
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED)


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_broken_policy_is_reported_as_one_line_at_the_faulty_key(fault):
    folder = FIXTURES / fault
    policy = folder / "genesys-cloud" / "2024-10-01.yaml"
    text = policy.read_text(encoding="utf-8")
    assert text.count("# FAULT") == 1, "a fixture holds exactly one fault"
    line = _line_of(text, "# FAULT")
    path, message = EXPECTED[fault]
    message = message.format(first_window=_line_of(text, "  window:"))

    run = run_cli("validate", str(folder))

    assert run.code == 1, run.out + run.err
    assert "Traceback" not in run.err
    problems = [l for l in run.out.splitlines() if l]
    assert problems == [f"{policy}:{line}: {path}: {message}"]
    assert run.err.strip() == "1 problem(s)"


def test_broken_policy_file_given_directly_reports_the_same_line():
    policy = FIXTURES / "misspelt_key" / "genesys-cloud" / "2024-10-01.yaml"
    line = _line_of(policy.read_text(encoding="utf-8"), "# FAULT")
    run = run_cli("validate", str(policy))
    assert run.code == 1
    assert run.out.splitlines() == [
        f"{policy}:{line}: claims.requires_suport_case: unknown key 'requires_suport_case'; did you mean 'requires_support_case'?"]


def test_misspelt_required_key_is_not_also_reported_as_missing():
    run = run_cli("validate", str(FIXTURES / "misspelt_key"))
    assert "missing required field" not in run.out


def test_yaml_alias_is_reported_at_the_alias_not_at_its_anchor():
    policy = FIXTURES / "yaml_alias" / "genesys-cloud" / "2024-10-01.yaml"
    text = policy.read_text(encoding="utf-8")
    anchor, alias = _line_of(text, "&channels"), _line_of(text, "*channels")
    assert anchor != alias
    run = run_cli("validate", str(policy))
    assert run.out.startswith(f"{policy}:{alias}: ")


def test_python_tag_is_rejected_without_constructing_anything(monkeypatch):
    import types

    built = []
    monkeypatch.setattr(types, "SimpleNamespace", lambda *a, **k: built.append(a) or object())
    run = run_cli("validate", str(FIXTURES / "python_tag"))
    assert run.code == 1
    assert "!!python/object" in run.out
    assert built == []


def test_two_revisions_with_the_same_effective_date_are_rejected(tmp_path):
    family = tmp_path / "genesys-cloud"
    family.mkdir()
    bundled = ROOT / "policies" / "genesys-cloud"
    shutil.copy(bundled / "2024-04-24.yaml", family / "2024-04-24.yaml")
    text = (bundled / "2024-10-01.yaml").read_text(encoding="utf-8")
    assert text.count('effective: "2024-10-01"') == 1
    (family / "2024-10-01.yaml").write_text(text.replace('effective: "2024-10-01"', 'effective: "2024-04-24"'), encoding="utf-8")
    line = _line_of(text, 'effective: "2024-10-01"')

    for target in (family, tmp_path):  # the family folder itself, or a root of families
        run = run_cli("validate", str(target))
        assert run.code == 1, run.out
        assert run.out.splitlines() == [
            f"{family / '2024-10-01.yaml'}:{line}: effective: effective date 2024-04-24 is also that of 2024-04-24.yaml; "
            "one day, one revision"]


def test_two_revisions_with_different_effective_dates_are_valid(tmp_path):
    """The counterpart of the test above: the same two files, untouched, pass."""
    family = tmp_path / "genesys-cloud"
    family.mkdir()
    for name in ("2024-04-24.yaml", "2024-10-01.yaml"):
        shutil.copy(ROOT / "policies" / "genesys-cloud" / name, family / name)
    run = run_cli("validate", str(family))
    assert run.code == 0, run.out
    assert run.out.strip() == "ok: 2 policy revision(s) valid"


def test_evaluate_with_a_broken_policy_folder_exits_2_and_prints_nothing(tmp_path):
    record = tmp_path / "c.json"
    record.write_text('{"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",'
                      ' "submitted_at": "2024-06-03T09:00:00Z", "events": []}', encoding="utf-8")
    run = run_cli("evaluate", str(record), "--policies", str(FIXTURES / "tier_above_100"),
                  "--now", "2030-01-01T00:00:00Z", "--format", "json")
    assert run.code == 2
    assert run.out == ""
    assert "credits.tiers[0].below: below must be a percentage from 0 to 100" in run.err
    assert "Traceback" not in run.err
