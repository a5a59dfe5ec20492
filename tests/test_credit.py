"""One credit calculation (engine.core.credit) for a claim's decision and for
`sla check`'s customer-months, with reason codes taken from the policy's rules."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, claim, decide, outage, uptime
from engine.check.months import credit_owed
from engine.core.credit import month_credit, month_rules
from engine.policy.family import load_family_dir

MONTHLY = {"billing": "month_to_month", "monthly_commitment": "10000.00", "currency": "USD"}
OUTAGE = [outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z")]


def _family_with(tmp_path: Path, old: str, new: str):
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    for source in (ROOT / "policies" / "genesys-cloud").glob("*.yaml"):
        text = source.read_text(encoding="utf-8")
        (folder / source.name).write_text(text.replace(old, new), encoding="utf-8")
    return load_family_dir(folder)


def test_a_month_is_credited_exactly_as_a_claim_for_it_would_be(genesys):
    month = decide(uptime(OUTAGE), genesys)
    claimed = decide(claim(outages=OUTAGE), genesys)
    owed = credit_owed(MONTHLY, month)
    assert claimed.result["eligible"] and owed.eligible
    assert owed.amount == claimed.result["credit_amount"] == "1000.00"
    assert owed.currency == claimed.result["currency"]


def test_a_month_needs_no_claim_so_only_rules_without_claim_fields_run(genesys):
    revision = genesys.by_revision("2024-10-01")
    assert [r.id for r in month_rules(revision)] == ["claim.contract_type", "claim.credit_due"]


def test_reason_codes_of_a_month_come_from_the_policy_rules(tmp_path):
    family = _family_with(tmp_path, "reason: contract_not_eligible", "reason: billing_not_covered")
    month = decide(uptime(OUTAGE), family)
    owed = credit_owed({"billing": "pay_as_you_go", "currency": "USD"}, month)
    assert month.facts["credit_percent"] > 0
    assert (owed.eligible, owed.amount, owed.reasons) == (False, "0.00", ("billing_not_covered",))
    claimed = decide(claim(outages=OUTAGE, contract={"billing": "pay_as_you_go", "currency": "USD"}), family)
    assert claimed.result["reasons"] == ["billing_not_covered"]


def test_a_month_without_a_credit_has_the_policys_no_credit_reason(genesys):
    month = decide(uptime([]), genesys)
    credit = month_credit(month.revision, {**MONTHLY, "monthly_commitment": month.facts["total_minutes"]}, month.facts)
    assert (credit.eligible, credit.amount, credit.reason) == (False, "0.00", "no_credit_due")
