"""Response times for exact percentiles, in memory that grows with the distinct
times rather than with the cases.

A run's response times (integer microseconds) are whole seconds in every export
we have seen, so they repeat a lot: the bench's 10M cases hold 76,262 distinct
times over four severities. `Times` appends to an array (8 bytes a time) and,
once that holds FOLD_AT times, folds it into sorted distinct times with their
counts (16 bytes a distinct time): 80 MB for 10M cases becomes a few MB. When
folding does not pay (most times distinct, as with sub-second timestamps), it
stops folding and keeps every time, as a plain array would: never more memory
than that, and the same order statistics.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from typing import Iterable, Iterator

FOLD_AT = 1 << 18  # times held unfolded before a fold (2 MB), and the fewest times whose folding is judged


class Distribution:
    """Sorted distinct values with their counts: the same order statistics as the
    sorted list of every value."""

    def __init__(self, values: Iterable[int] = (), pairs: Iterable[tuple[int, int]] | None = None):
        self.pairs = sorted(Counter(values).items()) if pairs is None else list(pairs)
        self.total = sum(n for _, n in self.pairs)

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self.pairs)

    def nearest_rank(self, p: int) -> int:
        """The p-th percentile by nearest rank: the value at rank ceil(p/100 * n)."""
        rank = max(-(-p * self.total // 100), 1)
        seen = 0
        for value, count in self.pairs:
            seen += count
            if seen >= rank:
                return value
        raise ValueError("no values")


class Times:
    """A multiset of integer times: appended one by one or a whole other `Times` at once."""

    __slots__ = ("raw", "values", "counts", "folded", "folding")

    def __init__(self) -> None:
        self.raw = array("q")  # appended since the last fold
        self.values = array("q")  # folded: sorted distinct times ...
        self.counts = array("q")  # ... and how many times each
        self.folded = 0  # sum(self.counts)
        self.folding = True  # False once folding stopped paying

    def __len__(self) -> int:
        return len(self.raw) + self.folded

    def append(self, value: int) -> None:
        self.raw.append(value)
        self._fold_when_due()

    def add(self, values: Iterable[int]) -> None:
        """Add many times at once (a chunk's, column by column): one fold check for all of them."""
        self.raw.extend(values)
        self._fold_when_due()

    def extend(self, other: "Times") -> None:
        """Add every time of `other` (a chunk's, or a worker's)."""
        self.raw.extend(other.raw)
        if other.folded:
            self.raw.extend(_expand(other.values, other.counts))
        self._fold_when_due()

    def _fold_when_due(self) -> None:
        if len(self.raw) >= FOLD_AT and self.folding:
            self._fold()

    def distribution(self) -> Distribution:
        """Every time, counted and sorted."""
        if not self.folded:
            return Distribution(self.raw)
        values, counts = _merge(self.values, self.counts, sorted(Counter(self.raw).items()))
        return Distribution(pairs=zip(values, counts))

    def _fold(self) -> None:
        """Fold the unfolded times into the distinct ones. Once there are enough times to judge, and
        the distinct ones in pairs (16 bytes each) take more than every time in a plain array (8 bytes
        each), unfold everything for good: times that do not repeat stay a plain array."""
        values, counts = _merge(self.values, self.counts, sorted(Counter(self.raw).items()))
        total = self.folded + len(self.raw)
        if total >= 4 * FOLD_AT and 2 * len(values) > total:
            self.raw = array("q", _expand(values, counts))
            self.values, self.counts, self.folded, self.folding = array("q"), array("q"), 0, False
            return
        self.raw, self.values, self.counts, self.folded = array("q"), values, counts, total


def _merge(values: array, counts: array, batch: list[tuple[int, int]]) -> tuple[array, array]:
    """Sorted distinct (time, count) pairs with a sorted batch of them added: a Python step per
    pair of the batch, the runs of `values` between them copied as slices."""
    new_values, new_counts = array("q"), array("q")
    at, n = 0, len(values)
    for value, count in batch:
        i = bisect_left(values, value, at)
        if i > at:
            new_values += values[at:i]
            new_counts += counts[at:i]
        if i < n and values[i] == value:
            count += counts[i]
            i += 1
        new_values.append(value)
        new_counts.append(count)
        at = i
    new_values += values[at:]
    new_counts += counts[at:]
    return new_values, new_counts


def _expand(values: array, counts: array) -> Iterator[int]:
    """Each time as often as it was counted."""
    for value, count in zip(values, counts):
        for _ in range(count):
            yield value
