"""Helpers for the `sla check` tests: the benchmark's seeded generator, small files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from conftest import ROOT

NOW = "2025-06-01T00:00:00Z"


def generator() -> Any:
    """bench/generate.py as a module (the same seeded data the benchmark uses, smaller)."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def generate(folder: Path, cases: int = 600, customers: int = 12, claims: int = 120, seed: int = 7) -> Path:
    generator().generate(folder, cases, customers, claims, seed, ticketing=True)
    return folder


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def jsonl(path: Path, records: list[dict[str, Any]]) -> str:
    return write(path, "".join(json.dumps(r) + "\n" for r in records))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
