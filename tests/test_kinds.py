"""Record kinds (engine.kinds): a new kind is one module plus its schema.

The toy kind here is written to a temporary folder as a module of its own, with
a JSON Schema next to it and a rule in a copy of the bundled policy; the engine
then decides its records end to end without a line of the engine changing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from engine import kinds
from engine.api import Engine
from engine.core.outcomes import outcome_of
from engine.errors import PolicyError
from engine.policy.family import load_policies
from engine.render.decisions import as_table

TOY_MODULE = '''
"""A toy record kind: a customer satisfaction survey, one score per support case."""

import json
from fractions import Fraction
from pathlib import Path

from engine.kinds import Anchor, Kind


def _submitted(record):
    submitted = record.fields["submitted_at"]
    return lambda revision: submitted


def _derive(record, revisions, now, history):
    return {"score": Fraction(record.fields["score"]), "scored_case": record.fields["case"]}


def _result(record, revisions, facts, findings, now):
    return {"score": str(facts["score"]), "detractor": any(f.outcome == "violation" for f in findings)}


KIND = Kind(
    name="survey",
    schema="records/survey.schema.json",
    schema_document=json.loads((Path(__file__).parent / "survey.schema.json").read_text()),
    facts={"score": "the score given, 0-10", "scored_case": "the support case the survey is about"},
    anchors=(Anchor("record", "submitted_at", "survey", _submitted),),
    derive=_derive,
    result=_result,
    outcome=lambda decision: "detractor" if decision.result["detractor"] else "satisfied",
    summary=lambda decision, lang: f"score {decision.result['score']}",
    outcomes=("detractor", "satisfied"),
)
'''

TOY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://sla-engine.dev/schemas/records/survey.schema.json",
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "id", "customer", "case", "submitted_at", "score"],
    "properties": {
        "type": {"const": "survey"},
        "id": {"$ref": "common.schema.json#/$defs/id"},
        "customer": {"$ref": "common.schema.json#/$defs/id"},
        "case": {"type": "string"},
        "submitted_at": {"type": "string"},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
    },
}

TOY_RULE = """
  - id: survey.detractor
    applies_to: survey
    clause: support.case_submission
    outcomes:
      - when: {lt: [{fact: score}, 7]}
        outcome: violation
        message:
          en: "Score {score} on case {scored_case} is a detractor."
          zh: "案例 {scored_case} 的评分 {score} 为贬损。"
      - outcome: met
        message:
          en: "Score {score} on case {scored_case}."
          zh: "案例 {scored_case} 的评分 {score}。"
"""


def _policy_root(tmp_path: Path) -> Path:
    """A copy of the bundled 2024-10-01 revision with one survey rule."""
    root = tmp_path / "policies"
    (root / "genesys-cloud").mkdir(parents=True)
    text = (ROOT / "policies" / "genesys-cloud" / "2024-10-01.yaml").read_text(encoding="utf-8")
    head, rules = text.split("\nrules:\n", 1)
    text = head + "\nrules:\n" + TOY_RULE.lstrip("\n") + "\n" + rules
    (root / "genesys-cloud" / "2024-10-01.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def survey_kind(tmp_path):
    """The toy kind, loaded from its own module file and registered; forgotten afterwards."""
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "survey_kind.py").write_text(TOY_MODULE, encoding="utf-8")
    (folder / "survey.schema.json").write_text(json.dumps(TOY_SCHEMA), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("survey_kind", folder / "survey_kind.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kinds.register(module.KIND)
    yield module.KIND
    kinds.unregister("survey")
    sys.modules.pop("survey_kind", None)


def _survey(score: int, rid: str = "SRV-1") -> dict:
    return {"type": "survey", "id": rid, "customer": "acme", "case": "CASE-7",
            "submitted_at": "2024-11-03T10:00:00Z", "score": score}


def test_a_new_kind_is_one_module_and_a_schema_decided_end_to_end(survey_kind, tmp_path):
    engine = Engine.load(_policy_root(tmp_path))
    result = engine.evaluate([_survey(4), _survey(9, "SRV-2")], now="2025-01-01T00:00:00Z")
    assert result.rejected == []
    low, high = result.decisions
    assert low["type"] == "survey" and low["version"] == "2024-10-01"
    assert low["result"] == {"score": "4", "detractor": True}
    assert low["findings"] == [{"rule": "survey.detractor", "outcome": "violation", "clause": "support.case_submission",
                                "message": "Score 4 on case CASE-7 is a detractor."}]
    assert high["result"] == {"score": "9", "detractor": False}
    assert [outcome_of(d) for d in result.objects] == ["detractor", "satisfied"]
    assert "score 4" in as_table(result.objects)


def test_a_record_of_the_new_kind_is_checked_against_its_schema(survey_kind, tmp_path):
    engine = Engine.load(_policy_root(tmp_path))
    result = engine.evaluate([_survey(11)], now="2025-01-01T00:00:00Z")
    assert result.decisions == []
    (rejected,) = result.rejected
    assert rejected["problems"][0]["path"] == ["score"]


def test_a_rule_for_a_kind_the_engine_does_not_know_fails_at_load_with_did_you_mean(tmp_path):
    root = _policy_root(tmp_path)
    with pytest.raises(PolicyError) as caught:
        load_policies(root)
    (problem,) = caught.value.problems
    assert problem.path == ("rules", 0, "applies_to")
    assert problem.message.startswith("unknown record kind 'survey'")
    assert problem.line is not None


def test_a_rule_of_the_new_kind_naming_an_unknown_fact_fails_at_load(survey_kind, tmp_path):
    root = _policy_root(tmp_path)
    path = root / "genesys-cloud" / "2024-10-01.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{fact: score}, 7", "{fact: scor}, 7"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies(root)
    assert "unknown fact 'scor'; did you mean 'score'?" in caught.value.problems[0].message


def test_every_built_in_kind_is_found_by_name():
    assert kinds.names()[:3] == ("case", "uptime", "credit_claim")
    for name in ("case", "uptime", "credit_claim"):
        kind = kinds.get(name)
        assert kind.schema == f"records/{name}.schema.json"
        assert kind.anchors and kind.facts


def test_a_record_of_an_unknown_kind_is_rejected_naming_the_known_ones():
    run = run_cli("evaluate", "-", "--format", "json", stdin='{"type": "survey", "id": "X", "customer": "c"}')
    assert run.code == 2
    assert "unknown record type 'survey'; expected one of case, uptime, credit_claim" in run.err
