"""The reliability harness shared by test_fuzz.py and test_hostile.py.

One place lists every command that reads records or policies, and how to give
it a file; the fuzz and hostile-input tests run each input through all of
them. A command added later (replay, report, log, check, watch, ...) joins by
adding one entry to RECORD_COMMANDS or POLICY_COMMANDS (and, if it writes an
output file, to OUTPUT_WRITERS; if it keeps a durable store, to DURABLE_STORES).

What "clean" means (README, Exit codes): exit 0, 1 or 2, never 3; no
traceback; every error line names its file (`FILE:LINE: ...` where there is a
line); bad input without --keep-going prints nothing on standard output.
"""

from __future__ import annotations

import copy
import json
import os
import re
import resource
import signal
import subprocess
import tempfile
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from conftest import ROOT, Run, run_cli

NOW = "2031-01-01T00:00:00Z"
BUNDLED = ROOT / "policies"
FAMILY = "genesys-cloud"

# ---------------------------------------------------------------- commands that read records

# name -> argv for `sla` given record files. Each must be clean on any input.
RECORD_COMMANDS: dict[str, Callable[[list[str]], list[str]]] = {
    "evaluate": lambda files: ["evaluate", *files, "--now", NOW, "--format", "json"],
    "evaluate --keep-going": lambda files: ["evaluate", *files, "--now", NOW, "--format", "jsonl", "--keep-going"],
    "explain": lambda files: ["explain", *files, "--now", NOW],
}

# ---------------------------------------------------------------- commands that read policies

# name -> argv given (a policy root holding the family folder, one revision file
# in it, another revision file of the same family, a valid record file).
POLICY_COMMANDS: dict[str, Callable[[Path, Path, Path, Path], list[str]]] = {
    "validate": lambda root, rev, other, records: ["validate", str(rev)],
    "lint": lambda root, rev, other, records: ["lint", str(rev)],
    "diff": lambda root, rev, other, records: ["diff", str(other), str(rev)],
    "versions": lambda root, rev, other, records: ["versions", "--policies", str(root)],
    "evaluate --policies": lambda root, rev, other, records: ["evaluate", str(records), "--policies", str(root), "--now", NOW,
                                                              "--format", "json"],
    "explain --policies": lambda root, rev, other, records: ["explain", str(records), "--policies", str(root), "--now", NOW],
    "test --policies": lambda root, rev, other, records: ["test", "--policies", str(root)],
}

# Commands whose policy problems are findings (exit 1), not bad input (exit 2).
POLICY_CHECKERS = {"validate", "lint"}

# ---------------------------------------------------------------- commands that write files

# name -> argv given an input file and the output file it must write atomically.
OUTPUT_WRITERS: dict[str, Callable[[Path, Path], list[str]]] = {
    "evaluate -o": lambda records, out: ["evaluate", str(records), "-o", str(out), "--now", NOW, "--format", "jsonl"],
}

# Durable stores that must keep every committed run whole through `kill -9` and
# under 4 concurrent writers (tests/test_atomic_outputs.py), as name -> (argv
# given an input file and the store's path, a function that reads the store and
# returns the record ids committed to it). `replay --log` can join the same way.
def _decision_log_ids(store: Path) -> list[str]:
    if not store.exists():
        return []
    run = run_cli("log", str(store), "--format", "json")
    assert run.code == 0, run.err
    return [entry["record_id"] for entry in json.loads(run.out)]


DURABLE_STORES: dict[str, tuple[Callable[[Path, Path], list[str]], Callable[[Path], list[str]]]] = {
    "decision log (evaluate --log)": (
        lambda records, store: ["evaluate", str(records), "--now", NOW, "--format", "jsonl", f"--log={store}"],
        _decision_log_ids,
    ),
}


# ---------------------------------------------------------------- what a clean run looks like

SUMMARY = re.compile(r"^\d+ of \d+ record\(s\) rejected(, \d+ evaluated|; nothing was written.*)$"
                     r"|^\d+ problem\(s\)( in \d+ revision file\(s\)| in test files; those files were not run)?$")


def problem_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line and not SUMMARY.match(line)]


def assert_clean(run: Run, what: str, codes: tuple[int, ...] = (0, 1, 2), files: tuple[str, ...] = ()) -> None:
    """Exit code in `codes`, no traceback, no internal error; with `files`,
    every error line names one of them (as `FILE:LINE: ` or `FILE: `)."""
    assert "Traceback" not in run.err and "internal error" not in run.err, f"{what}: {run.err[-2000:]}"
    assert run.code in codes, f"{what}: exit {run.code}\n{run.err[-2000:]}"
    if files and run.code == 2:
        for line in problem_lines(run.err):
            assert any(line.startswith(f + ":") for f in files) or line.startswith("sla"), f"{what}: {line!r} names no file"


