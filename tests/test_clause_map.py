"""docs/clauses.md maps every clause of the SLA to the policy keys and rules that
execute it: every clause id and every rule id of every revision appears in it."""

from __future__ import annotations

from conftest import ROOT


def test_the_clause_map_names_every_clause_and_every_rule(genesys):
    text = (ROOT / "docs" / "clauses.md").read_text(encoding="utf-8")
    for revision in genesys.revisions:
        for clause in revision.data["clauses"]:
            assert f"`{clause}`" in text, (revision.revision, clause)
        for rule in revision.data["rules"]:
            assert f"`{rule['id']}`" in text, (revision.revision, rule["id"])
