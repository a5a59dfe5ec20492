"""Dispute bundles: one dispute's records, loaded and checked, and its verdict as data.

A bundle (schema: `schemas/dispute.schema.json`) holds a title, the customer,
the customer's contract and the records of the dispute: support cases, the
month's outages as an uptime record, and at most one credit claim. Inside a
bundle a record may leave out `customer` (the bundle's); the claim may leave out
`contract` (the bundle's) and `outages` (the uptime record of its month), so a
dispute states each fact once. Where both are given they must agree.

`replay` evaluates every record through the pure core and returns a `Verdict`:
the decisions, the revisions used and why, and the distances to the nearest
thresholds, as data; rendering is elsewhere (`verdicttext`, `report`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from engine.canonical import canonical_json, sha256_of
from engine.errors import PathPart, Problem, SlaError
from engine.core.evaluate import Decision, Options, evaluate, what_if_label
from engine.exact import decimal_text, to_fraction
from engine.core.outcomes import outcome_of
from engine.policy.family import Family
from engine.core.records import Record, RecordProblems, Source, parse_record, record_problems
from engine.disputes.thresholds import (RevisionMargin, TierDistance, WindowDistance, revision_margin, shown_up, tier_distance,
                         window_distance)
from engine.timeutil import TimeFormatError, iso, parse_instant
from engine.io.documents import read_document, schema_problems
from engine.io.yamlload import Loaded

BUNDLE_SCHEMA = "dispute.schema.json"
SUFFIXES = (".yaml", ".yml", ".json")


class BundleError(SlaError):
    """A dispute bundle cannot be read, breaks its schema, or contradicts itself (exit 2)."""


@dataclass(frozen=True)
class Bundle:
    """A checked dispute bundle. `data` is the document as written: the canonical
    input a receipt hashes and a verification replays."""

    file: str
    data: Mapping[str, Any]
    records: tuple[Record, ...]
    lines: Mapping[tuple[PathPart, ...], int]

    @property
    def title(self) -> str:
        return self.data["title"]

    @property
    def customer(self) -> str:
        return self.data["customer"]

    @property
    def policy(self) -> str | None:
        return self.data.get("policy")

    @property
    def now(self) -> datetime | None:
        return parse_instant(self.data["now"]) if "now" in self.data else None

    @property
    def asserted(self) -> Mapping[str, str] | None:
        return self.data.get("asserted")

    @property
    def expected(self) -> Mapping[str, Any] | None:
        return self.data.get("expected")

    @property
    def sha256(self) -> str:
        """sha256 of the bundle's canonical JSON (the receipt's input hash)."""
        return sha256_of(self.data)

    @property
    def has_cases(self) -> bool:
        return any(r.type == "case" for r in self.records)

    def line_of(self, *path: PathPart) -> int | None:
        return Loaded(self.data, dict(self.lines)).line_of(tuple(path))


# --- loading ------------------------------------------------------------------


def load_bundle(path: str | Path) -> Bundle:
    """Read and check a bundle file (YAML, or JSON, which YAML reads too)."""
    file = str(path)
    if Path(file).suffix.lower() not in SUFFIXES:
        raise BundleError([Problem(f"a dispute bundle is a .yaml, .yml or .json file; got {Path(file).suffix or '(none)'!r}", file=file)])
    document = read_document(file, BundleError)
    return bundle_from_data(document.data, file, document.lines)


def bundle_from_data(data: Any, file: str, lines: Mapping[tuple[PathPart, ...], int] | None = None) -> Bundle:
    """Check a bundle document and parse its records. Raises BundleError with every problem."""
    lines = dict(lines or {})
    where = Loaded(data, lines)
    if not isinstance(data, dict):
        raise BundleError([Problem("a dispute bundle is a mapping with title, customer, contract and records", file=file, line=1)])
    problems = schema_problems(BUNDLE_SCHEMA, where, file)
    if problems:
        raise BundleError(problems)
    if "now" in data:
        try:
            parse_instant(data["now"])
        except TimeFormatError as exc:
            raise BundleError([Problem(str(exc), file=file, line=where.line_of(("now",)), path=("now",))]) from None
    filled, problems = _filled_records(data, file, where)
    records: list[Record] = []
    for i, raw in enumerate(filled):
        source = Source(file, where.line_of(("records", i)), i,
                        {p[2:]: n for p, n in lines.items() if p[:2] == ("records", i)})
        found = record_problems(raw, source)
        if found:
            problems += found
            continue
        try:
            records.append(parse_record(raw, source))
        except RecordProblems as exc:
            problems += exc.problems
    if problems:
        raise BundleError(problems)
    return Bundle(file, data, tuple(records), lines)


def _filled_records(data: Mapping[str, Any], file: str, where: Loaded) -> tuple[list[dict[str, Any]], list[Problem]]:
    """The bundle's records with the bundle's customer, contract and month's outages filled
    in, and every contradiction between them as a problem."""
    problems: list[Problem] = []

    def problem(message: str, *path: PathPart) -> None:
        problems.append(Problem(message, file=file, line=where.line_of(path), path=path))

    items = data["records"]
    uptime_by_month: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    claim_at: int | None = None
    for i, item in enumerate(items):
        rid = item["id"]
        if rid in seen_ids:
            first = seen_ids[rid]
            problem(f"duplicate record id {rid!r} (also records[{first}], line {where.line_of(('records', first))})",
                    "records", i, "id")
        seen_ids.setdefault(rid, i)
        if item.get("customer", data["customer"]) != data["customer"]:
            problem(f"customer {item['customer']!r} is not the dispute's customer {data['customer']!r}", "records", i, "customer")
        if item["type"] == "uptime" and isinstance(item.get("month"), str):
            if item["month"] in uptime_by_month:
                problem(f"a second uptime record for {item['month']} (the first is records[{uptime_by_month[item['month']]}]); "
                        "a dispute has one uptime record per month", "records", i, "month")
            uptime_by_month.setdefault(item["month"], i)
        if item["type"] == "credit_claim":
            if claim_at is not None:
                problem(f"a dispute bundle holds one credit claim; the first is records[{claim_at}] "
                        f"(line {where.line_of(('records', claim_at))})", "records", i)
            claim_at = i if claim_at is None else claim_at
    filled = []
    for i, item in enumerate(items):
        raw = {"customer": data["customer"], **item}
        if item["type"] == "credit_claim":
            raw = _filled_claim(raw, i, data, uptime_by_month, problem)
        filled.append(raw)
    return filled, problems


def _filled_claim(raw: dict[str, Any], i: int, data: Mapping[str, Any], uptime_by_month: Mapping[str, int],
                  problem: Any) -> dict[str, Any]:
    if "contract" in raw and canonical_json(raw["contract"]) != canonical_json(data["contract"]):
        problem("the claim's contract differs from the dispute's contract; leave it out to use the dispute's",
                "records", i, "contract")
    raw.setdefault("contract", data["contract"])
    month_index = uptime_by_month.get(raw.get("month"))  # type: ignore[arg-type]
    month_outages = data["records"][month_index].get("outages") if month_index is not None else None
    if "outages" in raw:
        if month_outages is not None and _outage_set(raw["outages"]) != _outage_set(month_outages):
            problem(f"the claim's outages differ from those of the uptime record records[{month_index}] for "
                    f"{raw['month']}; leave them out to use the uptime record's", "records", i, "outages")
    elif month_outages is not None:
        raw["outages"] = month_outages
    else:
        problem(f"the claim gives no outages and the dispute has no uptime record for {raw.get('month')}; "
                "add one, or give the claim its outages", "records", i)
    return raw


def _outage_set(outages: Any) -> list[str]:
    return sorted(canonical_json(o) for o in outages) if isinstance(outages, list) else []


# --- the verdict ----------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """A bundle replayed: every record's decision, and what they add up to."""

    bundle: Bundle
    family: Family
    options: Options
    decisions: tuple[Decision, ...]

    @property
    def what_if(self) -> bool:
        """True when --as-of put every record under one chosen revision."""
        return self.options.as_of is not None

    @property
    def claim(self) -> Decision | None:
        return next((d for d in self.decisions if d.record.type == "credit_claim"), None)

    @property
    def month(self) -> Decision | None:
        """The decision whose uptime the dispute is about: the claim, else the first uptime month."""
        return self.claim or next((d for d in self.decisions if d.record.type == "uptime"), None)

    @property
    def code(self) -> str:
        """The dispute's outcome in one word (see `engine.outcomes`): the claim's, else the
        month's, else the worst of the cases'."""
        if self.month is not None:
            return outcome_of(self.month)
        codes = [outcome_of(d) for d in self.decisions]
        return next(c for c in ("breached", "pending", "met") if c in codes)

    def month_revision(self) -> Any:
        """The revision whose tiers governed the month."""
        decision = self.month
        assert decision is not None
        return decision.selections[0].revision

    def tiers(self) -> TierDistance | None:
        return tier_distance(self.month.facts, self.month_revision()) if self.month else None

    def window(self) -> WindowDistance | None:
        return window_distance(self.claim.facts) if self.claim else None

    def margins(self) -> list[tuple[Decision, RevisionMargin]]:
        out = []
        for decision in self.decisions:
            for selection in decision.selections:
                margin = revision_margin(selection, self.family)
                if margin is not None:
                    out.append((decision, margin))
        return out

    def upheld(self) -> bool | None:
        """Whether what the customer asserts matches the verdict (None when nothing is asserted)."""
        asserted, claim = self.bundle.asserted, self.claim
        if not asserted or claim is None:
            return None
        result = claim.result
        got_percent = to_fraction(result["credit_percent"]) if result["eligible"] else 0
        checks = []
        if "credit_percent" in asserted:
            checks.append(to_fraction(asserted["credit_percent"]) == got_percent)
        if "credit_amount" in asserted:
            checks.append(to_fraction(asserted["credit_amount"]) == to_fraction(result["credit_amount"]))
        return all(checks)

    def summary(self) -> dict[str, Any]:
        """The verdict's headline values, as JSON (exact numbers as decimal strings)."""
        out: dict[str, Any] = {"verdict": self.code, "what_if": self.what_if, "customer": self.bundle.customer,
                               "records": len(self.decisions)}
        if self.what_if:
            out["as_of"] = self.options.as_of.isoformat()  # type: ignore[union-attr]
        month = self.month
        if month is not None:
            out |= {"month": month.record.fields["month"], "uptime_percent": month.result["uptime_percent"],
                    "credit_percent": month.result["credit_percent"],
                    "uptime_version": month.selections[0].revision.revision}
            out |= _tier_json(self.tiers())
        claim = self.claim
        if claim is not None:
            r = claim.result
            out |= {"claim": claim.record.id, "claim_version": claim.revision.revision, "eligible": r["eligible"],
                    "reasons": list(r["reasons"]), "credit_amount": r["credit_amount"], "currency": r["currency"],
                    "settlement": r["settlement"], "submitted_at": iso(claim.facts["submitted_at"]),
                    "window_closes_at": r["window_closes_at"]}
            window = self.window()
            assert window is not None
            out |= {"window_position": window.position, "window_margin_seconds": _seconds(window.margin)}
        if self.bundle.asserted:
            out |= {"asserted": dict(self.bundle.asserted), "upheld": self.upheld()}
        return out

    def output_json(self) -> dict[str, Any]:
        """What `sla replay --format json` prints: the verdict, labelled when it is a what-if."""
        return {**self.to_json(), "what_if": what_if_label(self.options.as_of)}

    def to_json(self) -> dict[str, Any]:
        """The verdict as recorded in receipts (and, labelled, printed by `sla replay --format json`)."""
        return {
            "dispute": {"title": self.bundle.title, "customer": self.bundle.customer, "policy": self.family.name},
            "options": {"now": iso(self.options.now) if self.bundle.has_cases else None,
                        "as_of": self.options.as_of.isoformat() if self.options.as_of else None,
                        "lang": self.options.lang},
            "summary": self.summary(),
            "revisions": [_selection_json(d, s) for d in self.decisions for s in d.selections],
            "decisions": [d.to_json() for d in self.decisions],
        }


