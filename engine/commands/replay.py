"""`sla replay`: a dispute bundle's verdict, under the revisions that governed it or under every one."""

from __future__ import annotations

import argparse
import json

from engine.disputes import decisionlog
from engine.io.atomic import write_atomic
from engine.errors import UsageError
from engine.core.evaluate import what_if_label
from engine.disputes.verdicttext import render_verdict, render_what_if
from engine.disputes.whatif import all_revisions
from engine.commands._common import EXIT_OK, Streams, add_record_options, engine
from engine.commands._disputes import bundle_and_family, options
from engine.commands._log import add_log_option, log_path, open_log

NAME, ORDER = "replay", 80


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="replay a dispute: the verdict, the revisions used and why, distances to thresholds",
                       description="Replay a dispute bundle (schemas/dispute.schema.json): every record decided under the "
                                   "revision that governed it (a claim's tiers by its month's revision, its procedure by the "
                                   "revision in force when it was filed, each stated with its date), the verdict, how far it "
                                   "was from the next threshold, and every finding. --all-revisions decides the same dispute "
                                   "under every revision of the family (a what-if) and shows which outcome changes between "
                                   "revisions and which clause made it change.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit codes: 0 a verdict was given (whatever it is) · 2 bad bundle or usage")
    p.add_argument("dispute", metavar="DISPUTE", help="the dispute bundle (.yaml, .yml or .json)")
    add_record_options(p)
    p.add_argument("--all-revisions", action="store_true",
                   help="also decide the dispute under every revision of the family (what-if), as a table")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--receipt", metavar="OUT.json",
                   help="write a decision receipt (input, decision, policy/schema/engine hashes) for `sla verify`")
    p.add_argument("--sign-key", metavar="KEY",
                   help="sign the receipt with this Ed25519 private key (`sla keygen`); needs the `sign` extra")
    p.add_argument("-o", "--output", metavar="FILE", help="write the verdict to FILE (atomically) instead of standard output")
    add_log_option(p)


def io_paths(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """What this run reads and writes, for the collision check in `engine.cli`."""
    return ([("DISPUTE", args.dispute), ("--sign-key", args.sign_key)],
            [("-o", args.output), ("--receipt", args.receipt), ("--log", log_path(args))])


def what_if_banner(as_of: object) -> str:
    """The first line of a what-if replay's text: it is not the decision."""
    label = what_if_label(as_of)
    return f"WHAT-IF ({label}): not the decision; every record decided under one revision\n" if label else ""


def run(args: argparse.Namespace, io: Streams) -> int:
    if args.all_revisions and args.as_of:
        raise UsageError("sla replay: --all-revisions and --as-of cannot be combined (--all-revisions already uses each revision's date)")
    if args.sign_key and not args.receipt:
        raise UsageError("sla replay: --sign-key signs a receipt; give --receipt OUT.json too")
    if log_path(args) is not None:
        decisionlog.check_path(log_path(args))  # type: ignore[arg-type]
    api = engine(args)
    bundle, family = bundle_and_family(args, api)
    opts = options(args, bundle)
    what_if = all_revisions(bundle, family, opts) if args.all_revisions else None
    verdict = what_if.actual if what_if else api.replay(bundle, policy=family.name, now=opts.now, as_of=opts.as_of, lang=args.lang)
    if args.format == "json":
        data = verdict.output_json()
        if what_if is not None:
            data["all_revisions"] = what_if.to_json()
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        text = what_if_banner(opts.as_of) + render_verdict(verdict, args.lang)
        if what_if is not None:
            text += "\n" + render_what_if(what_if, args.lang)
    if args.receipt:
        write_atomic(args.receipt, json.dumps(api.receipt(verdict, sign_key=args.sign_key), ensure_ascii=False, indent=2,
                                              sort_keys=True) + "\n")
    log = open_log(args, NAME, bundle.title, bundle.sha256, what_if=what_if_label(opts.as_of))
    for decision in verdict.decisions:
        log.add(decision, bundle.file)
    log.commit()
    if args.output:
        write_atomic(args.output, text)
    else:
        io.stdout.write(text)
    return EXIT_OK
