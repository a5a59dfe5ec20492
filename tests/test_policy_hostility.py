"""Issue 14 item 5: a policy file cannot hang, crash, amplify or leak.

Policy loading refuses FIFOs and devices and symbolic links that leave the
policy folder, and never echoes the content of a file that is not a policy;
numeric literals are bounded (the schema states the bounds, `1e999999999` and
5,000-digit integers are refused at once, in every YAML the engine reads);
message templates may only name facts (no format spec or conversion)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

REVISION = "2024-10-01.yaml"
SECRET = "hunter2-TOP-SECRET-VALUE"


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root, ignore=shutil.ignore_patterns("tests", "source"))
    return root


def _sla(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "genesys-cloud" / REVISION
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_fifo_in_the_policy_folder_is_refused_not_waited_on(policies: Path):
    os.mkfifo(policies / "genesys-cloud" / "2030-01-01.yaml")
    started = time.monotonic()
    run = _sla("validate", str(policies), timeout=30)
    assert run.returncode in (1, 2) and "not a regular file" in run.stdout + run.stderr
    assert time.monotonic() - started < 30
    run = _sla("versions", "--policies", str(policies), timeout=30)
    assert run.returncode == 2 and "FIFO" in run.stderr


def test_a_symlink_out_of_the_policy_folder_is_refused_and_its_content_never_shown(policies: Path, tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text(f"password: {SECRET}\n", encoding="utf-8")
    (policies / "genesys-cloud" / "2030-01-01.yaml").symlink_to(secret)
    run = run_cli("validate", str(policies))
    assert run.code != 0 and "outside the policy folder" in run.out + run.err
    assert SECRET not in run.out + run.err


def test_a_file_that_is_not_a_policy_is_rejected_without_echoing_it(policies: Path):
    (policies / "genesys-cloud" / "2030-01-01.yaml").write_text(f"root:x:0:0 {SECRET} /bin/bash\n", encoding="utf-8")
    run = run_cli("validate", str(policies))
    assert run.code == 1 and "not a policy" in run.out
    assert SECRET not in run.out + run.err


@pytest.mark.parametrize("literal", ["1.0e999999999", "1" + "0" * 5000])
def test_a_huge_number_in_a_policy_is_a_validation_error_at_once(policies: Path, literal: str):
    _edit(policies, '{below: "99.99", percent: "10"}', f'{{below: {literal}, percent: "10"}}')
    started = time.monotonic()
    run = _sla("validate", str(policies), timeout=30)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    line = 1 + (policies / "genesys-cloud" / REVISION).read_text(encoding="utf-8").split("\n").index(
        f'    - {{below: {literal}, percent: "10"}}')
    assert f"{REVISION}:{line}:" in run.stdout and "credits.tiers[0].below" in run.stdout
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("field,value", [("minutes", "99999999999"), ("hours", "100000000")])
def test_targets_beyond_the_schema_bounds_are_refused(policies: Path, field: str, value: str):
    _edit(policies, "response_target: {minutes: 10, via: phone}", f"response_target: {{{field}: {value}, via: phone}}")
    run = run_cli("validate", str(policies))
    assert run.code == 1 and "maximum" in run.out


def test_a_percentage_over_100_is_refused_as_a_number_too(policies: Path):
    _edit(policies, '{below: "99.99", percent: "10"}', '{below: 150, percent: "10"}')
    run = run_cli("validate", str(policies))
    assert run.code == 1 and "0 to 100" in run.out


def test_a_5000_digit_integer_in_a_yaml_record_is_a_clean_error(tmp_path: Path):
    records = tmp_path / "r.yaml"
    records.write_text("type: case\nid: C-1\ncustomer: acme\nseverity: 1" + "0" * 5000 +
                       "\nchannel: phone\nsubmitted_at: '2024-06-03T09:00:00Z'\nevents: []\n", encoding="utf-8")
    run = run_cli("evaluate", str(records), "--now", "2025-01-01T00:00:00Z")
    assert run.code == 2 and "internal error" not in run.err and f"{records}:4:" in run.err


@pytest.mark.parametrize("field", ["{severity:>999999999}", "{channel!r}", "{severity:,}"])
def test_a_message_template_with_a_format_spec_is_rejected_by_validate_and_lint(policies: Path, field: str):
    _edit(policies, 'en: "Severity {severity} case opened via {channel}; it must',
          f'en: "Severity {field} case opened via {{channel}}; it must')
    for command in ("validate", "lint"):
        run = run_cli(command, str(policies))
        assert run.code == 1 and "format spec or conversion" in run.out, (command, run.out, run.err)
