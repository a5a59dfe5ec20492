"""Where the policies are: one discovery order for every command and for `engine.api`.

1. `--policies DIR` (or `Engine.load(DIR)`);
2. the environment variable `SLA_POLICIES`;
3. a `policies/` folder holding at least one family (FAMILY/*.yaml), in the current
   directory or the nearest parent, the way git finds `.git`;
4. the policies bundled with the engine.

Every "no such family/revision" message names the root it searched and how it was
chosen, and says how to choose another (`hint`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from engine.errors import Problem, UsageError
from engine.io.resources import policies_dir

ENV = "SLA_POLICIES"
FOLDER = "policies"

# How a root was chosen -> how a person reads it.
_HOW = {
    "option": "from --policies",
    "env": f"from ${ENV}",
    "found": "the policies/ folder found from the current directory",
    "beside": "the root the test file is in",
    "bundled": "the bundled policies",
}


@dataclass(frozen=True)
class PolicyRoot:
    """A policy folder (one subfolder per family) and how it was chosen:
    `option`, `env`, `found` or `bundled`."""

    path: Path
    how: str

    @property
    def described(self) -> str:
        """`policies/ (from --policies)`: where, and why there."""
        return f"{self.path} ({_HOW[self.how]})"

    @property
    def hint(self) -> str:
        """How to search another folder instead."""
        return f"searched {self.described}; choose another folder with --policies DIR or {ENV}=DIR"

    def identity(self) -> dict[str, Any]:
        """What a receipt records of the root: the bundled set, or the folder's absolute path."""
        if self.how == "bundled":
            return {"bundled": True, "path": None}
        return {"bundled": False, "path": str(self.path.resolve())}


def same_root(recorded: Mapping[str, Any] | None, current: Mapping[str, Any]) -> bool:
    """Whether a recorded root identity is the current one (an old receipt without one is)."""
    if not recorded:
        return True
    if recorded.get("bundled") or current.get("bundled"):
        return bool(recorded.get("bundled")) == bool(current.get("bundled"))
    return recorded.get("path") == current.get("path")


def has_family(folder: Path) -> bool:
    """A policy root: a folder with at least one subfolder holding revision files."""
    try:
        return folder.is_dir() and any(sub.is_dir() and any(sub.glob("*.yaml")) for sub in folder.iterdir())
    except OSError:
        return False


def find_root(explicit: str | Path | None = None, *, environ: Mapping[str, str] | None = None,
              cwd: Path | None = None) -> PolicyRoot:
    """The policy root, in the documented order. An explicit folder or $SLA_POLICIES that
    does not exist is a usage error (a typo should not silently fall back to another set)."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return _given(Path(explicit), "option", "--policies")
    if environ.get(ENV):
        return _given(Path(environ[ENV]), "env", ENV)
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / FOLDER
        if has_family(candidate):
            return PolicyRoot(_relative(candidate, here), "found")
    return PolicyRoot(policies_dir(), "bundled")


def root_of_families(families: Mapping[str, Any]) -> PolicyRoot | None:
    """The root a loaded set of families came from (the parent of a family's folder)."""
    for family in families.values():
        for revision in getattr(family, "revisions", ()):
            folder = revision.path.parent.parent
            bundled = folder.resolve() == policies_dir().resolve()
            return PolicyRoot(folder, "bundled" if bundled else "option")
    return None


def _given(path: Path, how: str, name: str) -> PolicyRoot:
    if not path.is_dir():
        raise UsageError([Problem(f"{name} {path}: no such policy folder (expected a folder with one subfolder per "
                                  f"policy family, e.g. policies/ holding genesys-cloud/2024-10-01.yaml)")])
    return PolicyRoot(path, how)


def _relative(path: Path, here: Path) -> Path:
    """`policies` rather than /long/absolute/policies when it is below the current directory."""
    try:
        return path.relative_to(here)
    except ValueError:
        return path
