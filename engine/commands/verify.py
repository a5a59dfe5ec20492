"""`sla verify`: check a decision receipt and re-run it with today's engine and policies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.errors import Problem
from engine.disputes.receipt import ReceiptError, Verification
from engine.io.jsontext import decode as decode_json
from engine.commands._common import EXIT_FINDINGS, EXIT_OK, Streams, add_policies_option, engine

NAME, ORDER = "verify", 81

KIND_LABELS = {
    "receipt_tampered": "receipt tampered",
    "policy_changed": "policy file changed",
    "policy_missing": "policy file missing",
    "schema_changed": "schema changed",
    "engine_changed": "engine changed",
    "outcome_changed": "outcome changed",
    "decision_changed": "decision wording changed",
    "rerun_failed": "re-run failed",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="verify a decision receipt: intact, and the same decision today?",
                       description="Check that a receipt written by `sla replay --receipt` is intact (every section matches "
                                   "its sha256), then re-run its input with today's engine and policies and compare. Names "
                                   "each difference: receipt tampered, policy file changed or missing, schema changed, engine "
                                   "changed, outcome changed, decision wording changed.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit codes: 0 verified (intact, same files, same decision) · 1 something differs · "
                              "2 not a receipt, or unreadable")
    p.add_argument("receipt", metavar="RECEIPT.json", help="the receipt")
    add_policies_option(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def run(args: argparse.Namespace, io: Streams) -> int:
    data = _read(args.receipt)
    result = engine(args).verify(data, source=args.receipt)
    if args.format == "json":
        io.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        io.stdout.write(_text(args.receipt, result))
    return EXIT_OK if result.verified else EXIT_FINDINGS


def _read(name: str) -> object:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReceiptError([Problem(f"cannot read: {getattr(exc, 'strerror', None) or exc}", file=name)]) from None
    try:
        return decode_json(text)  # exact decimals, no NaN, no duplicate keys: a receipt is read as records are
    except json.JSONDecodeError as exc:
        raise ReceiptError([Problem(f"not valid JSON: {exc.msg}", file=name, line=exc.lineno)]) from None
    except ValueError as exc:  # a duplicate key or NaN
        raise ReceiptError([Problem(f"not valid JSON: {exc}", file=name)]) from None


def _text(name: str, result: Verification) -> str:
    if result.verified:
        return (f"{name}: verified: the receipt is intact, and today's engine, policy files and schemas "
                f"give the same decision\n")
    lines = [f"{name}: FAILED"]
    for d in result.differences:
        detail = ""
        if d.recorded is not None or d.current is not None:
            detail = f" (receipt: {_short(d.recorded)}; now: {_short(d.current)})"
        lines.append(f"  {KIND_LABELS[d.kind]}: {d.what}{detail}")
    if result.rerun is not None:
        lines.append("  decision: " + ("the same as recorded" if result.same_decision else "differs from the one recorded"))
    return "\n".join(lines) + "\n"


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."
