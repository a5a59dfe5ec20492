"""`sla lint`: validation plus the semantic checks of `engine.lint`."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.policy.lint import lint_paths
from engine.commands._common import EXIT_FINDINGS, EXIT_OK, Streams, add_policies_option, policy_root

NAME, ORDER = "lint", 30


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="validate policies and check that they make sense",
                       description="Everything validate checks, plus semantic checks: tiers that overlap, credits that do "
                                   "not rise as uptime falls, thresholds outside 0-100, unknown or duplicate clause ids, "
                                   "rules naming unknown fields, facts, params, severities or channels, revisions whose "
                                   "effective dates are equal or out of order, dates that are not real dates, unknown keys "
                                   "(with a did-you-mean). Prints FILE:LINE: path: message for each; exit 1 if any.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="policy files or folders (default: the policy root: --policies, $SLA_POLICIES, "
                        "a policies/ folder here or above, the bundled policies)")
    add_policies_option(p)


def run(args: argparse.Namespace, io: Streams) -> int:
    problems, count = lint_paths([Path(p) for p in args.paths] or [policy_root(args).path])
    for problem in problems:
        print(problem.render(), file=io.stdout)
    if problems:
        print(f"{len(problems)} problem(s) in {count} revision file(s)", file=io.stderr)
        return EXIT_FINDINGS
    print(f"ok: {count} policy revision(s) lint clean", file=io.stdout)
    return EXIT_OK
