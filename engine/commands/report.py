"""`sla report`: a dispute report in Markdown, as one self-contained HTML file, or as PDF."""

from __future__ import annotations

import argparse
import json
import os

from engine.io.atomic import write_atomic
from engine.disputes.bundle import replay
from engine.errors import UsageError
from engine.disputes.receipt import build_receipt
from engine.disputes.pdf import write_pdf
from engine.disputes.report import FORMATS, render
from engine.disputes.whatif import all_revisions
from engine.commands._common import EXIT_OK, Streams, add_record_options
from engine.commands._disputes import bundle_and_family, options

NAME, ORDER = "report", 82


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="write a dispute report (Markdown, self-contained HTML, or PDF)",
                       description="Replay a dispute bundle and write a report a lawyer can attach: the summary verdict, "
                                   "the facts, the month's outages on a timeline, the uptime against the tier thresholds as "
                                   "a chart, each rule's outcome with its clause quoted (--lang zh or en), the revisions used "
                                   "and why, and the receipt's hashes. The HTML is one file with its styles and charts "
                                   "inside: it fetches nothing and prints cleanly. --format pdf prints that HTML with "
                                   "headless Chromium (-o FILE.pdf is required).",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit codes: 0 the report was written · 2 bad bundle or usage (nothing is written)")
    p.add_argument("dispute", metavar="DISPUTE", help="the dispute bundle (.yaml, .yml or .json)")
    add_record_options(p)
    p.add_argument("--format", choices=FORMATS + ("pdf",),
                   help="markdown, html or pdf (default: from -o's suffix: .html -> html, .pdf -> pdf; else markdown)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically) instead of standard output")
    p.add_argument("--all-revisions", action="store_true", help="add the what-if table: the dispute under every revision")
    p.add_argument("--receipt", metavar="OUT.json", help="also write the decision receipt whose hashes the report shows")
    p.add_argument("--sign-key", metavar="KEY", help="sign the receipt with this Ed25519 private key (`sla keygen`)")


def io_paths(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """What this run reads and writes, for the collision check in `engine.cli`."""
    return [("DISPUTE", args.dispute), ("--sign-key", args.sign_key)], [("-o", args.output), ("--receipt", args.receipt)]


_SUFFIXES = {"html": (".html", ".htm"), "pdf": (".pdf",), "markdown": (".md", ".markdown")}  # other names take any format


def _format(given: str | None, output: str | None) -> str:
    """The report's format: --format, else -o's suffix. A suffix that names another
    format is an error (a Markdown file called x.pdf is a mislabelled file), and a
    PDF goes to a file, never to the terminal."""
    suffix = os.path.splitext(output)[1].lower() if output else ""
    implied = next((f for f, ends in _SUFFIXES.items() if suffix in ends), None)
    fmt = given or implied or "markdown"
    if implied is not None and implied != fmt:
        raise UsageError(f"sla report: -o {output} names a {implied} file but the content would be {fmt}; "
                         f"use --format {implied} or an output name ending in {_SUFFIXES[fmt][0]}")
    if fmt == "pdf" and not output:
        raise UsageError("sla report --format pdf: give -o FILE.pdf (a PDF is not written to the terminal)")
    return fmt


def run(args: argparse.Namespace, io: Streams) -> int:
    if args.all_revisions and args.as_of:
        raise UsageError("sla report: --all-revisions and --as-of cannot be combined (--all-revisions already uses each revision's date)")
    if args.sign_key and not args.receipt:
        raise UsageError("sla report: --sign-key signs a receipt; give --receipt OUT.json too")
    fmt = _format(args.format, args.output)
    bundle, family = bundle_and_family(args)
    opts = options(args, bundle)
    what_if = all_revisions(bundle, family, opts) if args.all_revisions else None
    verdict = what_if.actual if what_if else replay(bundle, family, opts)
    text = render(verdict, "html" if fmt == "pdf" else fmt, args.lang, what_if)
    if args.receipt:
        receipt = build_receipt(verdict, sign_key=args.sign_key)
        write_atomic(args.receipt, json.dumps(receipt, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    if fmt == "pdf":
        write_pdf(text, args.output)
    elif args.output:
        write_atomic(args.output, text)
    else:
        io.stdout.write(text)
    return EXIT_OK
