"""Issue 10, item 5: the customer's duties (designated contacts, initial
troubleshooting, what a portal case contains) are optional record fields read by
policy rules. Absent = unknown (`info`), never a failure; a duty not done is a
`violation` citing its clause; none of them changes the response verdict."""

from __future__ import annotations

import json

import pytest

from conftest import case, decide, run_cli

ANSWERED = [{"type": "human_response", "via": "case_note", "at": "2024-06-03T10:00:00Z"}]
DUTY_RULES = ("case.designated_contacts", "case.initial_troubleshooting", "case.portal_customer_name",
              "case.portal_organisation_id", "case.portal_impact_description")


def outcomes(d) -> dict[str, str]:
    return {f.rule: f.outcome for f in d.findings}


def test_a_case_without_duty_fields_has_every_duty_unknown_and_no_failing_finding(genesys):
    d = decide(case(events=ANSWERED), genesys)
    assert {outcomes(d)[r] for r in DUTY_RULES} == {"info"}
    assert not d.failing


def test_the_organisation_id_not_stated_is_a_violation_citing_case_submission(genesys):
    d = decide(case(events=ANSWERED, portal_case={"organisation_id": False}), genesys)
    [found] = [f for f in d.findings if f.rule == "case.portal_organisation_id"]
    assert (found.outcome, found.clause) == ("violation", "support.case_submission")
    assert found.message == "The customer did not state the customer organisation ID in the portal case."
    assert outcomes(d)["case.portal_customer_name"] == "info"  # left out: unknown


def test_the_chinese_message_names_the_organisation_id(genesys):
    d = decide(case(events=ANSWERED, portal_case={"organisation_id": False}), genesys, lang="zh")
    [found] = [f for f in d.findings if f.rule == "case.portal_organisation_id"]
    assert found.message == "客户未在门户案例中提供客户组织 ID。"


@pytest.mark.parametrize("duties", [
    {"portal_case": {"customer_name": False, "organisation_id": False, "impact_description": False}},
    {"designated_contacts": {"primary": 0, "backup": 0}},
    {"initial_troubleshooting": False},
])
def test_a_duty_not_done_never_changes_the_response_verdict(genesys, duties):
    plain = decide(case(events=ANSWERED), genesys)
    with_duties = decide(case(events=ANSWERED, **duties), genesys)
    assert with_duties.result == plain.result
    assert outcomes(with_duties)["case.response_target"] == outcomes(plain)["case.response_target"] == "met"
    assert with_duties.failing and not plain.failing


def test_designated_contacts_boundary_one_primary_and_one_backup(genesys):
    def contacts(primary: int, backup: int) -> str:
        return outcomes(decide(case(designated_contacts={"primary": primary, "backup": backup}), genesys))["case.designated_contacts"]

    assert (contacts(1, 1), contacts(2, 3), contacts(1, 0), contacts(0, 1)) == ("met", "met", "violation", "violation")


def test_designated_contacts_message_says_what_the_sla_asks_for(genesys):
    d = decide(case(designated_contacts={"primary": 1, "backup": 0}), genesys)
    [found] = [f for f in d.findings if f.rule == "case.designated_contacts"]
    assert found.message == "The customer had designated 0 backup contact(s); the SLA asks for at least 1."
    assert found.clause == "support.designated_contacts"


def test_duties_are_checked_in_every_revision(genesys):
    for submitted in ("2022-06-03T09:00:00Z", "2024-06-03T09:00:00Z", "2025-06-03T09:00:00Z"):
        d = decide(case(submitted_at=submitted, initial_troubleshooting=False), genesys)
        assert outcomes(d)["case.initial_troubleshooting"] == "violation", d.revision.revision


def test_a_duty_field_of_the_wrong_type_is_rejected_naming_the_field(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(case(portal_case={"organisation_id": "no"})) + "\n", encoding="utf-8")
    run = run_cli("evaluate", str(path))
    assert run.code == 2
    assert "portal_case" in run.err and "organisation_id" in run.err and "Traceback" not in run.err


def test_evaluate_shows_the_duty_finding_next_to_the_response_verdict(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(case(events=ANSWERED, portal_case={"organisation_id": False})) + "\n", encoding="utf-8")
    run = run_cli("evaluate", str(path), "--format", "jsonl")
    assert run.code == 1  # a violation is a finding
    decision = json.loads(run.out)
    assert decision["result"]["response_met"] is True
    rules = [f["rule"] for f in decision["findings"]]
    assert rules.index("case.response_target") < rules.index("case.portal_organisation_id")
