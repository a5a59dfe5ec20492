"""`sla serve`: the engine as an HTTP service (needs the `serve` extra: Starlette and uvicorn)."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from engine.commands._common import Streams, add_policies_option
from engine.errors import UsageError

NAME, ORDER = "serve", 90


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="run the engine as an HTTP service (JSON in and out)",
                       description="Serve the engine over HTTP: POST /v1/evaluate, /v1/replay, /v1/verify; GET /v1/policies "
                                   "(and /{family}/{revision}, /{family}/diff); POST /v1/admin/reload (or SIGHUP) to reload "
                                   "the policies atomically; /health, /ready, /metrics (Prometheus), /openapi.json and /docs. "
                                   "Needs: pip install 'sla-engine[serve]'.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="The address is printed on standard error once bound. SIGTERM stops gracefully: requests in "
                              "flight are finished first.\n\nexit codes: 0 stopped · 2 bad options, invalid policies or "
                              "the serve extra missing · 3 a worker could not start")
    add_policies_option(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8080, help="TCP port (default: 8080; 0 picks a free one)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--token-file", metavar="FILE",
                   help="a bearer token (first line of FILE) that the admin endpoints then require")
    p.add_argument("--log", metavar="PATH",
                   help="log every decision with its request id: to the SQLite decision log at PATH (read it with "
                        "`sla log PATH --command serve`), or '-' for one JSON line per decision on standard output")
    p.add_argument("--max-body-bytes", type=int, default=32 * 1024 * 1024, metavar="N",
                   help="largest request body accepted, else 413 (default: 32 MiB)")
    p.add_argument("--max-records", type=int, default=10_000, metavar="N",
                   help="most records in one /v1/evaluate request, else 413 (default: 10000)")
    p.add_argument("--graceful-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="on SIGTERM, how long requests in flight may take to finish (default: 30)")
    p.add_argument("--access-log", action="store_true", help="log every request on standard error")


def io_paths(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """What the service reads and writes, for the collision check in `engine.cli`: the
    decision log (not `-`, standard output) must not be the token file."""
    log = args.log if args.log not in (None, "-") else None
    return [("--token-file", args.token_file)], [("--log", log)]


def run(args: argparse.Namespace, io: Streams) -> int:
    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"sla serve needs {' and '.join(missing)}: pip install 'sla-engine[serve]'")
    for name in ("workers", "max_body_bytes", "max_records"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be 1 or more")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be between 0 and 65535")
    from engine.serve import auth, server
    from engine.serve.app import Settings
    from engine.serve.sink import open_sink
    from engine.serve.state import load_snapshot

    token = auth.read_token(Path(args.token_file)) if args.token_file else None
    open_sink(args.log)  # a bad --log path is a usage error now, not at the first decision
    snapshot = load_snapshot(args.policies)  # invalid policies: PolicyError, exit 2, the server never starts
    settings = Settings(policies=args.policies, token=token, max_body_bytes=args.max_body_bytes,
                        max_records=args.max_records, log=args.log)
    listen = server.Listen(args.host, args.port, args.workers, args.graceful_timeout, args.access_log)
    try:
        return server.run(settings, listen, snapshot, io.stderr)
    except OSError as exc:
        raise UsageError(f"sla serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
