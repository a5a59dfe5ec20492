"""Helpers for the `sla watch` tests: event lines relative to a start instant, the
TEST policy (targets of seconds), running the watcher in-process or as a
subprocess, and reading its alerts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEST_POLICIES = ROOT / "tests" / "fixtures" / "watch_policies"
# The TEST policy's targets (tests/fixtures/watch_policies/regenerate.py) and warning share.
TARGET_SECONDS = {1: 3, 2: 4, 3: 5, 4: 6}
WARNING_SHARE = 0.5


def iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Stream:
    """Event lines of a scenario, written relative to `t0` (seconds as offsets)."""

    t0: datetime
    lines: list[dict[str, Any]] = field(default_factory=list)

    def at(self, seconds: float) -> str:
        return iso(self.t0 + timedelta(seconds=seconds))

    def submit(self, case_id: str, severity: int, channel: str = "portal", offset: float = 0.0,
               events: list[dict[str, Any]] | None = None, customer: str = "acme") -> "Stream":
        case = {"id": case_id, "customer": customer, "severity": severity, "channel": channel,
                "submitted_at": self.at(offset)}
        if events is not None:
            case["events"] = events
        self.lines.append({"type": "case_submitted", "case": case})
        return self

    def event(self, kind: str, case_id: str, offset: float, **fields: Any) -> "Stream":
        self.lines.append({"type": kind, "case_id": case_id, "at": self.at(offset), **fields})
        return self

    def text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in self.lines)

    def write(self, path: Path) -> Path:
        path.write_text(self.text(), encoding="utf-8")
        return path


def soon(seconds: float = 1.0) -> datetime:
    """A start instant a little in the future, so the first clocks run in real time."""
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def read_alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def by_case(alerts: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for alert in alerts:
        out.setdefault(alert["case"], []).append(alert["alert"])
    return out


def watch_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "engine", "watch", *args]


def spawn(*args: str, **kwargs: Any) -> subprocess.Popen:
    """`sla watch ARGS` as a subprocess of this checkout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen(watch_command(*args), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(watch_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
