"""`sla report`: a dispute report in Markdown or as one self-contained HTML file."""

from __future__ import annotations

import argparse
import json

from engine.io.atomic import write_atomic
from engine.disputes.bundle import replay
from engine.errors import UsageError
from engine.disputes.receipt import build_receipt
from engine.disputes.report import FORMATS, render
from engine.disputes.whatif import all_revisions
from engine.commands._common import EXIT_OK, Streams, add_record_options
from engine.commands._disputes import bundle_and_family, options

NAME, ORDER = "report", 82


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="write a dispute report (Markdown or self-contained HTML)",
                       description="Replay a dispute bundle and write a report a lawyer can attach: the summary verdict, "
                                   "the facts, the month's outages on a timeline, the uptime against the tier thresholds as "
                                   "a chart, each rule's outcome with its clause quoted (--lang zh or en), the revisions used "
                                   "and why, and the receipt's hashes. The HTML is one file with its styles and charts "
                                   "inside: it fetches nothing and prints cleanly.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit codes: 0 the report was written · 2 bad bundle or usage (nothing is written)")
    p.add_argument("dispute", metavar="DISPUTE", help="the dispute bundle (.yaml, .yml or .json)")
    add_record_options(p)
    p.add_argument("--format", choices=FORMATS, help="markdown or html (default: from -o's suffix, .html -> html; else markdown)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of standard output")
    p.add_argument("--all-revisions", action="store_true", help="add the what-if table: the dispute under every revision")
    p.add_argument("--receipt", metavar="OUT.json", help="also write the decision receipt whose hashes the report shows")
    p.add_argument("--sign-key", metavar="KEY", help="sign the receipt with this Ed25519 private key (`sla keygen`)")


def io_paths(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """What this run reads and writes, for the collision check in `engine.cli`."""
    return [("DISPUTE", args.dispute), ("--sign-key", args.sign_key)], [("-o", args.output), ("--receipt", args.receipt)]


def run(args: argparse.Namespace, io: Streams) -> int:
    if args.all_revisions and args.as_of:
        raise UsageError("sla report: --all-revisions and --as-of cannot be combined (--all-revisions already uses each revision's date)")
    if args.sign_key and not args.receipt:
        raise UsageError("sla report: --sign-key signs a receipt; give --receipt OUT.json too")
    fmt = args.format or ("html" if args.output and args.output.lower().endswith((".html", ".htm")) else "markdown")
    bundle, family = bundle_and_family(args)
    opts = options(args, bundle)
    what_if = all_revisions(bundle, family, opts) if args.all_revisions else None
    verdict = what_if.actual if what_if else replay(bundle, family, opts)
    text = render(verdict, fmt, args.lang, what_if)
    if args.receipt:
        receipt = build_receipt(verdict, sign_key=args.sign_key)
        write_atomic(args.receipt, json.dumps(receipt, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    if args.output:
        write_atomic(args.output, text)
    else:
        io.stdout.write(text)
    return EXIT_OK