def _tier_json(distance: TierDistance | None) -> dict[str, Any]:
    if distance is None:
        return {}
    out: dict[str, Any] = {"net_unavailable_minutes": decimal_text(distance.net_unavailable)}
    if distance.worse is not None:
        out["next_tier"] = {"credit_percent": decimal_text(distance.worse.tier.percent),  # type: ignore[union-attr]
                            "below": decimal_text(distance.worse.below),
                            "more_than_minutes": shown_up(distance.worse.minutes)}
    if distance.better is not None:
        out["leave_tier"] = {"below": decimal_text(distance.better.below),
                             "credit_percent": decimal_text(distance.better.tier.percent) if distance.better.tier else "0",
                             "fewer_minutes": shown_up(distance.better.minutes)}
    return out


def _seconds(delta: Any) -> str:
    return decimal_text(to_fraction(delta.days * 86400 + delta.seconds) + to_fraction(delta.microseconds) / 1_000_000)


def _selection_json(decision: Decision, selection: Any) -> dict[str, Any]:
    return {"record": decision.record.id, "role": selection.role, "revision": selection.revision.revision,
            "effective": selection.revision.effective.isoformat(), "sha256": selection.revision.sha256,
            "anchor": selection.anchor, "anchor_value": selection.anchor_value}


def replay(bundle: Bundle, family: Family, options: Options) -> Verdict:
    """Decide every record of the bundle. Raises RecordError when one cannot be evaluated
    against the family (an unknown function or currency, a month before the earliest revision)."""
    return Verdict(bundle, family, options, tuple(evaluate(r, family, options) for r in bundle.records))
