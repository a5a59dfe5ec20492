"""`sla explain`: each decision as a readable trace."""

from __future__ import annotations

import argparse

from ..batch import evaluate_files
from ..evaluate import Options
from ..explain import explain
from ._common import EXIT_INPUT, EXIT_OK, Streams, add_record_options, as_of, family, now

NAME, ORDER = "explain", 50


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="show why each record was decided as it was",
                       description="For each record, the decision as a readable trace: which revision governed and why "
                                   "(its effective date against the record's date), every derived fact with its arithmetic "
                                   "(A, B, C, uptime, the tier chosen and the tier rows skipped), each rule's outcomes as "
                                   "tried, and the clause quoted. Wording and clause texts come from the policy YAML.")
    p.add_argument("files", nargs="+", metavar="FILE", help="record files, as for evaluate")
    add_record_options(p)


def run(args: argparse.Namespace, io: Streams) -> int:
    options = Options(now=now(args.now), as_of=as_of(args.as_of), lang=args.lang, explain=True)
    fam = family(args)
    batch = evaluate_files(args.files, fam, options, io.stdin)
    if batch.rejected:
        for problem in batch.problems:
            print(problem.render(), file=io.stderr)
        return EXIT_INPUT
    io.stdout.write("\n".join(explain(d, fam, args.lang) for d in batch.decisions))
    return EXIT_OK
