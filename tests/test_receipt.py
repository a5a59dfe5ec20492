"""Decision receipts: written by `sla replay --receipt`, checked by `sla verify`.
Tampering with any part (decision, input, a hash) fails naming what; a changed
policy file, engine or outcome is named too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from engine.canonical import sha256_of
from engine.disputes.receipt import SECTIONS, receipt_hash

EXAMPLE = ROOT / "examples" / "disputes" / "01-simple-timely-claim.yaml"


@pytest.fixture
def receipt(tmp_path: Path) -> Path:
    out = tmp_path / "receipt.json"
    run = run_cli("replay", str(EXAMPLE), "--receipt", str(out))
    assert run.code == 0, run.err
    return out


def _verify(path: Path, *args: str):
    return run_cli("verify", str(path), *args)


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")


def _reseal(data: dict) -> None:
    """Recompute every hash, as a forger who knows the format would."""
    for name in SECTIONS:
        data["sha256"][name] = sha256_of(data[name])
    data["sha256"]["receipt"] = receipt_hash(data["sha256"])


def test_a_fresh_receipt_verifies(receipt: Path):
    run = _verify(receipt)
    assert run.code == 0, run.out + run.err
    assert "verified" in run.out


def test_a_receipt_holds_input_decision_policy_schema_and_engine_hashes(receipt: Path):
    data = json.loads(receipt.read_text())
    assert data["input"]["title"] == "Acme claims a 10% credit for June 2024"
    assert data["decision"]["summary"]["credit_amount"] == "1000.00"
    assert [p["file"] for p in data["policies"]] == ["genesys-cloud/2024-04-24.yaml"]
    assert len(data["policies"][0]["sha256"]) == 64
    assert {s["file"] for s in data["schemas"]} >= {"dispute.schema.json", "records/credit_claim.schema.json",
                                                    "records/uptime.schema.json", "policy.schema.json"}
    assert data["engine"]["name"] == "sla-engine" and len(data["engine"]["code_sha256"]) == 64
    assert data["sha256"]["input"] == sha256_of(data["input"])


def test_the_same_replay_writes_a_byte_identical_receipt(tmp_path: Path, receipt: Path):
    again = tmp_path / "again.json"
    assert run_cli("replay", str(EXAMPLE), "--receipt", str(again)).code == 0
    assert again.read_bytes() == receipt.read_bytes()


def test_canonical_input_ignores_layout_so_a_reformatted_bundle_has_the_same_input_hash(tmp_path: Path, receipt: Path):
    import yaml

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    moved = tmp_path / "01-simple-timely-claim.json"
    moved.write_text(json.dumps(data, indent=8), encoding="utf-8")
    other = tmp_path / "other.json"
    assert run_cli("replay", str(moved), "--receipt", str(other)).code == 0
    assert json.loads(other.read_text())["sha256"]["input"] == json.loads(receipt.read_text())["sha256"]["input"]


def test_changing_one_byte_of_the_decision_fails_naming_the_decision(receipt: Path):
    text = receipt.read_text(encoding="utf-8")
    assert text.count('"credit_amount": "1000.00"') >= 1
    receipt.write_text(text.replace('"credit_amount": "1000.00"', '"credit_amount": "1000.01"', 1), encoding="utf-8")
    run = _verify(receipt)
    assert run.code == 1
    assert "receipt tampered: the decision section does not match sha256.decision" in run.out
    assert "1000.01" in run.out and "1000.00" in run.out


def test_changing_one_byte_of_the_input_fails_naming_the_input(receipt: Path):
    _edit(receipt, lambda d: d["input"]["records"][0]["outages"][0].update(end="2024-06-11T14:41:00Z"))
    run = _verify(receipt)
    assert run.code == 1
    assert "receipt tampered: the input section does not match sha256.input" in run.out
    assert "outcome changed" in run.out  # the re-run of the edited input disagrees with the recorded decision


def test_changing_one_byte_of_a_hash_fails_naming_the_hash(receipt: Path):
    def flip(d):
        h = d["sha256"]["decision"]
        d["sha256"]["decision"] = ("0" if h[0] != "0" else "1") + h[1:]

    _edit(receipt, flip)
    run = _verify(receipt)
    assert run.code == 1
    assert "receipt tampered: the decision section does not match sha256.decision" in run.out
    assert "receipt tampered: the section hashes do not match sha256.receipt" in run.out


def test_changing_a_recorded_policy_hash_fails_naming_the_policies_section(receipt: Path):
    def flip(d):
        h = d["policies"][0]["sha256"]
        d["policies"][0]["sha256"] = ("0" if h[0] != "0" else "1") + h[1:]

    _edit(receipt, flip)
    run = _verify(receipt)
    assert run.code == 1 and "receipt tampered: the policies section does not match sha256.policies" in run.out


def test_a_forged_decision_with_recomputed_hashes_is_caught_by_the_rerun(receipt: Path):
    def forge(d):
        d["decision"]["summary"]["credit_percent"] = "30"
        _reseal(d)

    _edit(receipt, forge)
    run = _verify(receipt)
    assert run.code == 1
    assert "receipt tampered" not in run.out
    assert "outcome changed: summary.credit_percent (receipt: 30; now: 10)" in run.out


def test_a_changed_policy_file_is_named(tmp_path: Path):
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    out = tmp_path / "receipt.json"
    assert run_cli("replay", str(EXAMPLE), "--policies", str(policies), "--receipt", str(out)).code == 0
    revision = policies / "genesys-cloud" / "2024-04-24.yaml"
    revision.write_text(revision.read_text(encoding="utf-8") + "\n# a comment added later\n", encoding="utf-8")
    run = _verify(out, "--policies", str(policies))
    assert run.code == 1
    assert "policy file changed: policy file genesys-cloud/2024-04-24.yaml changed" in run.out
    assert "decision: the same as recorded" in run.out
    assert "outcome changed" not in run.out


def test_a_policy_change_that_changes_the_outcome_is_named_as_both(tmp_path: Path):
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    out = tmp_path / "receipt.json"
    assert run_cli("replay", str(EXAMPLE), "--policies", str(policies), "--receipt", str(out)).code == 0
    revision = policies / "genesys-cloud" / "2024-04-24.yaml"
    text = revision.read_text(encoding="utf-8")
    assert '{below: "99.99", percent: "10"}' in text
    revision.write_text(text.replace('{below: "99.99", percent: "10"}', '{below: "99.9", percent: "10"}'), encoding="utf-8")
    run = _verify(out, "--policies", str(policies), "--format", "json")
    assert run.code == 1
    kinds = {(d["kind"], d["what"]) for d in run.json()["differences"]}
    assert ("policy_changed", "policy file genesys-cloud/2024-04-24.yaml changed") in kinds
    assert ("outcome_changed", "summary.verdict") in kinds
    assert ("outcome_changed", "summary.credit_amount") in kinds


def test_a_changed_engine_is_named(receipt: Path):
    def older(d):
        d["engine"]["code_sha256"] = "0" * 64
        _reseal(d)

    _edit(receipt, older)
    run = _verify(receipt)
    assert run.code == 1 and "engine changed: engine code changed (same version" in run.out
    assert "decision: the same as recorded" in run.out


def test_a_different_engine_version_is_named(receipt: Path):
    def older(d):
        d["engine"]["version"] = "0.0.1"
        _reseal(d)

    _edit(receipt, older)
    run = _verify(receipt)
    assert "engine changed: engine version changed (receipt: 0.0.1; now:" in run.out


def test_a_changed_schema_is_named(receipt: Path):
    def older(d):
        d["schemas"][0]["sha256"] = "1" * 64
        _reseal(d)

    _edit(receipt, older)
    run = _verify(receipt)
    assert run.code == 1 and "schema changed: schema dispute.schema.json changed" in run.out


def test_a_file_that_is_not_a_receipt_is_bad_input(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    run = _verify(path)
    assert run.code == 2 and "not a decision receipt" in run.err


def test_a_receipt_that_is_not_json_names_its_line(tmp_path: Path):
    path = tmp_path / "x.json"
    path.write_text('{\n  "receipt":\n}', encoding="utf-8")
    run = _verify(path)
    assert run.code == 2 and "x.json:3: not valid JSON" in run.err


def test_verify_as_json_reports_verified(receipt: Path):
    run = _verify(receipt, "--format", "json")
    assert run.json() == {"verified": True, "tampered": False, "same_decision": True, "differences": [],
                          "signature": "unsigned", "key_id": None, "what_if": None}


def test_a_receipt_for_a_dispute_with_cases_records_the_evaluation_instant(tmp_path: Path):
    out = tmp_path / "r.json"
    bundle = ROOT / "examples" / "disputes" / "12-support-cases-only.yaml"
    assert run_cli("replay", str(bundle), "--receipt", str(out)).code == 0
    assert json.loads(out.read_text())["run"]["now"] == "2024-06-01T00:00:00Z"
    assert _verify(out).code == 0
