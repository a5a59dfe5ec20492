"""`sla test`: the YAML policy tests (see `engine.policytest`)."""

from __future__ import annotations

import argparse

from engine.policy import testing as policytest
from engine.policy import testreport
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
    p.add_argument("--format", choices=("text", "junit", "json"), default="text",
                   help="text for people (default), junit (JUnit XML) or json for CI, on standard output")
    p.add_argument("--coverage", action="store_true",
                   help="also report which rule outcomes no test reaches (each outcome of each rule of each "
                        "revision the tests ran against)")
    p.add_argument("--backend", choices=("row", "duckdb", "spark"), default="row",
                   help="also decide each test's record with the policy compiled to SQL on DuckDB or Spark, as "
                        "sla check --backend does; a decision that differs from the row engine's in any field fails "
                        "the test. Records the SQL leaves to the row engine are counted on standard error, with why "
                        "(needs the columnar extra; spark also the spark extra and Java)")


def run(args: argparse.Namespace, io: Streams) -> int:
    result = policytest.run_tests(args.paths, args.policies, explain=args.coverage)
    if args.backend != "row":
        from engine.columnar.policytests import check_backend  # DuckDB, Arrow and Spark load only when asked for

        io.stderr.write(check_backend(result, args.backend).line() + "\n")
    cover = testreport.coverage(result) if args.coverage else None
    if args.format == "junit":
        testreport.write_junit(result, io.stdout)
        for problem in result.invalid:
            io.stderr.write(problem.render() + "\n")
    elif args.format == "json":
        testreport.write_json(result, io.stdout, cover)
    else:
        policytest.write_text(result, io.stdout, io.stderr, verbose=args.verbose)
    if cover is not None and args.format != "json":
        (io.stdout if args.format == "text" else io.stderr).write(cover.render())
    return result.exit_code
