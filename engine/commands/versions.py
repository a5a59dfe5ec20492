"""`sla versions`: each policy family's revisions, with the sha256 of each file."""

from __future__ import annotations

import argparse
import json

from engine.commands._common import EXIT_OK, Streams, add_policies_option, families

NAME, ORDER = "versions", 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="list each policy family's revisions",
                       description="List every revision of every policy family: effective date, title and the sha256 of its file.")
    add_policies_option(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


def run(args: argparse.Namespace, io: Streams) -> int:
    rows = [
        {"policy": f.name, "revision": r.revision, "effective": r.effective.isoformat(),
         "title": r.data["title"]["en"], "file": r.path.name, "sha256": r.sha256}
        for f in families(args).values() for r in f.revisions
    ]
    if args.format == "json":
        io.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    keys = ("policy", "revision", "effective", "title", "sha256")
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in keys}
    io.stdout.write("  ".join(k.upper().ljust(widths[k]) for k in keys).rstrip() + "\n")
    for row in rows:
        io.stdout.write("  ".join(row[k].ljust(widths[k]) for k in keys).rstrip() + "\n")
    return EXIT_OK
