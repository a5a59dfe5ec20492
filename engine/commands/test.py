"""`sla test`: the YAML policy tests (see `engine.policytest`)."""

from __future__ import annotations

import argparse

from engine.policy import testing as policytest
from engine.commands._common import Streams, add_policies_option

NAME, ORDER = "test", 70


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="run the policy tests written in YAML",
                       description="Run policy tests written in YAML next to the policies "
                                   "(policies/FAMILY/tests/*.yaml): each names a record and the outcome expected. "
                                   "A failure prints file:line, the test's name, expected and actual, and the clause "
                                   "involved. Exit 0 all pass, 1 some failed, 2 a test file is invalid.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="test files, tests/ folders or policy roots (default: every FAMILY/tests/*.yaml under --policies)")
    add_policies_option(p)
    p.add_argument("-v", "--verbose", action="store_true", help="list passing tests too")


def run(args: argparse.Namespace, io: Streams) -> int:
    return policytest.run_command(args.paths, args.policies, io.stdout, io.stderr, verbose=args.verbose)
