"""Where the bundled policies and schemas are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # the `engine` package


def _bundled(name: str) -> Path:
    """A wheel carries the folder inside the package; a checkout has it beside it."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def policies_dir() -> Path:
    """The bundled `policies/` folder."""
    return _bundled("policies")


def schemas_dir() -> Path:
    """The bundled `schemas/` folder."""
    return _bundled("schemas")


def mappings_dir() -> Path:
    """The bundled `mappings/` folder (column mappings for `sla check`)."""
    return _bundled("mappings")
