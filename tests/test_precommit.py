"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself on a temporary
policy repository (issue 15 item 5). `pre-commit try-repo` installs this checkout (its
committed state plus uncommitted edits) into a hook environment, as a policy repository's
`.pre-commit-config.yaml` pointing at this repository would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", *args], cwd=repo, check=True,
                   capture_output=True)


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    env.pop("SLA_POLICIES", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=600)


def test_the_hooks_are_sla_lint_and_sla_test_on_the_policy_root():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert hooks["sla-lint"]["entry"] == "sla lint" and hooks["sla-test"]["entry"] == "sla test"
    assert all(h["language"] == "python" and h["pass_filenames"] is False for h in hooks.values())


def test_pre_commit_passes_a_clean_policy_repo_and_fails_a_changed_window_under_an_unchanged_clause(tmp_path: Path):
    repo = tmp_path / "policy-repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    shutil.copytree(ROOT / "policies", repo / "policies")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "policies")
    home = tmp_path / "pre-commit-home"

    clean = _pre_commit(repo, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "sla lint (policy revisions)" in clean.stdout and "sla test (policy tests)" in clean.stdout
    assert clean.stdout.count("Passed") == 2

    latest = repo / "policies" / "genesys-cloud" / "2024-10-01.yaml"
    latest.write_text(latest.read_text(encoding="utf-8").replace("days: 30, after", "days: 45, after"),
                      encoding="utf-8")
    _git(repo, "commit", "-qam", "window 45 days, clause text unchanged")
    broken = _pre_commit(repo, home)
    assert broken.returncode == 1
    assert "claims.window.days changed from 30 to 45" in broken.stdout
    lint_line = next(line for line in broken.stdout.splitlines() if line.startswith("sla lint"))
    assert lint_line.endswith("Failed")
