"""B and C of the uptime formula in SQL: the union of outage intervals per group
(a customer-month, a claim), exact in integer microseconds.

Input rows (grp..., s, e, excluded) are intervals already clipped to the month,
with s < e, for outages on a critical function. B is the length of the union of
all of them; C the part covered by excluded causes only, that is B minus the
length of the union of the attributable ones (engine.intervals.measure_union_and_only).

A union's length without islands: sorted by start, each interval adds what lies
past every earlier interval's end, max(0, e - max(s, running max of earlier ends)).
"""

from __future__ import annotations


def union_sql(intervals: str, keys: tuple[str, ...]) -> str:
    """SELECT keys, b, c FROM `intervals` (a relation with the key columns, s, e, excluded)."""
    key = ", ".join(keys)
    frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    return f"""
SELECT {key}, SUM(part_all) AS b, SUM(part_all) - SUM(part_counted) AS c FROM (
  SELECT {key},
    GREATEST(0, e - GREATEST(s, COALESCE(MAX(e) OVER (PARTITION BY {key} ORDER BY s, e {frame}), s))) AS part_all,
    CASE WHEN excluded THEN 0 ELSE
      GREATEST(0, e - GREATEST(s, COALESCE(MAX(e) OVER (PARTITION BY {key}, excluded ORDER BY s, e {frame}), s))) END AS part_counted
  FROM {intervals}) parts
GROUP BY {key}"""
