"""A seeded generator of realistic SLA data for the benchmark and the tests.

    python3 bench/generate.py --out bench/data                 # the full set
    python3 bench/generate.py --out /tmp/d --cases 100000 --customers 834 --claims 10000

Writes, into --out:
  cases.jsonl         support cases in the core record format, with event lists
  cases-ticketing.csv the same cases as a ticketing-system export (--ticketing)
  incidents.csv       outage incidents, per customer or platform-wide (customer '*')
  contracts.csv       one contract per customer
  claims.jsonl        credit claims in the core record format, outages inline
  *.parquet           with --parquet: the same cases, claims, incidents and contracts
                      as Parquet (bench/columns.py: column types and why)

The output is streamed (a row group of Parquet every 100,000 records), so
`--cases 10000000 --cases-only --parquet` makes the 10M cases of the
memory-against-size runs without holding them.

The same --seed always gives the same bytes. Shapes follow what support and
status-page exports look like: most cases are Sev3/Sev4 on the portal, Sev1 is
raised by phone (a few on the portal, most of those followed by a phone request),
response times are log-normal with a long tail so a few percent breach, some
cases are still waiting for a response, a few change severity; outages are short,
mostly on one function, some on non-critical ones or with excluded causes.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import os
import random
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

YEAR = 2024
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
OFFSETS = [timezone.utc] * 6 + [timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=1))]
CRITICAL = ["inbound_voice", "outbound_voice", "ivr_routing", "acd_routing", "web_messaging"]
OTHER = ["reporting", "analytics", "workforce_management"]
EXCLUDED = ["customer_internet", "customer_misconfiguration", "third_party_misconfiguration", "customer_network", "customer_telecom"]
CURRENCIES = ["USD"] * 5 + ["EUR"] * 3 + ["GBP", "JPY", "AUD"]
PRIORITY = {1: "P1 - Critical", 2: "P2 - High", 3: "P3 - Medium", 4: "P4 - Low"}
ORIGIN = {"phone": "Phone", "portal": "Web"}
RESPONSE_VIA = {"phone": "Phone", "case_note": "Case Comment"}


def ts(instant: datetime, rng: random.Random) -> str:
    """RFC 3339 in a random but fixed offset, seconds precision (a few with milliseconds)."""
    local = instant.astimezone(rng.choice(OFFSETS))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond // 1000:03d}"
    off = local.strftime("%z")
    return text + ("Z" if off == "+0000" else f"{off[:3]}:{off[3:]}")


def customer_name(i: int) -> str:
    return f"cust-{i:05d}"


def lognormal_minutes(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def make_case(n: int, rng: random.Random, customers: int) -> dict:
    start = datetime(YEAR, 1, 1, tzinfo=timezone.utc)
    submitted = start + timedelta(seconds=rng.randrange(366 * 86400 - 3 * 86400))
    severity = rng.choices([1, 2, 3, 4], [3, 17, 45, 35])[0]
    if severity == 1:
        channel = "phone" if rng.random() < 0.92 else "portal"
    else:
        channel = "portal" if rng.random() < 0.8 else "phone"
    events: list[tuple[datetime, dict]] = []
    if channel == "portal":
        events.append((submitted + timedelta(seconds=rng.randint(1, 20)), {"type": "automated_reply"}))
    clock = submitted
    if severity == 1 and channel == "portal" and rng.random() < 0.8:
        clock = submitted + timedelta(seconds=rng.randint(30, 1800))
        events.append((clock, {"type": "critical_support_request", "via": "phone"}))
    level = severity
    if rng.random() < 0.04:  # a severity change before the response
        level = rng.choice([s for s in (1, 2, 3, 4) if s != severity])
        change = clock + timedelta(seconds=rng.randint(60, 3600))
        events.append((change, {"type": "severity_change", "to": level}))
        clock = change
        if level == 1 and channel == "portal" and rng.random() < 0.7:
            clock = change + timedelta(seconds=rng.randint(30, 600))
            events.append((clock, {"type": "critical_support_request", "via": "phone"}))
    if rng.random() < 0.985:
        median, sigma = (5.5, 0.45) if level == 1 else (38.0, 0.75)
        minutes = lognormal_minutes(rng, median, sigma)
        via = "phone" if level == 1 or rng.random() < 0.15 else "case_note"
        events.append((clock + timedelta(seconds=round(minutes * 60)), {"type": "human_response", "via": via}))
    events.sort(key=lambda e: e[0])
    return {"type": "case", "id": f"CASE-{n:07d}", "customer": customer_name(rng.randrange(customers)), "severity": severity,
            "channel": channel, "submitted_at": ts(submitted, rng),
            "events": [{**body, "at": ts(at, rng)} for at, body in events]}


def export_time(text: str) -> str:
    """An RFC 3339 time as the ticketing export writes it: UTC, no offset."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def ticketing_row(case: dict) -> list[str]:
    """The case as a ticketing export shows it: one row, one column per milestone."""
    def first(kind: str) -> dict | None:
        return next((e for e in case["events"] if e["type"] == kind), None)

    def when(event: dict | None) -> str:
        return export_time(event["at"]) if event else ""

    auto, request, change, response = (first(k) for k in ("automated_reply", "critical_support_request", "severity_change", "human_response"))
    return [case["id"], case["customer"], PRIORITY[case["severity"]], ORIGIN[case["channel"]],
            export_time(case["submitted_at"]), when(auto), when(request), when(change),
            PRIORITY[change["to"]] if change else "", when(response), RESPONSE_VIA[response["via"]] if response else ""]


