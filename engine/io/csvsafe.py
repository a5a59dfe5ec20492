"""CSV cells a spreadsheet cannot run.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
spreadsheet programs as a formula (CSV injection: `=HYPERLINK(...)`, `=cmd|...`).
Every CSV the engine writes passes its cells through `neutralise`, which puts a
single quote in front of such a cell, as OWASP recommends; a plain number such
as `-5` or `+3.25` is left as it is (a spreadsheet reads it as the number).
"""

from __future__ import annotations

import re
import csv
from typing import Any, Iterable, Mapping

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def neutralise(cell: Any) -> Any:
    """The cell, with a leading `'` when a spreadsheet would take it for a formula."""
    if isinstance(cell, str) and cell.startswith(TRIGGERS) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose every cell is neutralised."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: neutralise(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)

