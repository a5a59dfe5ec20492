"""One credit calculation: eligibility, amount and reason codes.

Used by a credit claim's decision (engine.kinds.credit_claim) and by `sla check`
for every customer-month with a contract (engine.check), so the two can never
disagree. The reason codes are the policy's: each is the `reason` of the first
holding outcome of a rule; a credit is eligible when no rule gave one. The
amount is the month's credit percent of the contract's monthly base (the
contract type's base field / divide_by), rounded to the currency's minor unit.

A customer-month has no claim, so `sla check` runs only the rules that can be
decided without one: the credit_claim rules whose conditions read nothing but the
contract, the month's uptime facts, the contract facts below and policy params
(the policy's contract-type and credit-due rules; not the claim window or the
support-case requirement, which read the claim's own fields).
"""

from __future__ import annotations

from fractions import Fraction
from weakref import WeakKeyDictionary
from typing import Any, Iterable, Mapping, NamedTuple, TYPE_CHECKING

from engine.exact import money_text
from engine.lang import ast
from engine.lang.scope import Scope

if TYPE_CHECKING:
    from engine.policy.family import Revision, Rule

CONTRACT_FACTS = ("billing", "currency", "base_amount", "settlement")


class Credit(NamedTuple):
    """What a contract is owed for a month, or why nothing (a tuple: made once a record)."""

    eligible: bool
    amount: str  # rounded to the currency's minor unit
    currency: str
    billing: str
    settlement: str | None  # how it is paid, when eligible
    reasons: tuple[str, ...]  # the policy's reason codes, in rule order

    @property
    def reason(self) -> str | None:
        """The first reason, or None when eligible."""
        return self.reasons[0] if self.reasons else None


def contract_facts(revision: "Revision", contract: Mapping[str, Any]) -> dict[str, Any]:
    """billing, currency, base_amount (the monthly base, or None for a contract type
    the policy does not credit) and settlement, under `revision`'s contract terms.
    Amounts in `contract` are exact (Fraction)."""
    terms = revision.contracts.get(contract["billing"])
    base = None
    if terms is not None:
        base = contract[terms.base_field]
        if terms.divide_by != 1:
            base = base / terms.divide_by
    return {
        "billing": contract["billing"],
        "currency": contract["currency"],
        "base_amount": base,
        "settlement": terms.settlement if terms else None,
    }


_ZERO = Fraction(0)


def settle(revision: "Revision", facts: Mapping[str, Any], reasons: Iterable[str]) -> Credit:
    """The credit from the facts (credit_percent and the contract facts) and the
    reason codes the rules gave: eligible when there are none."""
    if type(reasons) is not tuple:
        reasons = tuple(reasons)
    eligible = not reasons
    amount = _ZERO
    if eligible:
        base, percent = facts["base_amount"], facts["credit_percent"]
        # base x credit% / 100 as one exact fraction (a hundred thousand customer-months a year)
        amount = Fraction(base.numerator * percent.numerator, base.denominator * percent.denominator * 100)
    return Credit(eligible, money_text(amount, revision.currencies[facts["currency"]]), facts["currency"],
                  facts["billing"], facts["settlement"] if eligible else None, reasons)


def month_credit(revision: "Revision", contract: Mapping[str, Any], month_facts: Mapping[str, Any],
                 reasons: Iterable[str] = ()) -> Credit:
    """A customer-month's credit without a claim: `month_facts` are the uptime
    facts, `reasons` those the uptime rules already gave; the rules that need no
    claim (see the module docstring) add theirs."""
    facts = {**month_facts, **contract_facts(revision, contract)}
    scope = _new(Scope)  # Scope({"contract": contract}, facts) without the frozen __init__ (once a customer-month)
    _set(scope, "__dict__", {"fields": {"contract": contract}, "facts": facts})
    found = list(reasons)
    rules = _MONTH_RULES.get(revision)
    if rules is None:
        rules = _MONTH_RULES[revision] = month_rules(revision)
    for rule in rules:
        for outcome in rule.outcomes:
            if outcome.when is None or outcome.when.test(scope):
                if outcome.reason:
                    found.append(outcome.reason)
                break
    return settle(revision, facts, found)


_new, _set = object.__new__, object.__setattr__
_MONTH_RULES: "WeakKeyDictionary[Revision, tuple[Rule, ...]]" = WeakKeyDictionary()


def month_rules(revision: "Revision") -> tuple["Rule", ...]:
    """The credit_claim rules decidable for a month without a claim, in policy order."""
    from engine import kinds

    facts = set(kinds.get("uptime").facts) | set(CONTRACT_FACTS)
    out = []
    for rule in revision.rules.get("credit_claim", ()):
        read: set[tuple[str, str]] = set()
        for outcome in rule.outcomes:
            if outcome.when is not None:
                read |= ast.names(outcome.when.node)
        if all(_without_claim(kind, name, facts) for kind, name in read):
            out.append(rule)
    return tuple(out)


def _without_claim(kind: str, name: str, facts: set[str]) -> bool:
    if kind == "field":
        return name == "contract" or name.startswith("contract.")
    if kind == "fact":
        return name in facts
    return True  # a param of the policy
