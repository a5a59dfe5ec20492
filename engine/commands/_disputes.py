"""What `sla replay` and `sla report` share: reading the bundle, choosing the
policy family, and the options a replay runs with."""

from __future__ import annotations

import argparse

from engine.disputes.bundle import Bundle, BundleError, load_bundle
from engine.errors import Problem, UsageError
from engine.core.evaluate import Options
from engine.policy.family import Family
from engine.api import Engine
from engine.commands._common import as_of, engine, family, now


def bundle_and_family(args: argparse.Namespace, loaded: Engine | None = None) -> tuple[Bundle, Family]:
    """The bundle, and the family it names (`policy:`), or --policy, or the only one
    (of `loaded`, or of --policies)."""
    bundle = load_bundle(args.dispute)
    if bundle.policy is None:
        return bundle, family(args, loaded)
    if args.policy and args.policy != bundle.policy:
        raise UsageError(f"--policy {args.policy} contradicts the bundle's policy {bundle.policy!r}")
    found = (loaded or engine(args)).families
    if bundle.policy not in found:
        raise BundleError([Problem(f"no policy family {bundle.policy!r}; have {', '.join(found)}", file=bundle.file,
                                   line=bundle.line_of("policy"), path=("policy",))])
    return bundle, found[bundle.policy]


def options(args: argparse.Namespace, bundle: Bundle) -> Options:
    """--now wins over the bundle's `now`, which wins over the current time."""
    instant = now(args.now) if args.now else (bundle.now or now(None))
    return Options(now=instant, as_of=as_of(args.as_of), lang=args.lang)
