"""The one way a YAML or JSON document file is read: policies, policy tests,
dispute bundles and `sla check` mappings all come through here.

Reading a document is always the same four steps, each with its own error
naming the file and, where there is one, the line: read the bytes, decode them
as UTF-8, parse them keeping every value's line (`engine.io.yamlload`, which
reads JSON too), and check them against their JSON Schema (`engine.io.schemas`).
The caller names the `SlaError` kind its problems are raised as, so a broken
policy stays a `PolicyError` and a broken bundle a `BundleError`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import PathPart, Problem, SlaError
from engine.io.schemas import iter_problems
from engine.io.yamlload import Loaded, YamlProblem, load_yaml


@dataclass(frozen=True)
class Document:
    """A parsed document file: its data, the line of each path in it, and the sha256 of its bytes."""

    file: str
    loaded: Loaded
    sha256: str

    @property
    def data(self) -> Any:
        return self.loaded.data

    @property
    def lines(self) -> dict[tuple[PathPart, ...], int]:
        return self.loaded.lines

    def line_of(self, *path: PathPart) -> int | None:
        return self.loaded.line_of(tuple(path))

    def schema_problems(self, schema: str) -> list[Problem]:
        """Every way the document breaks `schemas/<schema>`, each with this file and its line."""
        return schema_problems(schema, self.loaded, self.file)


def schema_problems(schema: str, loaded: Loaded, file: str) -> list[Problem]:
    """Every way `loaded.data` breaks `schemas/<schema>`, each located at its line in `file`."""
    return [p.located(file=file, line=loaded.line_of(p.path)) for p in iter_problems(schema, loaded.data)]


def read_document(path: str | Path, error: type[SlaError], file: str | None = None) -> Document:
    """Read and parse one YAML or JSON file (no schema check). `file` is the name
    shown in messages (default: the path). Raises `error` with the problem."""
    file = file or str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error([Problem(f"cannot read: {exc.strerror or exc}", file=file)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error([Problem(f"not UTF-8 text (byte {exc.start})", file=file, line=line)]) from None
    try:
        loaded = load_yaml(text, file)
    except YamlProblem as exc:
        raise error([exc.problem]) from None
    return Document(file, loaded, hashlib.sha256(raw).hexdigest())


def load_document(path: str | Path, schema: str, error: type[SlaError], file: str | None = None) -> Document:
    """Read, parse and schema-check one document. Raises `error` with every problem, each with its line."""
    document = read_document(path, error, file)
    problems = document.schema_problems(schema)
    if problems:
        raise error(problems)
    return document
