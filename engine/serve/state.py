"""The policies a server answers with: one immutable snapshot, swapped whole.

A request takes `holder.current` once and uses only that snapshot, so it sees the
old set or the new set, never a mix. `reload()` builds a complete new snapshot
first (load, validate, compile, read the files' texts); only when all of that
succeeds is it swapped in, by one attribute assignment. An invalid new set raises
and the old snapshot keeps serving.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from engine.api import Engine
from engine.errors import PolicyError, Problem
from engine.timeutil import iso


@dataclass(frozen=True)
class Snapshot:
    """A loaded Engine and the bytes of every policy file it was built from."""

    engine: Engine
    texts: Mapping[tuple[str, str], bytes]  # (family, revision) -> the file as loaded
    loaded_at: str

    @property
    def fingerprint(self) -> tuple[tuple[str, str, str], ...]:
        """(family, revision, sha256) of every file: equal fingerprints, equal policies."""
        return tuple((f.name, r.revision, r.sha256) for f in self.engine.families.values() for r in f.revisions)


LOAD_ATTEMPTS = 3  # a file being rewritten while it is loaded: load again, a few times


class _Changed(PolicyError):
    """A policy file changed between its load and the read of its text."""


def load_snapshot(root: Path | None) -> Snapshot:
    """Load and compile the policies under `root` (default: bundled) and keep each file's
    bytes. Raises PolicyError when a policy is invalid, or when the files kept changing
    under the load (LOAD_ATTEMPTS times)."""
    for attempt in range(1, LOAD_ATTEMPTS + 1):
        try:
            return _load(root)
        except _Changed:
            if attempt == LOAD_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _load(root: Path | None) -> Snapshot:
    engine = Engine.load(root)
    texts: dict[tuple[str, str], bytes] = {}
    for family in engine.families.values():
        for revision in family.revisions:
            try:
                data = revision.path.read_bytes()
            except OSError as exc:
                raise PolicyError([Problem(f"cannot read: {exc.strerror or exc}", file=str(revision.path))]) from None
            if hashlib.sha256(data).hexdigest() != revision.sha256:
                raise _Changed([Problem(f"the file kept changing while the policies were loading "
                                        f"({LOAD_ATTEMPTS} attempts); reload again", file=str(revision.path))])
            texts[(family.name, revision.revision)] = data
    return Snapshot(engine, texts, iso(datetime.now(timezone.utc)))


@dataclass(frozen=True)
class ReloadResult:
    changed: bool
    snapshot: Snapshot


class Holder:
    """The current snapshot, and reloads of it one at a time."""

    def __init__(self, root: Path | None, snapshot: Snapshot):
        self.root = root
        self.current = snapshot
        self._lock = threading.Lock()
        self.reloads = {"ok": 0, "unchanged": 0, "refused": 0}

    def reload(self) -> ReloadResult:
        """Load the policy folder again and swap it in; raises PolicyError (keeping the
        current snapshot) when the new set is invalid."""
        with self._lock:
            try:
                fresh = load_snapshot(self.root)
            except PolicyError:
                self.reloads["refused"] += 1
                raise
            if fresh.fingerprint == self.current.fingerprint:
                self.reloads["unchanged"] += 1
                return ReloadResult(False, self.current)
            self.current = fresh
            self.reloads["ok"] += 1
            return ReloadResult(True, fresh)
