"""`sla explain`: each decision as a readable trace.

Traces are streamed to a spool on disk as records are decided and printed only
when every record could be decided (bad input prints nothing), so memory does
not grow with the input."""

from __future__ import annotations

import argparse

from engine.io.atomic import Spool
from engine.batch import Rejected, Tally, decide_files
from engine.core.evaluate import Options
from engine.render.explain import explain
from engine.commands._common import EXIT_INPUT, EXIT_OK, Streams, add_record_options, as_of, family, now

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
    tally = Tally()
    with Spool() as spool:
        for item in decide_files(args.files, fam, options, io.stdin, tally):
            if isinstance(item, Rejected):
                for problem in item.problems:
                    print(problem.render(), file=io.stderr)
            elif not tally.rejected:  # once a record is rejected nothing will be printed
                spool.write(("\n" if tally.evaluated > 1 else "") + explain(item, fam, args.lang))
        if tally.rejected:
            return EXIT_INPUT
        spool.copy_to(io.stdout)
    return EXIT_OK
