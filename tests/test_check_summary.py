"""The summary's numbers: nearest-rank percentiles of exact response times."""

from __future__ import annotations

import json

from check_helpers import NOW, write
from conftest import run_cli
from engine.check.summary import nearest_rank


def test_nearest_rank_takes_the_value_at_rank_ceil_p_n():
    values = list(range(1, 11))
    assert nearest_rank(values, 50) == 5  # rank 5 of 10: the lower middle value, never an average
    assert nearest_rank(values, 95) == 10  # rank ceil(9.5) = 10
    assert nearest_rank(list(range(1, 21)), 95) == 19
    assert nearest_rank([7], 50) == nearest_rank([7], 95) == 7


def test_median_and_p95_are_exact_minutes_per_severity(tmp_path):
    rows = []
    for i, seconds in enumerate([30, 90, 100, 601, 599, 20]):  # Sev1 response times, in seconds after submission
        rows.append({"type": "case", "id": f"C-{i}", "customer": "acme", "severity": 1, "channel": "phone",
                     "submitted_at": "2024-03-05T09:30:00Z",
                     "events": [{"type": "human_response", "at": f"2024-03-05T09:{30 + seconds // 60:02d}:{seconds % 60:02d}Z", "via": "phone"}]})
    cases = write(tmp_path / "c.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    result = run_cli("check", "--cases", cases, "--now", NOW, "--summary", str(tmp_path / "s.json"), "--quiet")
    [sev1] = json.loads((tmp_path / "s.json").read_text())["severities"]
    # sorted seconds 20 30 90 100 599 601: median rank 3 = 90 s = 1.5 min; p95 rank 6 = 601 s = 10.016666... min
    assert (sev1["p50_minutes"], sev1["p95_minutes"]) == ("1.5", "10.016666")
    assert (sev1["cases"], sev1["breached"], sev1["breach_rate_percent"]) == (6, 1, "16.666666")
    assert ["Sev1", "6", "1", "16.66%", "0", "1.5", "10.016666", "10"] in [line.split() for line in result.out.splitlines()]


def test_the_counted_distribution_gives_the_same_percentiles_as_the_sorted_values():
    import random

    from engine.check.summary import Distribution

    rng = random.Random(5)
    for n in (1, 2, 3, 10, 99, 1000):
        values = [rng.randrange(0, 50) * 1_000_000 for _ in range(n)]
        dist = Distribution(values)
        for p in (1, 50, 95, 99, 100):
            assert dist.nearest_rank(p) == nearest_rank(sorted(values), p)


def test_folding_the_response_times_changes_no_number_of_the_summary_or_the_report(tmp_path, monkeypatch):
    """Times folded into distinct values every 32 cases give the summary and the HTML report
    of times kept one by one (engine.check.times)."""
    from datetime import datetime, timedelta, timezone

    from engine.check import times

    def at(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    rows = []
    for i in range(3_000):  # 14 distinct response times per severity: folding pays, so it goes on
        submitted = datetime(2024, 3, 5, 9, tzinfo=timezone.utc) + timedelta(minutes=i)
        answered = submitted + timedelta(seconds=(i % 7) * 60 + (i // 7) % 2 * 30 + 5)
        rows.append({"type": "case", "id": f"C-{i}", "customer": f"c{i % 5}", "severity": i % 4 + 1,
                     "channel": "phone" if i % 4 == 0 else "portal", "submitted_at": at(submitted),
                     "events": [{"type": "human_response", "via": "phone", "at": at(answered)}]})
    cases = write(tmp_path / "cases.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    outputs, unfolded = {}, times.FOLD_AT
    for fold_at in (unfolded, 32):
        monkeypatch.setattr(times, "FOLD_AT", fold_at)
        out = tmp_path / str(fold_at)
        out.mkdir()
        result = run_cli("check", "--cases", cases, "--now", NOW, "--jobs", "1", "--fail-on", "none",
                         "--summary", str(out / "s.json"), "--html", str(out / "r.html"))
        assert result.code == 0, result.err
        outputs[fold_at] = (result.out, (out / "s.json").read_text(), (out / "r.html").read_text())
    folded, whole = outputs[32], outputs[unfolded]
    assert json.loads(folded[1])["severities"] == json.loads(whole[1])["severities"]
    assert folded == whole


def _month_rows(n: int, seed: int) -> list:
    """Random customer-months as the summary takes them: some below the first tier, some with a contract's credit."""
    import random

    from engine.check.rows import MonthRow
    from engine.core.credit import Credit

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        month = f"2024-{rng.randrange(1, 13):02d}"
        credit = rng.choice(["0", "0", "10", "30", "100"])
        owed = None if rng.random() < 0.3 else Credit(rng.random() < 0.7, f"{rng.randrange(0, 10**6)}.00",
                                                      rng.choice(["EUR", "USD"]), "month_to_month", "next_invoice", ())
        rows.append(MonthRow(rng.random() < 0.3, rng.random() < 0.05, f"cust-{i:05d}", month, rng.randrange(0, 10**9),
                             44_640 * 60_000_000, f"{rng.randrange(95, 101)}.{rng.randrange(0, 10**6):06d}".rstrip("0").rstrip("."),
                             credit, None if credit == "0" else "99.99", "2024-04-24" if month > "2024-04" else "2021-01-19",
                             owed))
    return rows


def test_months_added_column_by_column_give_the_summary_of_months_added_one_by_one():
    from engine.check.summary import Summary

    rows = _month_rows(3_000, 5)
    one, many = Summary(), Summary()
    for row in rows:
        one.add(row)
    many.add_months([r.month for r in rows], [r.revision for r in rows], [r.total_micros for r in rows],
                    [r.down_micros for r in rows], [r.breached for r in rows], [r.violation for r in rows],
                    [r for r in rows if r.credit_percent != "0"])
    assert many.month_rows() == one.month_rows() and many.credited_rows() == one.credited_rows()
    assert (many.owed, many.failing) == (one.owed, one.failing)
    assert [(name, m.customers, m.credited, m.revision, m.total) for name, m in many.months.items()] == \
        [(name, m.customers, m.credited, m.revision, m.total) for name, m in one.months.items()]


def test_customer_months_below_the_first_tier_are_listed_by_uptime_as_a_number_not_as_text():
    from engine.check.summary import Summary

    summary = Summary()
    for customer, uptime in (("b", "99.9"), ("a", "100"), ("c", "99.89"), ("a2", "99.9"), ("d", "9.5"), ("e", "99.900001")):
        row = _month_rows(1, 1)[0]
        row.customer, row.uptime_percent, row.credit_percent = customer, uptime, "10"
        summary.add(row)
    assert [(r["customer"], r["uptime_percent"]) for r in summary.credited_rows()] == \
        [("d", "9.5"), ("c", "99.89"), ("a2", "99.9"), ("b", "99.9"), ("e", "99.900001"), ("a", "100")]
