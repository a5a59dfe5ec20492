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