TICKETING_HEADER = ["Case Number", "Account Name", "Priority", "Case Origin", "Created Date", "Auto-Reply Date",
                    "Critical Support Requested Date", "Priority Changed Date", "New Priority", "First Response Date",
                    "First Response Channel"]


def make_incidents(rng: random.Random, customers: int) -> list[list[str]]:
    rows = []
    n = 0
    base = datetime(YEAR, 1, 1, tzinfo=timezone.utc)
    for _ in range(3):  # platform-wide: a few short ones a year
        n += 1
        start = base + timedelta(seconds=rng.randrange(360 * 86400))
        end = start + timedelta(minutes=rng.randint(2, 9))
        rows.append([f"INC-{n:07d}", "*", ts(start, rng), ts(end, rng), "inbound_voice outbound_voice", "genesys"])
    for c in range(customers):
        for month in range(1, 13):
            if rng.random() >= 0.3:
                continue
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                n += 1
                month_start = datetime(YEAR, month, 1, tzinfo=timezone.utc)
                start = month_start + timedelta(seconds=rng.randrange(28 * 86400))
                minutes = min(lognormal_minutes(rng, 6.0, 1.4), 3000.0)
                end = start + timedelta(seconds=round(minutes * 60))
                fn = rng.choice(CRITICAL) if rng.random() < 0.8 else rng.choice(OTHER)
                if rng.random() < 0.2:
                    fn += " " + rng.choice(CRITICAL)
                cause = "genesys" if rng.random() < 0.75 else rng.choice(EXCLUDED)
                rows.append([f"INC-{n:07d}", customer_name(c), ts(start, rng), ts(end, rng), fn, cause])
    return rows


def make_contract(c: int, rng: random.Random) -> list[str]:
    billing = rng.choices(["month_to_month", "annual_prepaid", "pay_as_you_go"], [50, 40, 10])[0]
    currency = rng.choice(CURRENCIES)
    amount = f"{rng.randrange(500, 50000) * 10}" + ("" if currency == "JPY" else ".00")
    monthly = amount if billing != "annual_prepaid" else ""
    annual = f"{int(amount.split('.')[0]) * 12}.00" if billing == "annual_prepaid" else ""
    if billing == "annual_prepaid" and currency == "JPY":
        annual = annual[:-3]
    return [customer_name(c), billing, monthly, annual, currency]


