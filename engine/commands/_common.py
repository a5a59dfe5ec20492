"""What several commands share: streams, options, the policy family, times."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TextIO

from engine.api import Engine
from engine.errors import UsageError
from engine.io.resources import policies_dir
from engine.policy.family import Family, load_policies
from engine.timeutil import TimeFormatError, parse_date, parse_instant

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass(frozen=True)
class Streams:
    stdin: TextIO
    stdout: TextIO
    stderr: TextIO


def add_policies_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policies", metavar="DIR", type=Path,
                   help="policy folder, one subfolder per family (default: the bundled policies/)")


def add_record_options(p: argparse.ArgumentParser) -> None:
    """Options of every command that evaluates records."""
    p.add_argument("--as-of", metavar="DATE", help="evaluate everything under the revision in force on DATE (YYYY-MM-DD)")
    p.add_argument("--now", metavar="INSTANT",
                   help="the current time, for pending response clocks (RFC 3339 with offset; default: now)")
    add_policies_option(p)
    p.add_argument("--policy", metavar="FAMILY", help="the policy family (default: the only one in --policies)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages and clause quotes (default: en)")


def engine(args: argparse.Namespace) -> Engine:
    """The public API's Engine over --policies (default: the bundled policies), as
    `Engine.load` makes it (loaded through this module's `load_policies`, which the
    fuzz tests cache)."""
    root = args.policies or policies_dir()
    return Engine(families=load_policies(root), root=root)


def families(args: argparse.Namespace) -> dict[str, Family]:
    return dict(engine(args).families)


def family(args: argparse.Namespace, loaded: Engine | None = None) -> Family:
    """The family named by --policy, or the only one there is (of `loaded`, or of --policies)."""
    found = (loaded or engine(args)).families
    if args.policy:
        if args.policy not in found:
            raise UsageError(f"no policy family {args.policy!r}; have {', '.join(found)}")
        return found[args.policy]
    if len(found) > 1:
        raise UsageError(f"several policy families ({', '.join(found)}); choose one with --policy")
    return next(iter(found.values()))


def now(text: str | None) -> datetime:
    """--now, or the current time."""
    if text is None:
        return datetime.now(timezone.utc)
    try:
        return parse_instant(text)
    except TimeFormatError as exc:
        raise UsageError(f"--now: {exc}") from None


def as_of(text: str | None) -> date | None:
    """--as-of, when given."""
    if text is None:
        return None
    try:
        return parse_date(text)
    except TimeFormatError as exc:
        raise UsageError(f"--as-of: {exc}") from None
