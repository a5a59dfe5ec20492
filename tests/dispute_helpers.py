"""Helpers for the dispute tests: bundles built in code and written to a temp folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# March 2024 (A = 44640 min): one Genesys outage of 441.94 min (7 h 21 min 56.4 s),
# uptime 99.009991...% -> 10%; 4.46 more minutes of unavailability reach 99% exactly.
MARCH_OUTAGE = {"start": "2024-03-12T02:00:00Z", "end": "2024-03-12T09:21:56.4Z", "functions": ["inbound_voice"],
                "cause": "genesys"}


def march_bundle(submitted_at: str, support_case: str | None = None, outages: list[dict[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
    """A March 2024 dispute: the month's uptime record and a claim filed at `submitted_at`."""
    return {
        "title": f"Acme's March 2024 claim filed {submitted_at}",
        "customer": "acme",
        "contract": {"billing": "month_to_month", "monthly_commitment": "10000.00", "currency": "USD"},
        "records": [
            {"type": "uptime", "id": "UP-1", "month": "2024-03", "outages": outages or [MARCH_OUTAGE]},
            {"type": "credit_claim", "id": "CLM-1", "month": "2024-03", "submitted_at": submitted_at,
             "support_case": support_case},
        ],
        **extra,
    }


def write_bundle(folder: Path, data: dict[str, Any], name: str = "dispute.json") -> Path:
    """JSON is YAML too; the loader reads either and keeps line numbers."""
    path = folder / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
