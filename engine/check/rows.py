"""The typed rows `sla check` passes between its stages.

A worker turns each input row into one `Item` (`Decided` or `Rejected`); a
decided row carries its contribution to the summary (`CaseRow`, `MonthRow` or
`ClaimRow`); the summary keeps the customer-months below the first tier as
`CreditedMonth`s. They are slotted dataclasses, not tuples: a field is read by
name, and a slotted instance costs about what a tuple of the same length does,
which matters at a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from engine.check.months import Owed


@dataclass(slots=True)
class Task:
    """A chunk of rows for one worker: JSONL rows are the file's lines as read
    (blank ones included, so line numbers count them), CSV rows are
    (line, cells), customer-month rows are their payloads."""

    source: str  # cases, claims, or months
    file: str
    kind: str  # jsonl, csv, or months
    header: list[str] | None  # a CSV file's columns
    first: int  # the line of the first row (JSONL)
    rows: list[Any]


@dataclass(slots=True)
class Contribution:
    """What a decided record adds to the summary: every kind says whether it failed."""

    breached: bool  # a breached finding
    violation: bool  # a violation finding


@dataclass(slots=True)
class CaseRow(Contribution):
    """What a decided case adds to the summary."""

    severity: int  # the severity whose clock decided
    response_micros: int | None  # the exact response time; None while unanswered
    met: bool | None  # None: pending
    target: str  # the response target, in minutes


@dataclass(slots=True)
class MonthRow(Contribution):
    """What a decided customer-month adds to the summary."""

    customer: str
    month: str
    down_micros: int  # net unavailable time (unavailable - excluded)
    total_micros: int
    uptime_percent: str
    credit_percent: str
    tier_below: str | None
    revision: str
    owed: Owed | None  # None: the customer has no contract


@dataclass(slots=True)
class ClaimRow(Contribution):
    """What a decided credit claim adds to the summary."""

    eligible: bool
    amount: str
    currency: str
    reasons: tuple[str, ...]


@dataclass(slots=True)
class Decided:
    """A row decided: its decision's JSONL line and JUnit test case (when asked for) and its contribution."""

    line: int | None
    id: str
    text: str | None
    junit: str | None
    row: Contribution

    @property
    def failing(self) -> bool:
        return self.row.breached or self.row.violation


@dataclass(slots=True)
class Rejected:
    """A row that could not be decided: its problems as lines, the row as read (for the rejects file), its JUnit error."""

    line: int | None
    id: str | None
    problems: list[str]
    row: Any
    junit: str | None


Item = Union[Decided, Rejected]

# The columns of a credited customer-month, in the order the CSV summary writes them.
CREDITED = ("customer", "month", "uptime_percent", "tier_below", "credit_percent", "revision", "billing", "credit_owed",
            "currency", "eligible", "reason")


@dataclass(slots=True)
class CreditedMonth:
    """A customer-month below the first credit tier, and what its contract is owed."""

    customer: str
    month: str
    uptime_percent: str
    tier_below: str | None
    credit_percent: str
    revision: str
    billing: str | None
    credit_owed: str | None
    currency: str | None
    eligible: bool | None
    reason: str | None

    def values(self) -> tuple[Any, ...]:
        """The fields in CREDITED order."""
        return (self.customer, self.month, self.uptime_percent, self.tier_below, self.credit_percent, self.revision,
                self.billing, self.credit_owed, self.currency, self.eligible, self.reason)

    def to_dict(self) -> dict[str, Any]:
        return dict(zip(CREDITED, self.values()))
