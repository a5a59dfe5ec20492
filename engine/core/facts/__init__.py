"""Derived facts: what the engine computes from a record and a revision before any
rule runs. Each record type has one module; each names its facts here, so rule
conditions and message templates can be checked against them when a policy loads.
"""

from __future__ import annotations

CASE_FACTS = {
    "severity": "severity the case was opened with",
    "channel": "channel the case was opened on",
    "submission_channels": "channels the opening severity may be raised on",
    "current_severity": "severity after the last severity change",
    "escalated_to_restricted_severity": "a severity change moved the case to a severity its channel may not raise",
    "escalated_to": "the severity of that escalation, or null",
    "escalation_request_at": "when the request that starts the escalated clock was made, or null",
    "clock_severity": "the severity whose target decides the response",
    "clock_start": "when the deciding response clock started, or null when it has not",
    "response_target_minutes": "the deciding clock's target, in minutes",
    "response_deadline": "the deciding clock's last timely instant (never past a deadline a severity change replaced)",
    "response_at": "the first initial response on the deciding clock, or null",
    "response_minutes": "minutes from clock start to that response, or null",
    "response_met": "true, false, or null while pending or not started",
    "now": "the evaluation instant that decides whether an unanswered clock has run out",
    "primary_contacts": "primary designated contacts the record states, or null when it does not say",
    "backup_contacts": "backup designated contacts the record states, or null when it does not say",
    "required_primary_contacts": "primary designated contacts the policy asks for",
    "required_backup_contacts": "backup designated contacts the policy asks for at least",
}

UPTIME_FACTS = {
    "month": "the month, YYYY-MM",
    "month_start": "the month's first instant in the policy's time zone",
    "month_end": "the first instant after the month",
    "total_minutes": "A: minutes in the month",
    "unavailable_minutes": "B: minutes when a critical function was inaccessible",
    "excluded_minutes": "C: the part of B caused only by uptime exclusions",
    "uptime_percent": "(A - B + C) / A, as a percentage",
    "credit_percent": "the credit of the single lowest tier the uptime is below, else 0",
    "tier_below": "that tier's threshold, or null",
}

CLAIM_FACTS = {
    **UPTIME_FACTS,
    "submitted_at": "when the claim was made",
    "support_case": "the support case id given, or null",
    "billing": "the contract's billing type",
    "currency": "the contract's currency",
    "base_amount": "the monthly committed fee the credit is a percentage of, or null",
    "window_days": "days after the month's end a claim may be made",
    "window_closes_at": "the first instant a claim is late",
    "window_revision": "the revision whose window applies: in force when the window closes (or when the claim was made, if the policy says so)",
    "settlement": "how the credit is paid for this contract type, or null",
}

FACTS: dict[str, dict[str, str]] = {"case": CASE_FACTS, "uptime": UPTIME_FACTS, "credit_claim": CLAIM_FACTS}
