"""Exact interval arithmetic for the uptime formula: unions without double counting."""

from __future__ import annotations

from typing import Iterable

Interval = tuple[int, int]  # [start, end) in integer microseconds


def clip(interval: Interval, window: Interval) -> Interval | None:
    """The part of `interval` inside `window`, or None when they do not overlap."""
    start, end = max(interval[0], window[0]), min(interval[1], window[1])
    return (start, end) if start < end else None


def measure_union_and_only(counted: Iterable[Interval], excluded: Iterable[Interval]) -> tuple[int, int]:
    """Length of the union of all intervals (B), and of the part covered by
    `excluded` intervals but by no `counted` one (C): time where an attributable
    outage overlaps an excluded one stays unavailable."""
    edges: list[tuple[int, int, int]] = []
    for start, end in counted:
        edges += [(start, 0, 1), (end, 0, -1)]
    for start, end in excluded:
        edges += [(start, 1, 1), (end, 1, -1)]
    edges.sort()
    depth = [0, 0]
    union = only_excluded = 0
    last = None
    for time, kind, step in edges:
        if last is not None and time > last:
            if depth[0] or depth[1]:
                union += time - last
            if depth[1] and not depth[0]:
                only_excluded += time - last
        depth[kind] += step
        last = time
    return union, only_excluded
