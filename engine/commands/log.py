"""`sla log`: list and filter the decisions logged by `evaluate --log` and `replay --log`."""

from __future__ import annotations

import argparse
import json

from engine.disputes import decisionlog
from engine.core.outcomes import OUTCOMES
from engine.commands._common import EXIT_FINDINGS, EXIT_OK, Streams

NAME, ORDER = "log", 83


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="list past decisions from the decision log",
                       description="List the decisions in the decision log (a SQLite file written by `sla evaluate --log` "
                                   "and `sla replay --log`), oldest first, filtered by customer, month, outcome or record. "
                                   "Each row has the time it was logged, the command, the record, the revision(s) used, the "
                                   "outcome and the sha256 of the record's input; --format json adds the policy file hashes "
                                   "and the whole decision.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=f"outcomes: {', '.join(OUTCOMES)}\nexit codes: 0 listed (even none), or --verify found the chain "
                              f"intact · 1 --verify found a row edited, deleted or moved · 2 no log, or unreadable")
    p.add_argument("path", nargs="?", metavar="PATH",
                   help=f"the log file (default: ${decisionlog.ENV_VAR} or ./{decisionlog.DEFAULT_PATH})")
    p.add_argument("--customer", help="only this customer's decisions")
    p.add_argument("--month", metavar="YYYY-MM", help="only decisions about this month (a case: the month it was submitted)")
    p.add_argument("--outcome", choices=OUTCOMES, help="only decisions with this outcome")
    p.add_argument("--record", metavar="ID", help="only this record's decisions")
    p.add_argument("--command", dest="by_command", choices=("evaluate", "replay", "serve"), help="only decisions logged by this command")
    p.add_argument("--limit", type=int, metavar="N", help="only the last N matching decisions")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    p.add_argument("--verify", action="store_true",
                   help="check the log's hash chain instead of listing: names each row edited, deleted or moved, and "
                        "prints the head hash (keep it elsewhere to detect rows deleted at the end); exit 1 if broken")


def run(args: argparse.Namespace, io: Streams) -> int:
    if args.verify:
        return _verify(args.path or decisionlog.default_path(), args.format, io)
    filters = decisionlog.Filters(args.customer, args.month, args.outcome, args.record, args.by_command, args.limit)
    rows = decisionlog.query(args.path or decisionlog.default_path(), filters)
    if args.format == "json":
        io.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        io.stdout.write(decisionlog.table(rows))
    return EXIT_OK


def _verify(path: str, fmt: str, io: Streams) -> int:
    result = decisionlog.verify_chain(path)
    if fmt == "json":
        io.stdout.write(json.dumps({"intact": result.intact, "rows": result.rows, "head": result.head,
                                    "problems": list(result.problems)}, indent=2) + "\n")
    elif result.intact:
        io.stdout.write(f"{path}: intact: {result.rows} row(s), hash chain unbroken; head {result.head}\n")
    else:
        io.stdout.write(f"{path}: BROKEN\n" + "".join(f"  {p}\n" for p in result.problems) + f"  head {result.head}\n")
    return EXIT_OK if result.intact else EXIT_FINDINGS