def make_claim(n: int, rng: random.Random, customers: int, contracts: list[list[str]]) -> dict:
    c = rng.randrange(customers)
    month = rng.randrange(1, 13)
    month_start = datetime(YEAR, month, 1, tzinfo=timezone.utc)
    month_end = datetime(YEAR + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
    outages = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        start = month_start + timedelta(seconds=rng.randrange(27 * 86400))
        end = start + timedelta(seconds=round(min(lognormal_minutes(rng, 20.0, 1.6), 4000.0) * 60))
        outages.append({"start": ts(start, rng), "end": ts(end, rng),
                        "functions": [rng.choice(CRITICAL) if rng.random() < 0.85 else rng.choice(OTHER)],
                        "cause": "genesys" if rng.random() < 0.8 else rng.choice(EXCLUDED)})
    submitted = month_end + timedelta(seconds=rng.randrange(40 * 86400))
    name, billing, monthly, annual, currency = contracts[c]
    contract = {"billing": billing, "currency": currency}
    contract["annual_commitment" if annual else "monthly_commitment"] = annual or monthly
    return {"type": "credit_claim", "id": f"CLM-{n:07d}", "customer": name, "month": f"{YEAR}-{month:02d}",
            "submitted_at": ts(submitted, rng), "support_case": f"CASE-{rng.randrange(10**7):07d}" if rng.random() < 0.85 else None,
            "contract": contract, "outages": outages}


def _columns() -> Any:
    """bench/columns.py (pyarrow), loaded by path only when Parquet is asked for, so
    the generator runs without pyarrow and loading it adds nothing to sys.path."""
    spec = importlib.util.spec_from_file_location("bench_columns", Path(__file__).resolve().parent / "columns.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def generate(out: Path, cases: int, customers: int, claims: int, seed: int, ticketing: bool = False,
             parquet: bool = False, cases_only: bool = False) -> None:
    """Write the data set into `out`, streaming: records are written as they are made.

    `parquet` also writes cases.parquet, claims.parquet, incidents.parquet and
    contracts.parquet with the same values (bench/columns.py says how);
    `cases_only` writes the cases alone (the memory-against-size runs need no more).
    """
    out.mkdir(parents=True, exist_ok=True)
    columns = _columns() if parquet else None
    rng = random.Random(seed)
    with ExitStack() as stack:
        fh = stack.enter_context(open(out / "cases.jsonl", "w", encoding="utf-8", newline="\n"))
        tk = stack.enter_context(open(out / "cases-ticketing.csv", "w", encoding="utf-8", newline="") if ticketing
                                 else open(os.devnull, "w"))
        sink = stack.enter_context(columns.ParquetSink(out / "cases.parquet", columns.CASE)) if columns else None
        writer = csv.writer(tk, lineterminator="\n")
        writer.writerow(TICKETING_HEADER)
        for n in range(1, cases + 1):
            case = make_case(n, rng, customers)
            fh.write(json.dumps(case, separators=(", ", ": ")) + "\n")
            if ticketing:
                writer.writerow(ticketing_row(case))
            if sink:
                sink.add(case)
    if cases_only:
        return
    rng = random.Random(seed + 1)
    contracts = [make_contract(c, rng) for c in range(customers)]
    with open(out / "contracts.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["customer", "billing", "monthly_commitment", "annual_commitment", "currency"])
        writer.writerows(contracts)
    incidents = make_incidents(random.Random(seed + 2), customers)
    with open(out / "incidents.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "customer", "start", "end", "functions", "cause"])
        writer.writerows(incidents)
    if columns:
        columns.write_all(out / "contracts.parquet", columns.CONTRACT, [columns.contract_record(r) for r in contracts])
        columns.write_all(out / "incidents.parquet", columns.INCIDENT, [columns.incident_record(r) for r in incidents])
    rng = random.Random(seed + 3)
    with ExitStack() as stack:
        fh = stack.enter_context(open(out / "claims.jsonl", "w", encoding="utf-8", newline="\n"))
        sink = stack.enter_context(columns.ParquetSink(out / "claims.parquet", columns.CLAIM)) if columns else None
        for n in range(1, claims + 1):
            claim = make_claim(n, rng, customers, contracts)
            fh.write(json.dumps(claim, separators=(", ", ": ")) + "\n")
            if sink:
                sink.add(claim)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--customers", type=int, default=8_334, help="customers; customer-months = customers x 12 (default ~100,000)")
    p.add_argument("--claims", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=20240101)
    p.add_argument("--ticketing", action="store_true", help="also write the cases as a ticketing export (CSV)")
    p.add_argument("--parquet", action="store_true",
                   help="also write cases, claims, incidents and contracts as Parquet (needs pyarrow; bench/columns.py)")
    p.add_argument("--cases-only", action="store_true",
                   help="write the cases only (e.g. --cases 10000000 --cases-only --parquet for the memory-against-size runs)")
    a = p.parse_args()
    generate(a.out, a.cases, a.customers, a.claims, a.seed, a.ticketing, a.parquet, a.cases_only)


if __name__ == "__main__":
    main()
