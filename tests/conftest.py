"""Shared test helpers: run the CLI in-process, load the bundled policies, build records."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.core.evaluate import Decision, Options, evaluate
from engine.policy.family import Family, load_policies
from engine.core.records import Source, parse_record, record_problems
from engine.io.resources import policies_dir

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, stdin: str = "") -> Run:
    """Run `sla ARGS...` in-process and capture exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def genesys() -> Family:
    return load_policies(policies_dir())["genesys-cloud"]


def decide(raw: dict[str, Any], family: Family, now: datetime = NOW, **options: Any) -> Decision:
    """Validate, parse and evaluate one raw record dict (raising on any problem)."""
    source = Source("<test>", 1)
    problems = record_problems(raw, source)
    assert not problems, [p.render() for p in problems]
    return evaluate(parse_record(raw, source), family, Options(now=now, **options))


def case(**overrides: Any) -> dict[str, Any]:
    base = {"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal",
            "submitted_at": "2024-06-03T09:00:00Z", "events": []}
    return base | overrides


def uptime(outages: list[dict[str, Any]], month: str = "2024-03", **overrides: Any) -> dict[str, Any]:
    return {"type": "uptime", "id": "U-1", "customer": "acme", "month": month, "outages": outages} | overrides


def outage(start: str, end: str, functions: list[str] | None = None, cause: str = "genesys") -> dict[str, Any]:
    return {"start": start, "end": end, "functions": functions or ["inbound_voice"], "cause": cause}


def claim(**overrides: Any) -> dict[str, Any]:
    base = {"type": "credit_claim", "id": "K-1", "customer": "acme", "month": "2024-03",
            "submitted_at": "2024-04-15T09:00:00Z", "support_case": "CASE-1",
            "contract": {"billing": "month_to_month", "monthly_commitment": "10000.00", "currency": "USD"},
            "outages": [outage("2024-03-12T02:00:00Z", "2024-03-12T02:40:00Z")]}
    return base | overrides
