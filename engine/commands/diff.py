"""`sla diff`: what changed between two revisions (see `engine.diff`)."""

from __future__ import annotations

import argparse

from engine.policy import diff
from engine.commands._common import Streams, add_policies_option

NAME, ORDER = "diff", 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="what changed between two revisions, as a lawyer reads it",
                       description="Show what changed between two policy revisions: parameters, tiers, windows, "
                                   "requirements, rules and clause texts added, removed or changed, each with the clause "
                                   "it belongs to, next to the SLA's own change log. Exit 0 when a diff was printed "
                                   "(even an empty one), 2 for an unknown family, revision or file.")
    p.add_argument("operands", nargs="+", metavar="ARG", help="FAMILY REV_A REV_B, or FILE_A FILE_B")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of labels and values (default: en)")
    add_policies_option(p)


def run(args: argparse.Namespace, io: Streams) -> int:
    return diff.run(args.operands, args.format, args.lang, args.policies, io.stdout, io.stderr)
