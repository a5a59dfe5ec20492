"""Importing the core opens no file: schemas, policies and jsonschema's own
metaschemas are read on first use, so a process that only imports the engine
(a CLI answering --help, a service starting) pays nothing and cannot fail on I/O."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

# Run in a fresh interpreter: in this one the modules are imported already.
# Every `open` audit event that is not Python loading a module is recorded.
PROBE = """
import importlib.machinery, json, sys
MODULES = tuple(importlib.machinery.all_suffixes()) + (".pyc",)
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        name = args[0] if isinstance(args[0], str) else args[0].decode()
        if not name.endswith(MODULES):
            opened.append(name)
sys.addaudithook(hook)
import {module}
print(json.dumps(opened))
"""


def opened_by_importing(module: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_importing_the_core_evaluator_opens_no_file():
    assert opened_by_importing("engine.core.evaluate") == []


def test_importing_the_public_api_opens_no_file():
    assert opened_by_importing("engine.api") == []


def test_the_probe_sees_a_file_opened_at_import():
    # The probe itself can fail: a module that reads a schema when imported is caught.
    opened = opened_by_importing("engine.io.schemas; engine.io.schemas.schema('policy.schema.json')")
    assert any(name.endswith("policy.schema.json") for name in opened)
