"""Issue 10, item 3: a later revision does not revive a claim whose window had
already closed. The window is the one of the revision in force when it closes
(`claims.window.decided_by: window_close`); `claim_submission` takes the
revision in force when the claim is made.

A hypothetical revision widening the window to 45 days is added to a copy of
the bundled family. May 2024 ends at 2024-06-01T00:00Z; its 30-day window closes
at 2024-07-01T00:00Z, its 45-day one at 2024-07-16T00:00Z.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT, claim, decide, outage, run_cli
from engine.policy.family import load_family_dir

BUNDLED = ROOT / "policies" / "genesys-cloud"
MAY = {"month": "2024-05", "outages": [outage("2024-05-12T02:00:00Z", "2024-05-12T02:40:00Z")]}


def widened_family(tmp_path: Path, effective: str, decided_by: str = "window_close"):
    """The bundled revisions plus one, effective `effective`, with a 45-day window."""
    folder = tmp_path / "genesys-cloud"
    folder.mkdir()
    for path in BUNDLED.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    text = (BUNDLED / "2024-04-24.yaml").read_text(encoding="utf-8")
    for old, new in [('revision: "2024-04-24"', f'revision: "{effective}"'), ('effective: "2024-04-24"', f'effective: "{effective}"'),
                     ("window: {days: 30, after: month_end, decided_by: window_close}",
                      f"window: {{days: 45, after: month_end, decided_by: {decided_by}}}")]:
        assert text.count(old) == 1
        text = text.replace(old, new)
    (folder / f"{effective}.yaml").write_text(text, encoding="utf-8")
    return load_family_dir(folder)


def window(decision) -> str:
    [found] = [f for f in decision.findings if f.rule == "claim.window"]
    return found.outcome


def test_a_wider_window_taking_effect_after_the_old_one_closed_does_not_revive_the_claim(tmp_path):
    family = widened_family(tmp_path, "2024-07-05")
    d = decide(claim(submitted_at="2024-07-10T09:00:00Z", **MAY), family)  # day 40 after the month
    assert d.revision.revision == "2024-07-05"  # the claim procedure is the new revision's...
    assert d.facts["window_revision"] == "2024-04-24"  # ...but the window is the one that closed
    assert d.facts["window_days"] == 30
    assert d.result["window_closes_at"] == "2024-07-01T00:00:00Z"
    assert window(d) == "violation"
    assert d.result["eligible"] is False and "late" in d.result["reasons"]


def test_a_wider_window_taking_effect_while_the_old_one_is_open_extends_it(tmp_path):
    family = widened_family(tmp_path, "2024-06-20")
    d = decide(claim(submitted_at="2024-07-10T09:00:00Z", **MAY), family)
    assert d.facts["window_revision"] == "2024-06-20"
    assert d.result["window_closes_at"] == "2024-07-16T00:00:00Z"
    assert window(d) == "met"
    last = decide(claim(submitted_at="2024-07-15T23:59:59.999999Z", **MAY), family)
    late = decide(claim(submitted_at="2024-07-16T00:00:00Z", **MAY), family)
    assert (window(last), window(late)) == ("met", "violation")


def test_a_revision_taking_effect_at_the_instant_the_old_window_closes_decides_the_window(tmp_path):
    # in force at 2024-07-01T00:00Z, the instant the 30-day window would close: it is
    # the revision in force at the close, so its 45 days apply
    family = widened_family(tmp_path, "2024-07-01")
    d = decide(claim(submitted_at="2024-07-10T09:00:00Z", **MAY), family)
    assert d.facts["window_revision"] == "2024-07-01"
    assert window(d) == "met"


def test_a_revision_taking_effect_one_day_after_the_old_window_closed_does_not(tmp_path):
    family = widened_family(tmp_path, "2024-07-02")
    d = decide(claim(submitted_at="2024-07-10T09:00:00Z", **MAY), family)
    assert d.facts["window_revision"] == "2024-04-24"
    assert window(d) == "violation"


def test_claim_submission_is_a_policy_setting_that_takes_the_window_in_force_when_the_claim_is_made(tmp_path):
    family = widened_family(tmp_path, "2024-07-05", decided_by="claim_submission")
    d = decide(claim(submitted_at="2024-07-10T09:00:00Z", **MAY), family)
    assert d.facts["window_revision"] == "2024-07-05"
    assert d.result["window_closes_at"] == "2024-07-16T00:00:00Z"
    assert window(d) == "met"


def test_the_bundled_revisions_all_decide_by_window_close(genesys):
    assert {r.data["claims"]["window"]["decided_by"] for r in genesys.revisions} == {"window_close"}
    d = decide(claim(), genesys)
    # March 2024's window (open from 2024-04-01) was still open when 2024-04-24 took effect
    assert d.facts["window_revision"] == "2024-04-24"
    assert d.result["window_closes_at"] == "2024-05-01T00:00:00Z"


def test_an_unknown_decided_by_is_rejected(tmp_path):
    from engine.errors import PolicyError

    with pytest.raises(PolicyError):
        widened_family(tmp_path, "2024-07-05", decided_by="whenever")


def test_sla_explain_names_the_revision_whose_window_applies(tmp_path):
    widened_family(tmp_path, "2024-07-05")
    path = tmp_path / "claim.jsonl"
    import json

    path.write_text(json.dumps(claim(submitted_at="2024-07-10T09:00:00Z", **MAY)) + "\n", encoding="utf-8")
    run = run_cli("explain", str(path), "--policies", str(tmp_path))
    assert "revision whose window applies = 2024-04-24" in run.out, run.out + run.err
