"""Policies, policy tests, dispute bundles and `sla check` mappings are read by
one loader (engine.io.documents): the same fault in any of them is reported the
same way, naming the file and the line, as that kind's own error."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

import pytest

from conftest import ROOT
from engine.check.mapping import load_mapping
from engine.disputes.bundle import BundleError, load_bundle
from engine.errors import PolicyError, SlaError, UsageError
from engine.io.documents import load_document, read_document
from engine.policy.family import load_revision
from engine.policy.testing import InvalidTestFile, load_test_file

POLICY = ROOT / "policies" / "genesys-cloud" / "2024-10-01.yaml"
# name: (a valid file of that kind, its loader, the error kind it raises)
KINDS: dict[str, tuple[Path, Callable[[Path], Any], type[SlaError]]] = {
    "policy": (POLICY, load_revision, PolicyError),
    "policy test": (ROOT / "policies" / "genesys-cloud" / "tests" / "cases.yaml", load_test_file, InvalidTestFile),
    "dispute bundle": (ROOT / "examples" / "disputes" / "01-simple-timely-claim.yaml", load_bundle, BundleError),
    "mapping": (ROOT / "mappings" / "ticketing-export.yaml", lambda p: load_mapping(str(p)), UsageError),
}


def copy_with(tmp_path: Path, original: Path, change: Callable[[bytes], bytes]) -> Path:
    path = tmp_path / original.name
    path.write_bytes(change(original.read_bytes()))
    return path


def third_line_broken(data: bytes, replacement: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[2] = replacement
    return b"\n".join(lines)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_document_loads_through_the_one_loader(kind):
    path, load, _ = KINDS[kind]
    load(path)  # no error: the bundled file is valid


@pytest.mark.parametrize("kind", KINDS)
def test_bytes_that_are_not_utf8_name_the_file_and_line_in_every_kind(tmp_path, kind):
    path, load, error = KINDS[kind]
    broken = copy_with(tmp_path, path, lambda data: third_line_broken(data, b"# caf\xe9"))
    with pytest.raises(error) as caught:
        load(broken)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == (str(broken), 3)
    assert problem.message.startswith("not UTF-8 text (byte ")


@pytest.mark.parametrize("kind", KINDS)
def test_a_yaml_syntax_error_names_the_file_and_line_in_every_kind(tmp_path, kind):
    path, load, error = KINDS[kind]
    broken = copy_with(tmp_path, path, lambda data: third_line_broken(data, b"key: [unclosed"))
    with pytest.raises(error) as caught:
        load(broken)
    [problem] = caught.value.problems
    assert problem.file == str(broken) and problem.line is not None and problem.line >= 3
    assert problem.message.startswith("not valid YAML")


def test_an_unreadable_document_is_a_problem_not_a_traceback(tmp_path):
    with pytest.raises(PolicyError) as caught:
        load_document(tmp_path / "missing.yaml", "policy.schema.json", PolicyError)
    [problem] = caught.value.problems
    assert problem.file == str(tmp_path / "missing.yaml") and problem.message.startswith("cannot read")


def test_schema_problems_carry_the_line_of_the_bad_value(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("mapping: m\nsource: cases\nformat: rows\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_document(path, "check/mapping.schema.json", UsageError)
    assert any(p.line == 3 and p.path == ("format",) for p in caught.value.problems), caught.value.problems


def test_a_document_knows_the_sha256_of_its_bytes_and_the_lines_of_its_values():
    document = read_document(POLICY, PolicyError)
    assert document.sha256 == hashlib.sha256(POLICY.read_bytes()).hexdigest() == load_revision(POLICY).sha256
    first_key = next(n for n, line in enumerate(POLICY.read_text(encoding="utf-8").splitlines(), 1)
                     if line and not line.startswith(("#", " ")))
    assert document.line_of(next(iter(document.data))) == first_key
