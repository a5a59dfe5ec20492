"""`sla watch`: live response clocks with warnings, on durable-rules."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.errors import Problem, UsageError
from engine.commands._common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Streams, add_policies_option, family

NAME, ORDER = "watch", 100

DEFAULT_STATE = "sla-watch.state"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        NAME, help="live SLA clocks: warn before a response target is breached",
        description="Read case events as JSONL and keep every open case's response clock running under the\n"
                    "revision in force at its submission, on durable-rules. Writes one alert per line, flushed\n"
                    "as written: `warning` once the policy's response.warning_share of the target has passed\n"
                    "without a human response, `breached` when the target passes (at once for a case already\n"
                    "overdue when read), `met` when a human response arrives in time; each names the case,\n"
                    "severity, target, elapsed time, revision and clause. The verdicts are those\n"
                    "`sla evaluate` gives on the same events. See docs/watch.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="EVENTS lines: {\"type\": \"case_submitted\", \"case\": {CASE RECORD}} or {\"type\": T, \"case_id\": ID, "
               "\"at\": INSTANT, ...} with T one of automated_reply, human_response (via), severity_change (to), "
               "critical_support_request (via), case_closed.\n\n"
               "The state (open clocks, alerts written, how far EVENTS was read) is kept in a SQLite file, so a "
               "watcher that is killed resumes where it stopped when started again with the same arguments; it is "
               "removed when a watch without --follow finishes.\n\n"
               "exit codes: 0 finished, no breach · 1 a breached alert was written · 2 bad lines were reported "
               "(the watcher went on) or bad usage · 3 internal error")
    p.add_argument("events", nargs="?", default="-", metavar="EVENTS", help="JSONL event file, or - for standard input (default)")
    p.add_argument("-f", "--follow", action="store_true",
                   help="keep reading as EVENTS grows (like tail -F) and keep running until interrupted")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write alerts to FILE instead of standard output (a resumed watch appends to it)")
    p.add_argument("--state", metavar="FILE", type=Path,
                   help=f"the SQLite state file (default: FILE.state with -o FILE, else ./{DEFAULT_STATE})")
    p.add_argument("--fresh", action="store_true", help="discard a previous watch's state and start over")
    add_policies_option(p)
    p.add_argument("--policy", metavar="FAMILY", help="the policy family (default: the only one in --policies)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the alerts' messages (default: en)")


def run(args: argparse.Namespace, io: Streams) -> int:
    try:
        from engine.watch.runtime import require_durable
        require_durable()
    except ImportError as exc:
        raise UsageError([Problem(str(exc))]) from None
    from engine.watch.alerts import AlertWriter
    from engine.watch.reader import Reader
    from engine.watch.store import Store
    from engine.watch.watcher import Watcher, identity

    if args.events != "-" and not Path(args.events).is_file():
        raise UsageError([Problem("no such event file", file=args.events)])
    policy = family(args)
    state = args.state or Path(f"{args.output}.state" if args.output else DEFAULT_STATE)
    store = Store(state, fresh=args.fresh)
    finished = False
    try:
        store.bind(identity(args.events, args.output, policy))
        writer = AlertWriter(args.output, io.stdout, store.resumed, io.stderr)
        try:
            watcher = Watcher(policy, store, writer, io.stderr, "<stdin>" if args.events == "-" else args.events,
                              follow=args.follow, lang=args.lang)
            offset, lines = store.position()
            if store.resumed:
                watcher.resume()
            summary = watcher.run(Reader(args.events, io.stdin, args.follow, offset, lines))
        finally:
            writer.close()
        finished = not summary.stopped
    finally:
        if finished:
            store.finish()
        else:
            store.close()
    tail = "" if finished else f"; state kept in {state} (run the same command to resume)"
    print(f"sla watch: {summary.text()}{tail}", file=io.stderr)
    if summary.bad:
        return EXIT_INPUT
    return EXIT_FINDINGS if summary.breached else EXIT_OK
