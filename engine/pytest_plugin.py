"""pytest plugin: every policy test file (`policies/FAMILY/tests/*.yaml`) becomes a pytest
file with one item per test, so `pytest` runs the tests legal/ops wrote, as `sla test` does.

Only YAML files in a `tests` folder of a policy family folder (one holding revision files
named by date, e.g. 2024-04-24.yaml) are collected; revision files never are. A failure
reads `FILE:LINE / test name / what differed`, with expected, actual and the clause.

Loaded by the `pytest11` entry point `sla_policies` when the package is installed, and by
`-p engine.pytest_plugin` (this repository's pytest addopts, which also blocks the entry
point so the module is never registered twice).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine.errors import SlaError
from engine.policy.family import Family
from engine.policy.testing import (
    FamilyResolver,
    InvalidTestFile,
    PolicyTest,
    PolicyTestResult,
    check_with_family,
    format_failure,
    is_policy_test_path,
    load_test_file,
    run_test,
)

_RESOLVER = pytest.StashKey[FamilyResolver]()
_NOW = pytest.StashKey[datetime]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESOLVER] = FamilyResolver()  # each file's family is the one it sits in
    config.stash[_NOW] = datetime.now(timezone.utc)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> "PolicyTestYamlFile | None":
    if is_policy_test_path(file_path):
        return PolicyTestYamlFile.from_parent(parent, path=file_path)
    return None


class PolicyTestFailed(Exception):
    def __init__(self, result: PolicyTestResult):
        self.result = result
        super().__init__(format_failure(result))


class PolicyTestYamlFile(pytest.File):
    """A policy test file; an invalid one is a collection error listing every problem."""

    def collect(self) -> Iterator["PolicyTestItem"]:
        test_file = load_test_file(self.path, self._shown())
        family = self.config.stash[_RESOLVER].family_for(test_file)
        problems = check_with_family(test_file, family)
        if problems:
            raise InvalidTestFile(problems)
        for test in test_file.tests:
            yield PolicyTestItem.from_parent(self, name=test.name, test=test, family=family)

    def _shown(self) -> str:
        try:
            return str(self.path.relative_to(self.config.rootpath))
        except ValueError:
            return str(self.path)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, SlaError):
            return "\n".join(p.render() for p in excinfo.value.problems)
        return super().repr_failure(excinfo, style)


class PolicyTestItem(pytest.Item):
    """One test of a policy test file."""

    def __init__(self, *, test: PolicyTest, family: Family, **kwargs: Any):
        super().__init__(**kwargs)
        self.test = test
        self.family = family

    def runtest(self) -> None:
        result = run_test(self.test, self.family, self.config.stash[_NOW])
        if not result.passed:
            raise PolicyTestFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, PolicyTestFailed):
            result = excinfo.value.result
            keys = ", ".join(m.key for m in result.mismatches)
            head = f"{self.test.where} / {self.test.name} / {len(result.mismatches)} difference(s): {keys}"
            return head + "\n" + format_failure(result, header=False).rstrip()
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.test.line - 1) if self.test.line else None, f"policy test: {self.test.name}"
