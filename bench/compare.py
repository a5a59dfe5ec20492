"""Field-for-field comparison of two `sla check` outputs: decisions (JSONL, in
input order) and summaries (JSON). Lines with the same bytes are equal without
parsing; any other pair is parsed and compared as JSON values, so key order and
spacing never count, and every differing field is named by its path."""

from __future__ import annotations

import json
from itertools import zip_longest
from pathlib import Path
from typing import Any

SHOWN = 5  # differences printed in full; all are counted


def differences(left: Any, right: Any, path: str = "$") -> list[str]:
    """Every path at which two JSON values differ (`$.findings[2].message: 'a' != 'b'`)."""
    if isinstance(left, dict) and isinstance(right, dict):
        out = []
        for key in sorted(set(left) | set(right)):
            if key not in right:
                out.append(f"{path}.{key}: only in the first")
            elif key not in left:
                out.append(f"{path}.{key}: only in the second")
            else:
                out += differences(left[key], right[key], f"{path}.{key}")
        return out
    if isinstance(left, list) and isinstance(right, list):
        out = [f"{path}: {len(left)} items != {len(right)}"] if len(left) != len(right) else []
        for i, (a, b) in enumerate(zip(left, right)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    if type(left) is not type(right) or left != right:  # 1 == 1.0 == True must not pass as equal
        return [f"{path}: {left!r} != {right!r}"]
    return []


def compare_decisions(first: Path, second: Path) -> tuple[int, int, list[str]]:
    """(decisions compared, decisions that differ, the first SHOWN differences described)."""
    compared = differ = 0
    shown: list[str] = []
    with open(first, "rb") as a, open(second, "rb") as b:
        for n, (x, y) in enumerate(zip_longest(a, b), start=1):
            compared += 1
            if x == y:
                continue
            if x is None or y is None:
                found = [f"only in {'the second' if x is None else 'the first'} file"]
                record = "?"
            else:
                dx, dy = json.loads(x), json.loads(y)
                found = differences(dx, dy)  # none: the same values in other bytes (key order, spacing)
                record = dx.get("record", "?") if isinstance(dx, dict) else "?"
            if found:
                differ += 1
                if len(shown) < SHOWN:
                    shown.append(f"decision {n} ({record}): " + "; ".join(found[:4]))
    return compared, differ, shown


def compare_summaries(first: Path, second: Path) -> list[str]:
    """Every differing path of two summary JSON files."""
    return differences(json.loads(first.read_text(encoding="utf-8")), json.loads(second.read_text(encoding="utf-8")))
