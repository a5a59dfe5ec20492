"""A non-editable install finds its bundled policies and schemas.

Builds the wheel (`pip wheel`, hatchling from PyPI), unzips it as an installed
package would be laid out, and runs `python3 -m engine` from a folder far from
the checkout with only the unzipped wheel on PYTHONPATH.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

BUNDLED = "engine/_bundled"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout}\n{proc.stderr}"
    [built] = out.glob("sla_engine-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unzipped: what site-packages holds after a non-editable install."""
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)
    return target


def _run(installed: Path, cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SLA_DEBUG")}
    env["PYTHONPATH"] = str(installed)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with no policies/ or schemas/ in it or above it."""
    assert not (tmp_path / "policies").exists() and ROOT not in tmp_path.parents
    return tmp_path


def test_wheel_contains_the_bundled_policies_and_schemas(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for revision in ("2021-01-19", "2024-04-24", "2024-10-01"):
        assert f"{BUNDLED}/policies/genesys-cloud/{revision}.yaml" in names
    assert f"{BUNDLED}/schemas/policy.schema.json" in names
    for record_type in ("case", "uptime", "credit_claim", "common"):
        assert f"{BUNDLED}/schemas/records/{record_type}.schema.json" in names


def test_wheel_bundles_the_policy_files_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as z:
        for path in sorted((ROOT / "policies").rglob("*.yaml")):
            name = f"{BUNDLED}/policies/{path.relative_to(ROOT / 'policies').as_posix()}"
            assert z.read(name) == path.read_bytes(), name


def test_installed_package_is_imported_from_the_wheel_not_the_checkout(installed, elsewhere):
    proc = _run(installed, elsewhere, "-c",
                "import engine, engine.io.resources as r; print(engine.__file__); print(r.policies_dir()); print(r.schemas_dir())")
    assert proc.returncode == 0, proc.stderr
    module, policies, schemas = (Path(line) for line in proc.stdout.splitlines())
    assert module.is_relative_to(installed)
    assert policies == installed / "engine" / "_bundled" / "policies"
    assert schemas == installed / "engine" / "_bundled" / "schemas"


def test_installed_sla_versions_lists_the_bundled_revisions(installed, elsewhere):
    proc = _run(installed, elsewhere, "-m", "engine", "versions", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["revision"] for r in rows] == ["2021-01-19", "2024-04-24", "2024-10-01"]
    for row in rows:
        bundled = installed / BUNDLED / "policies" / row["policy"] / row["file"]
        assert row["sha256"] == hashlib.sha256(bundled.read_bytes()).hexdigest()


def test_installed_sla_validate_checks_the_bundled_policies_against_the_bundled_schema(installed, elsewhere):
    proc = _run(installed, elsewhere, "-m", "engine", "validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    count = len(list((installed / BUNDLED / "policies").glob("*/*.yaml")))
    assert proc.stdout.strip() == f"ok: {count} policy revision(s) valid"


def test_installed_sla_evaluate_reads_records_with_the_bundled_record_schemas(installed, elsewhere):
    record = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
              "submitted_at": "2024-06-03T09:00:00Z", "events": [{"type": "human_response", "at": "2024-06-03T10:00:00Z", "via": "case_note"}]}
    proc = _run(installed, elsewhere, "-m", "engine", "evaluate", "-", "--format", "json", "--now", "2030-01-01T00:00:00Z",
                stdin=json.dumps(record))
    assert proc.returncode == 0, proc.stderr
    [decision] = json.loads(proc.stdout)
    assert (decision["record"], decision["version"], decision["result"]["response_met"]) == ("C-1", "2024-04-24", True)
    bad = _run(installed, elsewhere, "-m", "engine", "evaluate", "-", "--format", "json", "--now", "2030-01-01T00:00:00Z",
               stdin=json.dumps({**record, "severity": 7}))
    assert bad.returncode == 2 and bad.stdout == ""
    assert "record C-1: severity: unknown severity 7" in bad.stderr
