"""Hypothesis profiles for the property and fuzz tests.

- `ci` (the default): a fixed seed (derandomize) and a bounded number of
  examples per test, so a run is reproducible and the property and fuzz tests
  together stay well under three minutes on two cores.
- `thorough`: many more examples, random seeds and no deadline, for a deeper
  search before a release: `python -m pytest tests/test_properties.py
  tests/test_fuzz.py --hypothesis-profile=thorough`.

Pytest loads the profile named by `--hypothesis-profile` while it configures
itself, before any test module is imported, so the profiles are registered by
the repository's root `conftest.py` (which imports this module); the test
modules import it too, so running one of them alone gets the same profiles.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

CI, THOROUGH = "ci", "thorough"
THOROUGH_FACTOR = 25  # how many times more examples the thorough profile tries

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(CI, max_examples=60, deadline=None, derandomize=True, database=None,
                          print_blob=True, suppress_health_check=_QUIET)
settings.register_profile(THOROUGH, max_examples=60 * THOROUGH_FACTOR, deadline=None, derandomize=False,
                          print_blob=True, suppress_health_check=_QUIET)

if settings.get_current_profile_name() == "default":  # nothing chosen on the command line
    settings.load_profile(CI)


def examples(n: int) -> settings:
    """Settings for a test that tries `n` examples under `ci`, and THOROUGH_FACTOR
    times as many under `thorough` (a per-test count would otherwise override
    the profile's)."""
    current = settings.get_current_profile_name()
    factor = THOROUGH_FACTOR if current == THOROUGH else 1
    return settings(settings.get_profile(current), max_examples=n * factor)
