"""One module per `sla` command. Each defines NAME, ORDER (its place in --help),
`register(subparsers)` and `run(args, streams) -> exit code`; `engine.cli` finds
them here, so adding a command never edits a shared file."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    """Every command module, in --help order."""
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    return sorted(modules, key=lambda m: (m.ORDER, m.NAME))
