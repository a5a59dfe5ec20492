"""Properties of the engine checked against brute force, with Hypothesis.

The expected values here are computed without the engine's own arithmetic:
uptime by marking every millisecond (or second) an outage covers in a window
around the outages and counting the marks, month lengths from the calendar,
tiers, windows, targets and minor units read from the bundled policy files,
money with Decimal. The engine is reached through `decide` (schema check,
parse, evaluate) exactly as `sla evaluate` reaches it.

Seeds and example counts come from tests/hypothesis_profiles.py (`ci` by
default; `--hypothesis-profile=thorough` for a deeper search).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, strategies as st

from conftest import decide
from engine.policy.family import Family, Revision
from hypothesis_profiles import examples

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS_PER_MINUTE = 60_000
MAX_OFFSET_MINUTES = 23 * 60 + 59  # RFC 3339 offsets run from -23:59 to +23:59
SLA_WINDOW_DAYS = 30  # the SLA's fact: "within thirty (30) days after the month"
NOW = datetime(2031, 6, 1, tzinfo=UTC)


# ---------------------------------------------------------------- the policy, read as data

@dataclass(frozen=True)
class Terms:
    """What a test needs from one revision, read from its YAML data (not from
    the engine's derived fields)."""

    revision: str
    effective: date
    functions: tuple[str, ...]
    critical: frozenset[str]
    attributable: tuple[str, ...]
    excluded: tuple[str, ...]
    tiers: tuple[tuple[Fraction, Fraction], ...]  # (below, percent)
    window_days: int
    targets_ms: dict[int, int]
    channels: dict[int, tuple[str, ...]]
    minor_units: dict[str, int]
    requires_support_case: bool


def terms_of(revision: Revision) -> Terms:
    d = revision.data
    functions = d["uptime"]["functions"]
    targets = {}
    for level, severity in d["severities"].items():
        t = severity["response_target"]
        seconds = ((t.get("days", 0) * 24 + t.get("hours", 0)) * 60 + t.get("minutes", 0)) * 60 + t.get("seconds", 0)
        targets[int(level)] = int(seconds * 1000)
    return Terms(
        revision=d["revision"],
        effective=date.fromisoformat(d["effective"]),
        functions=tuple(sorted(functions)),
        critical=frozenset(name for name, f in functions.items() if f["critical"]),
        attributable=tuple(d["uptime"]["attributable_causes"]),
        excluded=tuple(sorted(d["uptime"]["exclusions"]["causes"])),
        tiers=tuple(sorted((Fraction(str(t["below"])), Fraction(str(t["percent"]))) for t in d["credits"]["tiers"])),
        window_days=int(d["claims"]["window"]["days"]),
        targets_ms=targets,
        channels={int(k): tuple(v["submission_channels"]) for k, v in d["severities"].items()},
        minor_units=dict(d["credits"]["currencies"]),
        requires_support_case=bool(d["claims"]["requires_support_case"]),
    )


@pytest.fixture(scope="module")
def revisions(genesys: Family) -> list[Terms]:
    return sorted((terms_of(r) for r in genesys.revisions), key=lambda t: t.effective)


def in_force(revisions: list[Terms], instant: datetime) -> Terms:
    """The latest revision whose effective date (midnight UTC, the policies' zone) is on or before `instant`."""
    chosen = [t for t in revisions if datetime(t.effective.year, t.effective.month, t.effective.day, tzinfo=UTC) <= instant]
    assert chosen, f"{instant} is before every revision"
    return chosen[-1]


def expected_credit(terms: Terms, uptime_percent: Fraction) -> Fraction:
    """The credit of the single lowest tier the uptime is strictly below, else 0."""
    below = [percent for threshold, percent in terms.tiers if uptime_percent < threshold]
    return below[0] if below else Fraction(0)


# ---------------------------------------------------------------- times, written independently

def month_bounds_ms(year: int, month: int) -> tuple[int, int]:
    """The month's first millisecond and the first after it, in UTC, from the calendar."""
    start = datetime(year, month, 1, tzinfo=UTC)
    days = calendar.monthrange(year, month)[1]
    start_ms = (start - EPOCH) // timedelta(milliseconds=1)
    return start_ms, start_ms + days * 86_400_000


def stamp(ms: int, offset_minutes: int, style: int = 3) -> str:
    """The instant `ms` (since the epoch) written at a UTC offset, RFC 3339.
    style: 0 whole seconds, 3 milliseconds, 6 microseconds, 9 nanoseconds; the
    offset 0 is written Z or +00:00 by the offset's parity of style."""
    local = EPOCH + timedelta(milliseconds=ms) + timedelta(minutes=offset_minutes)
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    millis = ms % 1000
    assert style or not millis, "whole seconds cannot show milliseconds"
    if style:
        text += "." + f"{millis:03d}".ljust(style, "0")
    if offset_minutes == 0 and style in (0, 6):
        return text + "Z"
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def shown(value: Fraction) -> str:
    """A number as the README says decisions show it: exact within 6 places,
    else truncated toward zero; no trailing zeros."""
    scaled = value * 10**6
    truncated = scaled.numerator // scaled.denominator if scaled >= 0 else -((-scaled.numerator) // scaled.denominator)
    sign = "-" if truncated < 0 else ""
    whole, part = divmod(abs(truncated), 10**6)
    return f"{sign}{whole}" + (f".{part:06d}".rstrip("0") if part else "")


offsets = st.integers(-MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES) | st.sampled_from([0, 60, -60, 480, -MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES])
months = st.tuples(st.integers(2021, 2030), st.integers(1, 12)).filter(lambda ym: ym >= (2021, 2))  # 2021-01 begins before the first revision


# ---------------------------------------------------------------- uptime against brute force

@dataclass(frozen=True)
class Mode:
    """A brute-force resolution: each unit of `unit_ms` is marked and counted,
    over a window of `window_units` units around the outages."""

    name: str
    unit_ms: int
    window_units: int
    style: int  # fractional digits written (0 only when units are whole seconds)


MILLIS = Mode("every millisecond", 1, 5_000, 3)
SECONDS = Mode("every second", 1000, 6 * 3600, 0)
LONG = Mode("every second, long outages", 1000, 2 * 86_400, 0)  # reaches every credit tier


@st.composite
def outage_months(draw: Any, mode: Mode, functions: tuple[str, ...], attributable: tuple[str, ...],
                  excluded: tuple[str, ...]) -> dict[str, Any]:
    """A month and outages inside one window that may straddle the month's start
    or end: overlapping, nested, touching, empty, critical or not, attributable
    or excluded, each timestamp at its own UTC offset."""
    year, month = draw(months)
    start_ms, end_ms = month_bounds_ms(year, month)
    edge = draw(st.sampled_from([start_ms, end_ms, (start_ms + end_ms) // 2 // 1000 * 1000]))
    w = mode.window_units
    window_start = edge - draw(st.integers(0, w)) * mode.unit_ms
    spans = []
    for _ in range(draw(st.integers(0, 7))):
        a = draw(st.integers(0, w))
        b = draw(st.one_of(st.integers(a, w), st.just(a)))  # some outages are empty
        spans.append((a, b))
    if spans and draw(st.booleans()):  # touching: one outage starts where another ends
        a, b = spans[0]
        spans.append((b, draw(st.integers(b, w))))
    if spans and draw(st.booleans()):  # nested inside another
        a, b = spans[0]
        lo = draw(st.integers(a, b))
        spans.append((lo, draw(st.integers(lo, b))))
    outages = []
    for a, b in spans:
        outages.append({
            "start": (window_start + a * mode.unit_ms, draw(offsets)),
            "end": (window_start + b * mode.unit_ms, draw(offsets)),
            "functions": draw(st.lists(st.sampled_from(functions), min_size=1, max_size=3, unique=True)),
            "cause": draw(st.sampled_from(attributable) | st.sampled_from(excluded)),  # half attributable
        })
    return {"year": year, "month": month, "window_start": window_start, "outages": outages}


def uptime_record(case: dict[str, Any], mode: Mode, rid: str = "U-1") -> dict[str, Any]:
    return {
        "type": "uptime", "id": rid, "customer": "acme", "month": f"{case['year']:04d}-{case['month']:02d}",
        "outages": [{"start": stamp(*o["start"], style=mode.style), "end": stamp(*o["end"], style=mode.style),
                     "functions": o["functions"], "cause": o["cause"]} for o in case["outages"]],
    }


def brute_force(case: dict[str, Any], mode: Mode, terms: Terms) -> tuple[int, int, int]:
    """(A, B, C) in milliseconds, counting units one by one."""
    start_ms, end_ms = month_bounds_ms(case["year"], case["month"])
    units = mode.window_units + 1
    attributable = bytearray(units)
    excluded = bytearray(units)
    for o in case["outages"]:
        if not terms.critical.intersection(o["functions"]):
            continue
        first = (o["start"][0] - case["window_start"]) // mode.unit_ms
        last = (o["end"][0] - case["window_start"]) // mode.unit_ms
        marks = excluded if o["cause"] in terms.excluded else attributable
        for u in range(first, last):
            marks[u] = 1
    b = c = 0
    for u in range(units):
        t = case["window_start"] + u * mode.unit_ms
        if not start_ms <= t < end_ms:
            continue
        if attributable[u] or excluded[u]:
            b += 1
            if not attributable[u]:
                c += 1
    return end_ms - start_ms, b * mode.unit_ms, c * mode.unit_ms


def check_uptime_against_brute_force(genesys: Family, revisions: list[Terms], case: dict[str, Any], mode: Mode) -> None:
    start_ms, _ = month_bounds_ms(case["year"], case["month"])
    terms = in_force(revisions, EPOCH + timedelta(milliseconds=start_ms))
    decision = decide(uptime_record(case, mode), genesys)
    a, b, c = brute_force(case, mode, terms)
    uptime = Fraction(a - b + c, a) * 100
    credit = expected_credit(terms, uptime)
    assert decision.revision.revision == terms.revision
    assert decision.facts["total_minutes"] == Fraction(a, MS_PER_MINUTE)
    assert decision.facts["unavailable_minutes"] == Fraction(b, MS_PER_MINUTE)
    assert decision.facts["excluded_minutes"] == Fraction(c, MS_PER_MINUTE)
    assert decision.facts["uptime_percent"] == uptime
    assert decision.facts["credit_percent"] == credit
    assert decision.result == {
        "total_minutes": shown(Fraction(a, MS_PER_MINUTE)),
        "unavailable_minutes": shown(Fraction(b, MS_PER_MINUTE)),
        "excluded_minutes": shown(Fraction(c, MS_PER_MINUTE)),
        "uptime_percent": shown(uptime),
        "credit_percent": shown(credit),
    }


def _all(revisions: list[Terms]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    functions = tuple(sorted({f for t in revisions for f in t.functions}))
    attributable = tuple(sorted({c for t in revisions for c in t.attributable}))
    excluded = tuple(sorted({c for t in revisions for c in t.excluded}))
    return functions, attributable, excluded


def test_the_bundled_policies_mix_critical_and_other_functions_and_causes(revisions):
    """The generators below draw from these lists; they must offer both kinds."""
    for terms in revisions:
        assert terms.critical and set(terms.functions) - terms.critical
        assert terms.attributable and terms.excluded


@pytest.mark.parametrize("mode", [MILLIS, SECONDS, LONG], ids=lambda m: m.name)
def test_uptime_abc_equal_a_brute_force_count(genesys, revisions, mode):
    @given(outage_months(mode, *_all(revisions)))
    @examples(120 if mode is not LONG else 40)
    def check(case: dict[str, Any]) -> None:
        check_uptime_against_brute_force(genesys, revisions, case, mode)

    check()


def test_uptime_counts_an_excluded_outage_inside_an_attributable_one_as_unavailable(genesys, revisions):
    """A fixed example of the rule the brute force encodes: overlap stays in B, not C."""
    start, _ = month_bounds_ms(2024, 3)
    case = {"year": 2024, "month": 3, "window_start": start, "outages": [
        {"start": (start, 0), "end": (start + 4000, 60), "functions": ["inbound_voice"], "cause": "genesys"},
        {"start": (start + 1000, -300), "end": (start + 5000, 0), "functions": ["outbound_voice"], "cause": "customer_network"},
    ]}
    assert brute_force(case, MILLIS, in_force(revisions, datetime(2024, 3, 1, tzinfo=UTC)))[1:] == (5000, 1000)
    check_uptime_against_brute_force(genesys, revisions, case, MILLIS)


# ---------------------------------------------------------------- tiers are monotone in downtime

def _downtime_decision(genesys: Family, year: int, month: int, spans_ms: list[tuple[int, int, str]]) -> Any:
    start_ms, _ = month_bounds_ms(year, month)
    outages = [{"start": stamp(start_ms + a, 0), "end": stamp(start_ms + b, 0), "functions": ["inbound_voice"], "cause": cause}
               for a, b, cause in spans_ms]
    return decide({"type": "uptime", "id": "U-1", "customer": "acme", "month": f"{year:04d}-{month:02d}", "outages": outages}, genesys)


@given(months, st.lists(st.integers(0, 3 * 86_400_000), min_size=2, max_size=6))
@examples(100)
def test_more_downtime_never_lowers_the_credit(genesys, ym, durations):
    """One attributable outage from the month's start, ever longer: uptime never
    rises and the credit never falls (tiers are "below", and only the lowest applies)."""
    results = [_downtime_decision(genesys, *ym, [(0, d, "genesys")]).facts for d in sorted(durations)]
    for before, after in zip(results, results[1:]):
        assert after["uptime_percent"] <= before["uptime_percent"]
        assert after["credit_percent"] >= before["credit_percent"]


@given(months, st.lists(st.tuples(st.integers(0, 2 * 86_400_000), st.integers(0, 86_400_000)), min_size=1, max_size=5),
       st.tuples(st.integers(0, 2 * 86_400_000), st.integers(0, 86_400_000)))
@examples(100)
def test_adding_an_outage_never_lowers_the_credit_and_an_excluded_one_never_raises_it(genesys, ym, spans, extra):
    base = [(a, a + d, "genesys") for a, d in spans]
    before = _downtime_decision(genesys, *ym, base).facts
    with_attributable = _downtime_decision(genesys, *ym, base + [(extra[0], sum(extra), "genesys")]).facts
    with_excluded = _downtime_decision(genesys, *ym, base + [(extra[0], sum(extra), "customer_internet")]).facts
    assert with_attributable["credit_percent"] >= before["credit_percent"]
    assert with_excluded["credit_percent"] == before["credit_percent"]
    assert with_excluded["uptime_percent"] == before["uptime_percent"]


def test_every_tier_threshold_is_strict_at_its_exact_downtime(genesys, revisions):
    """At each threshold's exact uptime the tier above applies; one millisecond
    more downtime crosses into it (30-day month: 2024-04)."""
    terms = in_force(revisions, datetime(2024, 4, 1, tzinfo=UTC))
    a = month_bounds_ms(2024, 4)[1] - month_bounds_ms(2024, 4)[0]
    for threshold, percent in terms.tiers:
        down = a - a * threshold / 100
        assert down.denominator == 1, "thresholds fall on whole milliseconds in a 30-day month"
        at = _downtime_decision(genesys, 2024, 4, [(0, int(down), "genesys")]).facts
        past = _downtime_decision(genesys, 2024, 4, [(0, int(down) + 1, "genesys")]).facts
        assert at["uptime_percent"] == threshold and at["credit_percent"] < percent
        assert past["credit_percent"] == percent


# ---------------------------------------------------------------- offsets change nothing

@st.composite
def any_record(draw: Any) -> tuple[dict[str, Any], list[tuple[tuple[str, ...], int]]]:
    """A valid record of any type, and the paths of its timestamps as
    (path, milliseconds since the epoch)."""
    kind = draw(st.sampled_from(["case", "uptime", "credit_claim"]))
    year, month = draw(months)
    start_ms, end_ms = month_bounds_ms(year, month)
    instants: list[tuple[tuple[Any, ...], int]] = []
    if kind == "case":
        severity, channel = draw(st.sampled_from([(1, "phone"), (1, "portal"), (2, "portal"), (3, "phone"), (4, "portal")]))
        submitted = draw(st.integers(start_ms, end_ms))
        record: dict[str, Any] = {"type": "case", "id": "C-1", "customer": "acme", "severity": severity, "channel": channel,
                                  "events": []}
        instants.append((("submitted_at",), submitted))
        for i in range(draw(st.integers(0, 4))):
            kind_of = draw(st.sampled_from(["automated_reply", "human_response", "severity_change", "critical_support_request"]))
            event: dict[str, Any] = {"type": kind_of}
            if kind_of == "human_response":
                event["via"] = draw(st.sampled_from(["phone", "case_note"]))
            elif kind_of == "critical_support_request":
                event["via"] = "phone"
            elif kind_of == "severity_change":
                event["to"] = draw(st.integers(1, 4))
            record["events"].append(event)
            instants.append((("events", i, "at"), submitted + draw(st.integers(0, 4 * 3_600_000))))
        return record, instants
    outages = []
    for i in range(draw(st.integers(0, 4))):
        a = draw(st.integers(start_ms - 3_600_000, end_ms))
        outages.append({"functions": [draw(st.sampled_from(["inbound_voice", "reporting", "ivr_routing"]))],
                        "cause": draw(st.sampled_from(["genesys", "customer_network"]))})
        instants += [(("outages", i, "start"), a), (("outages", i, "end"), a + draw(st.integers(0, 86_400_000)))]
    record = {"type": kind, "id": "X-1", "customer": "acme", "month": f"{year:04d}-{month:02d}", "outages": outages}
    if kind == "credit_claim":
        record |= {"support_case": draw(st.sampled_from([None, "CASE-1"])),
                   "contract": {"billing": "month_to_month", "monthly_commitment": "1000.00", "currency": "EUR"}}
        instants.append((("submitted_at",), end_ms + draw(st.integers(-86_400_000, 40 * 86_400_000))))
    return record, instants


def _with_times(record: dict[str, Any], instants: list[tuple[tuple[Any, ...], int]], offsets_used: list[int]) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(record)
    for (path, ms), offset in zip(instants, offsets_used):
        node = out
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = stamp(ms, offset, style=6 if ms % 1000 == 0 and offset == 0 else 3)
    return out


@given(any_record(), st.data())
@examples(200)
def test_writing_the_same_instants_at_other_offsets_changes_nothing(genesys, drawn, data):
    """Every timestamp re-written at another UTC offset, the instant unchanged:
    the whole decision (JSON) is the same."""
    record, instants = drawn
    first = [data.draw(offsets) for _ in instants]
    second = [data.draw(offsets) for _ in instants]
    a = decide(_with_times(record, instants, first), genesys, now=NOW).to_json()
    b = decide(_with_times(record, instants, second), genesys, now=NOW).to_json()
    assert a == b


# ---------------------------------------------------------------- the claim window, every month of 2021-2030

def _claim(year: int, month: int, submitted_at: str) -> dict[str, Any]:
    start_ms, _ = month_bounds_ms(year, month)
    return {"type": "credit_claim", "id": "K-1", "customer": "acme", "month": f"{year:04d}-{month:02d}",
            "submitted_at": submitted_at, "support_case": "CASE-1",
            "contract": {"billing": "month_to_month", "monthly_commitment": "1000.00", "currency": "USD"},
            "outages": [{"start": stamp(start_ms, 0), "end": stamp(start_ms + 3_600_000, 0), "functions": ["inbound_voice"],
                         "cause": "genesys"}]}


def test_the_bundled_claim_window_is_the_slas_thirty_days(revisions):
    assert {t.window_days for t in revisions} == {SLA_WINDOW_DAYS}


@pytest.mark.parametrize("year", range(2021, 2031))
def test_claim_window_closes_exactly_window_days_after_every_months_end(genesys, revisions, year):
    """For each month: the last timely instant (one microsecond before the
    window closes, the engine's resolution) is not late; the first late
    instant is. The window is read from the revision that governs the claim."""
    for month in range(1, 13):
        _, end_ms = month_bounds_ms(year, month)
        month_end = EPOCH + timedelta(milliseconds=end_ms)
        terms = in_force(revisions, month_end + timedelta(days=SLA_WINDOW_DAYS))
        closes = month_end + timedelta(days=terms.window_days)
        # January 2021 begins before the first revision (2021-01-19), so its
        # uptime has no revision in force: evaluate it --as-of that revision.
        as_of = {"as_of": revisions[0].effective} if (year, month) == (2021, 1) else {}
        last_timely = (closes - timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        first_late = closes.strftime("%Y-%m-%dT%H:%M:%SZ")
        timely = decide(_claim(year, month, last_timely), genesys, **as_of)
        late = decide(_claim(year, month, first_late), genesys, **as_of)
        assert timely.result["window_closes_at"] == late.result["window_closes_at"] == first_late
        assert "late" not in timely.result["reasons"], (year, month, timely.result)
        assert "late" in late.result["reasons"], (year, month, late.result)
        assert closes - month_end == timedelta(days=SLA_WINDOW_DAYS)


# ---------------------------------------------------------------- credit amounts

bases = st.builds(lambda units, places: Decimal(units).scaleb(-places), st.integers(0, 10**13), st.integers(0, 4))


@given(bases, st.sampled_from(["month_to_month", "annual_prepaid"]), months, st.integers(0, 1000), st.integers(0, 3))
@examples(150)
@example(base=Decimal("0.05"), billing="month_to_month", ym=(2024, 3), currency_pick=0, band=1)  # 0.005 -> 0.01
@example(base=Decimal("0.15"), billing="month_to_month", ym=(2024, 3), currency_pick=0, band=1)  # 0.015 -> 0.02
@example(base=Decimal("0.6"), billing="annual_prepaid", ym=(2024, 3), currency_pick=0, band=2)  # 0.6/12*30% = 0.015
@example(base=Decimal("0.25"), billing="month_to_month", ym=(2024, 3), currency_pick=0, band=1)  # 0.025 -> 0.03 (half-even: 0.02)
@example(base=Decimal("5"), billing="month_to_month", ym=(2024, 3), currency_pick=1, band=1)  # 0.5 JPY -> 1 (half-even: 0)
@example(base=Decimal("0.0025"), billing="month_to_month", ym=(2024, 3), currency_pick=2, band=3)  # 0.0025 KWD -> 0.003
@example(base=Decimal("304213"), billing="annual_prepaid", ym=(2021, 2), currency_pick=0, band=2)  # /12*30% = 7605.325 exactly
def test_credit_amount_is_base_times_percent_rounded_half_up(genesys, revisions, base, billing, ym, currency_pick, band):
    """A timely, eligible claim of a random decimal base, in a random currency
    (0, 2 or 3 minor units), with a downtime in each tier's band or none."""
    year, month = ym
    start_ms, end_ms = month_bounds_ms(year, month)
    a = end_ms - start_ms
    terms_month = in_force(revisions, datetime(year, month, 1, tzinfo=UTC))
    submitted = end_ms + 86_400_000
    terms_claim = in_force(revisions, EPOCH + timedelta(milliseconds=submitted))
    currencies = sorted(terms_claim.minor_units)
    currency = currencies[currency_pick % len(currencies)]
    if currency_pick < 3:  # picks 0, 1, 2: a currency with 2, 0 and 3 minor units (USD, JPY, KWD in the bundled policies)
        by_units = {units: c for c, units in sorted(terms_claim.minor_units.items())}
        currency = by_units.get([2, 0, 3][currency_pick], currency)
    bands = [0] + [int(a - a * threshold / 100) + 1 for threshold, _ in sorted(terms_month.tiers, reverse=True)]
    down = bands[band % len(bands)]
    amount_field = "monthly_commitment" if billing == "month_to_month" else "annual_commitment"
    record = _claim(year, month, stamp(submitted, 0))
    record["contract"] = {"billing": billing, amount_field: format(base, "f"), "currency": currency}
    record["outages"] = [{"start": stamp(start_ms, 0), "end": stamp(start_ms + down, 0), "functions": ["inbound_voice"],
                          "cause": "genesys"}] if down else []
    decision = decide(record, genesys)
    percent = expected_credit(terms_month, Fraction(a - down, a) * 100)
    minor = terms_claim.minor_units[currency]
    with localcontext() as ctx:
        ctx.prec = 200  # one division, last: a terminating result comes out exact, so a tie is seen as a tie
        months_in_base = 12 if billing == "annual_prepaid" else 1
        exact = base * percent.numerator / (Decimal(percent.denominator) * 100 * months_in_base)
        expected = exact.quantize(Decimal(1).scaleb(-minor), rounding=ROUND_HALF_UP)
    assert decision.result["credit_percent"] == shown(percent)
    assert decision.result["eligible"] is (percent > 0)
    assert decision.result["credit_amount"] == format(expected if percent > 0 else Decimal(0).quantize(Decimal(1).scaleb(-minor)), "f")


# ---------------------------------------------------------------- response clocks

@st.composite
def answered_cases(draw: Any, revisions: list[Terms]) -> tuple[dict[str, Any], Terms, int]:
    """A case on an allowed channel for its severity, with a human response `d`
    milliseconds after submission (near the target more often than not)."""
    year, month = draw(months)
    start_ms, end_ms = month_bounds_ms(year, month)
    submitted = draw(st.integers(start_ms, end_ms))
    terms = in_force(revisions, EPOCH + timedelta(milliseconds=submitted))
    severity = draw(st.sampled_from(sorted(terms.targets_ms)))
    channel = draw(st.sampled_from(terms.channels[severity]))
    target = terms.targets_ms[severity]
    d = draw(st.one_of(st.integers(0, 3 * target), st.integers(target - 2, target + 2).filter(lambda x: x >= 0)))
    via = draw(st.sampled_from(["phone", "case_note"]))
    record = {"type": "case", "id": "C-1", "customer": "acme", "severity": severity, "channel": channel,
              "submitted_at": stamp(submitted, draw(offsets)),
              "events": [{"type": "human_response", "at": stamp(submitted + d, draw(offsets)), "via": via}]}
    return record, terms, d


@given(st.data())
@examples(200)
def test_response_is_met_exactly_when_its_minutes_are_within_the_target(genesys, revisions, data):
    record, terms, d = data.draw(answered_cases(revisions))
    result = decide(record, genesys, now=NOW).result
    target = terms.targets_ms[record["severity"]]
    assert result["response_minutes"] == shown(Fraction(d, MS_PER_MINUTE))
    assert result["response_target_minutes"] == shown(Fraction(target, MS_PER_MINUTE))
    assert result["response_met"] is (d <= target)


@given(st.data(), st.lists(st.tuples(st.integers(0, 10 * 3_600_000), offsets), min_size=1, max_size=5))
@examples(150)
def test_automated_replies_never_change_the_decision(genesys, revisions, data, replies):
    record, _, _ = data.draw(answered_cases(revisions))
    submitted = record["submitted_at"]
    submitted_ms = (datetime.fromisoformat(submitted.replace("Z", "+00:00")) - EPOCH) // timedelta(milliseconds=1)
    with_replies = dict(record, events=record["events"] + [
        {"type": "automated_reply", "at": stamp(submitted_ms + after, offset)} for after, offset in replies])
    assert decide(with_replies, genesys, now=NOW).to_json() == decide(record, genesys, now=NOW).to_json()


@given(st.data(), st.integers(-3 * 3_600_000, 3 * 3_600_000))
@examples(150)
def test_an_unanswered_case_is_breached_only_once_its_deadline_is_before_now(genesys, revisions, data, now_from_deadline):
    record, terms, _ = data.draw(answered_cases(revisions))
    record = dict(record, events=[])
    submitted = datetime.fromisoformat(record["submitted_at"].replace("Z", "+00:00"))
    deadline = submitted + timedelta(milliseconds=terms.targets_ms[record["severity"]])
    now = deadline + timedelta(milliseconds=now_from_deadline)
    result = decide(record, genesys, now=now).result
    assert result["response_minutes"] is None
    assert result["response_met"] is (False if deadline < now else None)
