"""Response times held for exact percentiles (engine.check.times): folded into distinct
times with counts when they repeat, a plain array when they do not, the same order
statistics either way."""

from __future__ import annotations

import pickle
import random
from collections import Counter

import pytest

from engine.check import times as times_module
from engine.check.summary import nearest_rank
from engine.check.times import Times


@pytest.fixture(autouse=True)
def small_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(times_module, "FOLD_AT", 64)  # fold often, so every path runs on small inputs


def filled(values: list[int]) -> Times:
    t = Times()
    for v in values:
        t.append(v)
    return t


def test_folded_times_give_the_same_percentiles_as_every_time_sorted():
    rng = random.Random(7)
    values = [rng.randrange(0, 60) * 1_000_000 for _ in range(5_000)]
    t = filled(values)
    assert t.folded > 0  # it did fold
    dist = t.distribution()
    assert dist.pairs == sorted(Counter(values).items())
    assert len(dist) == len(t) == len(values)
    for p in (1, 50, 95, 99, 100):
        assert dist.nearest_rank(p) == nearest_rank(sorted(values), p)


def test_repeating_times_are_held_once_each_not_once_per_case():
    rng = random.Random(8)
    t = filled([rng.randrange(0, 50) for _ in range(100_000)])
    assert len(t) == 100_000
    assert len(t.values) <= 50 and len(t.raw) < times_module.FOLD_AT  # 16 bytes a distinct time, not 8 a case


def test_times_that_do_not_repeat_stop_folding_and_stay_every_time_once():
    values = list(range(10_000, 0, -1))
    t = filled(values)
    assert not t.folding and t.folded == 0 and len(t.values) == 0  # given up once 4 * FOLD_AT times were seen
    assert len(t.raw) == len(values)  # the plain array: no more memory than before folding existed
    assert t.distribution().pairs == [(v, 1) for v in sorted(values)]


def test_extending_adds_the_folded_and_the_unfolded_times_of_the_other():
    rng = random.Random(9)
    a_values = [rng.randrange(0, 50) for _ in range(1_000)]
    b_values = [rng.randrange(25, 75) for _ in range(1_000)]
    a, b, small = filled(a_values), filled(b_values), filled([3, 3, 1000])
    assert a.folded and b.folded and not small.folded
    a.extend(b)
    a.extend(small)
    assert a.distribution().pairs == sorted(Counter(a_values + b_values + [3, 3, 1000]).items())


def test_times_added_a_chunk_at_a_time_are_held_as_when_appended_one_by_one():
    """`add` (a chunk's times at once, as a chunk the SQL decided gives them) folds as `append` does, even when a
    chunk is larger than a fold."""
    rng = random.Random(10)
    chunks = [[rng.randrange(0, 40) for _ in range(n)] for n in (10, 200, 0, 63, 64, 1)]
    t = Times()
    for chunk in chunks:
        t.add(chunk)
    one_by_one = filled([v for chunk in chunks for v in chunk])
    assert t.folded and len(t.raw) < times_module.FOLD_AT  # folded, not held a time a case
    assert len(t) == len(one_by_one) == 338
    assert t.distribution().pairs == one_by_one.distribution().pairs


def test_times_survive_the_trip_from_a_worker_process():
    t = filled([5, 5, 7] * 100)
    back = pickle.loads(pickle.dumps(t))
    assert back.distribution().pairs == t.distribution().pairs == [(5, 200), (7, 100)]
