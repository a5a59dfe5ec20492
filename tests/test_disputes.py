"""Every example dispute in examples/disputes/ gets the verdict its `expected:` block states.

The block is checked against the replay through the pure core (summary keys,
each record's result, version and findings), against the what-if verdict
under every revision, and against the text `sla replay --all-revisions` prints.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, run_cli
from engine.disputes.bundle import load_bundle, replay
from engine.core.evaluate import Options
from engine.policy.testing import same
from engine.disputes.whatif import all_revisions

EXAMPLES = sorted((ROOT / "examples" / "disputes").glob("*.yaml"))
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_there_are_at_least_eight_example_disputes_each_with_an_expected_verdict():
    assert len(EXAMPLES) >= 8
    for path in EXAMPLES:
        bundle = load_bundle(path)
        assert bundle.expected and "summary" in bundle.expected, path.name


def test_the_examples_cover_the_hard_cases_the_issue_names():
    records = [r for p in EXAMPLES for r in load_bundle(p).records]
    crossing = [o for r in records for o in r.outages if o.start.month != o.end.month]
    assert crossing, "an outage crossing the month end"
    causes = {o.cause for r in records for o in r.outages}
    assert "genesys" in causes and causes & {"customer_internet", "customer_network"}, "an excluded cause"
    claims = {r.fields["submitted_at"].date().isoformat() for r in records if r.type == "credit_claim" and r.fields["support_case"] is None}
    assert {"2024-04-23", "2024-04-24"} <= claims, "the same March claim without a support case on both days"
    assert any(r.fields["contract"]["billing"] == "annual_prepaid" for r in records if r.type == "credit_claim")


def _check(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [m for k, v in expected.items() for m in _check(v, actual.get(k), f"{where}.{k}")]
    return [] if same(expected, actual) else [f"{where}: expected {expected!r}, got {actual!r}"]


@pytest.fixture(scope="module")
def family():
    from engine.policy.family import load_policies
    from engine.io.resources import policies_dir

    return load_policies(policies_dir())["genesys-cloud"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_dispute_gets_its_expected_verdict(path: Path, family):
    bundle = load_bundle(path)
    expected = bundle.expected
    verdict = replay(bundle, family, Options(now=bundle.now or NOW))
    mismatches = _check(expected.get("summary", {}), verdict.summary(), "summary")
    by_id = {d.record.id: d for d in verdict.decisions}
    for rid, wanted in expected.get("records", {}).items():
        decision = by_id[rid]
        view = {**decision.result, "version": decision.revision.revision,
                "findings": {f.rule: f.outcome for f in decision.findings}}
        mismatches += _check(wanted, view, rid)
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_dispute_under_every_revision(path: Path, family):
    bundle = load_bundle(path)
    what_if = all_revisions(bundle, family, Options(now=bundle.now or NOW))
    got = {r.revision: v.code for r, v in what_if.rows}
    assert got == bundle.expected["revisions"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_dispute_text_says_what_it_should(path: Path):
    bundle = load_bundle(path)
    run = run_cli("replay", str(path), "--all-revisions")
    assert run.code == 0, run.err
    for phrase in bundle.expected.get("says", []):
        assert phrase in run.out, f"{path.name}: {phrase!r} not in:\n{run.out}"