def sla(*args: str, stdin: str = "") -> Run:
    return run_cli(*args, stdin=stdin)


# ---------------------------------------------------------------- subprocesses with limits

@dataclass
class Finished:
    code: int
    out: bytes
    err: bytes
    seconds: float
    max_rss_mb: float

    @property
    def text(self) -> str:
        return self.err.decode("utf-8", "replace")


def limit_memory(megabytes: int) -> Callable[[], None]:
    """A preexec_fn capping the child's address space (RLIMIT_AS)."""
    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


# `python -m engine` that, as it exits, writes its own peak RSS (VmHWM of its own
# memory) to the file $SLA_TEST_HWM names. wait4's ru_maxrss cannot be used for the
# peak: Linux carries the high-water mark across fork and exec, so a child forked
# from a large pytest process reports at least pytest's own size.
_MEASURED = """
import atexit, os, sys
def _hwm():
    with open("/proc/self/status") as status, open(os.environ["SLA_TEST_HWM"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(_hwm)
sys.argv[0] = "sla"
from engine.cli import main
sys.exit(main())
"""


def run_engine(args: list[str], *, timeout: float, memory_mb: int | None = None, stdin: bytes | None = None,
               stdin_file: Path | None = None, cwd: Path = ROOT, kill_after: float | None = None) -> Finished:
    """`python3 -m engine ARGS` in a child process, with a time limit, an
    optional memory limit, and the child's own peak RSS (its VmHWM at exit; from
    wait4 when it was killed before it could say). Standard
    input is `stdin` (bytes) or the file `stdin_file`. With `kill_after`, the
    child is sent SIGKILL after that many seconds."""
    hwm_file = Path(tempfile.mkstemp(prefix="sla-hwm-")[1])
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT), "SLA_TEST_HWM": str(hwm_file)}
    env.pop("SLA_DEBUG", None)
    with _Capture() as capture, open(stdin_file or os.devnull, "rb") as given:
        proc = subprocess.Popen([sys.executable, "-c", _MEASURED, *args], cwd=cwd, env=env,
                                stdin=subprocess.PIPE if stdin is not None else given,
                                stdout=capture.out, stderr=capture.err,
                                preexec_fn=limit_memory(memory_mb) if memory_mb else None)
        start = time.monotonic()
        if stdin is not None:
            try:
                proc.stdin.write(stdin)  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
        deadline = start + (kill_after if kill_after is not None else timeout)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                if kill_after is None:
                    raise AssertionError(f"sla {' '.join(args)} did not finish within {timeout} s")
                break
            time.sleep(0.01)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        own = hwm_file.read_text() if hwm_file.exists() else ""
        hwm_file.unlink(missing_ok=True)
        peak_kb = int(own) if own.strip().isdigit() else usage.ru_maxrss
        return Finished(proc.returncode, capture.read_out(), capture.read_err(), seconds, peak_kb / 1024)


class _Capture:
    """Standard output and error of a child, in temporary files (no pipe can fill up)."""

    def __enter__(self) -> "_Capture":
        import tempfile

        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        return self

    def read_out(self) -> bytes:
        self.out.seek(0)
        return self.out.read()

    def read_err(self) -> bytes:
        self.err.seek(0)
        return self.err.read()

    def __exit__(self, *exc: object) -> None:
        self.out.close()
        self.err.close()


# ---------------------------------------------------------------- schemas as one document

def record_schemas() -> dict[str, dict[str, Any]]:
    """Each record type's schema with every `$ref` replaced by what it points
    to, so a generator that does not fetch references can read it."""
    by_id = {}
    for path in sorted((ROOT / "schemas" / "records").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        by_id[schema["$id"]] = schema
    out = {}
    for schema in by_id.values():
        if "type" in schema:
            out[schema["properties"]["type"]["const"]] = _inline(schema, schema["$id"], by_id)
    return out


def _inline(node: Any, base: str, by_id: dict[str, dict[str, Any]]) -> Any:
    if isinstance(node, list):
        return [_inline(item, base, by_id) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        file, _, pointer = node["$ref"].partition("#")
        doc = by_id[base.rsplit("/", 1)[0] + "/" + file] if file else by_id[base]
        target: Any = doc
        for part in pointer.strip("/").split("/"):
            if part:
                target = target[part]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _inline({**copy.deepcopy(target), **rest}, doc["$id"], by_id)
    return {k: _inline(v, base, by_id) for k, v in node.items() if k not in ("$schema", "$id", "$defs", "title", "description")}
