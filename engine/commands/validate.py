"""`sla validate`: policy files against the schema and their own consistency."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.errors import PolicyError, Problem
from engine.policy.family import load_family_dir, load_policies, load_revision
from engine.commands._common import EXIT_FINDINGS, EXIT_OK, Streams, add_policies_option, policy_root

NAME, ORDER = "validate", 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="check policy files against the schema",
                       description="Check policy files against schemas/policy.schema.json and their own consistency "
                                   "(clause ids, channels, rule names). Prints every problem as FILE:LINE: path: message "
                                   "and exits 1 if there is any, 0 if all are valid.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="policy files or folders (default: the policy root: --policies, $SLA_POLICIES, "
                        "a policies/ folder here or above, the bundled policies)")
    add_policies_option(p)


def run(args: argparse.Namespace, io: Streams) -> int:
    problems: list[Problem] = []
    count = 0
    for name in args.paths or [str(policy_root(args).path)]:
        path = Path(name)
        try:
            if path.is_file():
                load_revision(path)
                count += 1
            elif any(path.glob("*.yaml")):
                count += len(load_family_dir(path).revisions)
            else:
                count += sum(len(f.revisions) for f in load_policies(path).values())
        except PolicyError as exc:
            problems += exc.problems
    for problem in problems:
        print(problem.render(), file=io.stdout)
    if problems:
        print(f"{len(problems)} problem(s)", file=io.stderr)
        return EXIT_FINDINGS
    print(f"ok: {count} policy revision(s) valid", file=io.stdout)
    return EXIT_OK
