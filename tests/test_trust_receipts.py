"""Issue 14 item 1: receipts prove something to the other party.

A receipt can be signed (Ed25519): `sla keygen`, `replay --receipt --sign-key`,
`verify --trust PUBKEY`. A forger who edits the input and recomputes every hash,
or re-runs `replay --receipt` on an edited dispute with another key or none, is
refused. Every policy and schema file the decision used must be named; what-if
runs are labelled; untrusted strings reach the terminal escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from engine.canonical import sha256_of
from engine.disputes.receipt import SECTIONS, receipt_hash

EXAMPLE = ROOT / "examples" / "disputes" / "01-simple-timely-claim.yaml"


def _keygen(tmp_path: Path, name: str = "ops") -> tuple[Path, Path, str]:
    key = tmp_path / f"{name}.key"
    run = run_cli("keygen", str(key))
    assert run.code == 0, run.err
    pub = tmp_path / f"{name}.key.pub"
    assert pub.is_file() and (key.stat().st_mode & 0o077) == 0
    key_id = run.out.split("key id ")[1].split()[0]
    return key, pub, key_id


def _signed(tmp_path: Path, key: Path, dispute: Path = EXAMPLE, name: str = "receipt.json") -> Path:
    out = tmp_path / name
    run = run_cli("replay", str(dispute), "--receipt", str(out), "--sign-key", str(key))
    assert run.code == 0, run.err
    return out


def _reseal(data: dict) -> None:
    for name in SECTIONS:
        data["sha256"][name] = sha256_of(data[name])
    data["sha256"]["receipt"] = receipt_hash(data["sha256"])


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_signed_receipt_verifies_against_the_trusted_key_and_names_it(tmp_path: Path):
    key, pub, key_id = _keygen(tmp_path)
    receipt = _signed(tmp_path, key)
    data = json.loads(receipt.read_text())
    assert data["signature"]["algorithm"] == "Ed25519" and data["signature"]["key_id"] == key_id
    run = run_cli("verify", str(receipt), "--trust", str(pub))
    assert run.code == 0, run.out + run.err
    assert f"signed by trusted key {key_id}" in run.out


def test_an_unsigned_receipt_says_unsigned_plainly(tmp_path: Path):
    out = tmp_path / "r.json"
    assert run_cli("replay", str(EXAMPLE), "--receipt", str(out)).code == 0
    plain = run_cli("verify", str(out))
    assert plain.code == 0 and "unsigned" in plain.out
    assert run_cli("verify", str(out), "--format", "json").json()["signature"] == "unsigned"


def test_a_forged_receipt_with_edited_outages_and_recomputed_hashes_is_refused(tmp_path: Path):
    key, pub, _ = _keygen(tmp_path)
    receipt = _signed(tmp_path, key)

    def forge(data):
        data["input"]["records"][0]["outages"] = []
        _reseal(data)
    _edit(receipt, forge)
    run = run_cli("verify", str(receipt), "--trust", str(pub))
    assert run.code == 1
    assert "signature invalid" in run.out


def test_a_receipt_rerun_on_an_edited_dispute_without_the_key_is_refused(tmp_path: Path):
    _, pub, key_id = _keygen(tmp_path)
    forged_dispute = tmp_path / "forged.yaml"
    forged_dispute.write_text(EXAMPLE.read_text(encoding="utf-8").replace("credit", "credit", 1), encoding="utf-8")
    unsigned = tmp_path / "unsigned.json"
    assert run_cli("replay", str(forged_dispute), "--receipt", str(unsigned)).code == 0
    run = run_cli("verify", str(unsigned), "--trust", str(pub))
    assert run.code == 1 and "unsigned" in run.out
    other_key, _, other_id = _keygen(tmp_path, "mallory")
    signed_by_other = _signed(tmp_path, other_key, forged_dispute, "other.json")
    run = run_cli("verify", str(signed_by_other), "--trust", str(pub))
    assert run.code == 1
    assert f"signed by key {other_id}, which is not trusted" in run.out and key_id in run.out


def test_a_signature_whose_key_id_does_not_match_its_key_is_refused(tmp_path: Path):
    key, pub, _ = _keygen(tmp_path)
    receipt = _signed(tmp_path, key)
    _edit(receipt, lambda d: d["signature"].update(key_id="0" * 32))
    run = run_cli("verify", str(receipt), "--trust", str(pub))
    assert run.code == 1 and "key id" in run.out


@pytest.mark.parametrize("section", ["policies", "schemas"])
@pytest.mark.parametrize("how", ["empty", "partial"])
def test_an_empty_or_partial_list_of_files_is_tampering(tmp_path: Path, section: str, how: str):
    out = tmp_path / "r.json"
    assert run_cli("replay", str(EXAMPLE), "--receipt", str(out)).code == 0

    def cut(data):
        data[section] = [] if how == "empty" else data[section][1:]
        _reseal(data)
    _edit(out, cut)
    run = run_cli("verify", str(out))
    assert run.code == 1
    assert "receipt tampered" in run.out and "does not name" in run.out


def test_a_what_if_receipt_is_labelled_and_verify_says_so(tmp_path: Path):
    out = tmp_path / "r.json"
    run = run_cli("replay", str(EXAMPLE), "--as-of", "2021-02-01", "--receipt", str(out))
    assert run.code == 0, run.err
    assert run.out.startswith("WHAT-IF")
    data = json.loads(out.read_text())
    assert data["run"]["what_if"] == "as-of 2021-02-01"
    checked = run_cli("verify", str(out))
    assert "what-if" in checked.out.lower() and "not the decision" in checked.out


def test_a_what_if_replay_is_labelled_in_json_output_and_in_the_log(tmp_path: Path):
    log = tmp_path / "log.sqlite"
    data = run_cli("replay", str(EXAMPLE), "--as-of", "2021-02-01", "--format", "json", "--log", str(log)).json()
    assert data["what_if"] == "as-of 2021-02-01"
    assert run_cli("replay", str(EXAMPLE), "--log", str(log)).code == 0
    rows = run_cli("log", str(log), "--format", "json").json()
    assert {r["what_if"] for r in rows} == {"as-of 2021-02-01", None}
    table = run_cli("log", str(log)).out
    assert table.count("WHAT-IF") == len([r for r in rows if r["what_if"]])


def test_evaluate_as_of_labels_every_decision_and_table_row_a_what_if():
    records = ROOT / "examples" / "records" / "cases.jsonl"
    args = ("evaluate", str(records), "--now", "2026-01-01T00:00:00Z", "--fail-on", "none")
    what_if = run_cli(*args, "--as-of", "2024-05-01", "--format", "jsonl")
    decisions = [json.loads(line) for line in what_if.out.splitlines()]
    assert decisions and {d["what_if"] for d in decisions} == {"as-of 2024-05-01"}
    assert "WHAT-IF" in what_if.err
    table = run_cli(*args, "--as-of", "2024-05-01", "--format", "table").out.splitlines()
    assert all("WHAT-IF as-of 2024-05-01" in line for line in table[1:] if not line.startswith("    "))
    real = run_cli(*args, "--format", "jsonl")
    assert all("what_if" not in json.loads(line) for line in real.out.splitlines())
    assert "WHAT-IF" not in real.err


def test_control_characters_in_receipt_fields_reach_the_terminal_escaped(tmp_path: Path):
    out = tmp_path / "r.json"
    assert run_cli("replay", str(EXAMPLE), "--receipt", str(out)).code == 0
    _edit(out, lambda d: d["input"].update(title="ok\x1b[2J\rverified\u202e"))
    run = run_cli("verify", str(out))
    assert run.code == 1
    for raw in ("\x1b", "\r", "\u202e"):
        assert raw not in run.out + run.err
    assert "\\x1b" in run.out or "\\u001b" in run.out


def test_verify_without_cryptography_still_checks_an_unsigned_receipt(tmp_path: Path):
    import subprocess
    import sys
    out = tmp_path / "r.json"
    assert run_cli("replay", str(EXAMPLE), "--receipt", str(out)).code == 0
    code = ("import sys; sys.modules['cryptography'] = None\n"
            "from engine.cli import main\n"
            f"sys.exit(main(['verify', {str(out)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "unsigned" in proc.stdout


def test_the_python_api_signs_and_checks_against_trusted_keys(tmp_path: Path):
    import yaml
    from engine.api import Engine
    key, pub, key_id = _keygen(tmp_path)
    engine = Engine.load()
    verdict = engine.replay(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    signed = engine.receipt(verdict, "01.yaml", sign_key=key)
    result = engine.verify(signed, trust=[pub])
    assert result.verified and result.signature.key_id == key_id
    unsigned = engine.receipt(verdict, "01.yaml")
    refused = engine.verify(unsigned, trust=[pub])
    assert not refused.verified and refused.signature.status == "unsigned"


def test_the_progress_line_keeps_its_carriage_return_through_the_escaping_stream():
    import io
    from engine.check.progress import Progress
    from engine.textsafe import SafeStream
    raw = io.StringIO()
    progress = Progress(SafeStream(raw), enabled=True, every=0)  # type: ignore[arg-type]
    progress.update("cases", 10)
    assert raw.getvalue().startswith("\rcases: 10 records")


def test_a_refused_signature_is_said_once(tmp_path: Path):
    _, pub, _ = _keygen(tmp_path)
    out = tmp_path / "r.json"
    assert run_cli("replay", str(EXAMPLE), "--receipt", str(out)).code == 0
    run = run_cli("verify", str(out), "--trust", str(pub))
    assert run.code == 1 and run.out.count("unsigned") == 1
