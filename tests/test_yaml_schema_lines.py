"""Editors validate policies while legal types (issue 15 item 4): every bundled policy,
policy test, dispute and mapping YAML starts with the yaml-language-server line naming
its schema, the path resolves (in the checkout and in the wheel's layout), and the file
validates against that schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from engine.io.schemas import iter_problems
from engine.io.yamlload import load_yaml

# Where the bundled YAML lives -> the schema each file must name (relative to schemas/).
KINDS = {
    "policies/*/*.yaml": "policy.schema.json",
    "policies/*/tests/*.yaml": "policy-test.schema.json",
    "examples/disputes/*.yaml": "dispute.schema.json",
    "mappings/*.yaml": "check/mapping.schema.json",
}
LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\n")
FILES = [(path, schema) for pattern, schema in KINDS.items() for path in sorted(ROOT.glob(pattern))]


def test_there_are_bundled_files_of_every_kind():
    assert {schema for _, schema in FILES} == set(KINDS.values())
    assert len(FILES) >= 3 + 4 + 12 + 5


@pytest.mark.parametrize("path,schema", FILES, ids=[str(p.relative_to(ROOT)) for p, _ in FILES])
def test_every_bundled_yaml_names_its_schema_on_its_first_line_and_validates_against_it(path: Path, schema: str):
    text = path.read_text(encoding="utf-8")
    match = LINE.match(text)
    assert match, f"{path.relative_to(ROOT)} does not start with '# yaml-language-server: $schema=...'"
    named = (path.parent / match.group(1)).resolve()
    assert named == (ROOT / "schemas" / schema).resolve(), f"{path.relative_to(ROOT)} names {match.group(1)}"
    problems = [p.render() for p in iter_problems(schema, load_yaml(text, str(path)).data)]
    assert problems == []


def test_the_schema_paths_also_resolve_in_the_wheel_layout():
    """The wheel puts policies/, mappings/ and schemas/ side by side under engine/_bundled/,
    as in the checkout, so the same relative paths work for an installed copy."""
    import tomllib

    forced = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]["targets"][
        "wheel"]["force-include"]
    for folder in ("policies", "schemas", "mappings"):
        assert forced[folder] == f"engine/_bundled/{folder}"
