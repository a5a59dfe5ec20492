"""Pytest reads this before it configures its plugins: it registers the
Hypothesis profiles of tests/hypothesis_profiles.py early enough for
`--hypothesis-profile=thorough` to name one (tests/conftest.py holds the
shared test helpers)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if "hypothesis_profiles" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("hypothesis_profiles", Path(__file__).parent / "tests" / "hypothesis_profiles.py")
    assert _spec is not None and _spec.loader is not None
    sys.modules["hypothesis_profiles"] = _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
