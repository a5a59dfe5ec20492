"""Nothing lost, nothing half-written.

Every file a command writes (reliability_helpers.OUTPUT_WRITERS) appears whole
or not at all: a run killed with SIGKILL at random moments (seeded) leaves the
old file or the complete new one, and no temporary file behind. Every durable
store (DURABLE_STORES, e.g. the decision log) keeps each committed run whole
through a kill and under four concurrent writers.

The streamed writers produce byte for byte what the whole-list renderers did.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

import engine.io.atomic
from conftest import ROOT, case, claim, outage, run_cli, uptime
from engine.render.decisions import as_json, as_jsonl, as_table
from reliability_helpers import DURABLE_STORES, NOW, OUTPUT_WRITERS, run_engine

KILLS = 6  # runs killed per writer, at seeded random moments
RECORDS = 12_000  # about a second or two of evaluation on one core


def write_records(path: Path, count: int, prefix: str = "C") -> Path:
    line = json.dumps(case(id="%s-%07d")) + "\n"
    path.write_text("".join(line % (prefix, i) for i in range(count)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_records(tmp_path_factory.mktemp("kill") / "big.jsonl", RECORDS)


@pytest.mark.parametrize("writer", sorted(OUTPUT_WRITERS))
def test_a_run_killed_at_random_moments_leaves_the_old_output_or_the_complete_new_one(tmp_path, big, writer):
    argv = OUTPUT_WRITERS[writer]
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "decisions.jsonl"
    full = run_engine(argv(big, out), timeout=300)
    assert full.code in (0, 1), full.text
    complete = out.read_bytes()
    assert complete.count(b"\n") == RECORDS
    rng = random.Random(20240424)
    outcomes = []
    for _ in range(KILLS):
        out.write_bytes(b"OLD CONTENT\n")
        done = run_engine(argv(big, out), timeout=300, kill_after=rng.uniform(0.05, full.seconds * 1.1))
        now_there = out.read_bytes()
        assert now_there in (b"OLD CONTENT\n", complete), f"half-written output after a kill at {done.seconds:.2f} s"
        assert sorted(p.name for p in folder.iterdir()) == ["decisions.jsonl"], "a temporary file was left behind"
        outcomes.append("killed" if done.code == -9 else "finished")
    assert "killed" in outcomes, "no run was killed before it finished: the test proved nothing"
    out.unlink()
    done = run_engine(argv(big, out), timeout=300, kill_after=0.5)
    assert not out.exists() or out.read_bytes() == complete
    assert list(folder.iterdir()) in ([], [out])


def test_without_unnamed_files_the_named_temporary_is_renamed_and_removed(tmp_path, monkeypatch):
    """Where O_TMPFILE is missing, a hidden `.NAME.*.tmp` beside the target is used."""
    monkeypatch.delattr(engine.io.atomic.os, "O_TMPFILE", raising=False)
    records = write_records(tmp_path / "r.jsonl", 3)
    out = tmp_path / "out.jsonl"
    names = []
    real = os.replace
    monkeypatch.setattr(engine.io.atomic.os, "replace", lambda src, dst: (names.append(Path(src).name), real(src, dst))[1])
    run = run_cli("evaluate", str(records), "-o", str(out), "--now", NOW, "--format", "jsonl")
    assert run.code in (0, 1), run.err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    [name] = names
    assert name.startswith(".out.jsonl.") and name.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "r.jsonl"]


def test_an_interrupted_run_removes_its_temporary_and_keeps_the_old_output(tmp_path, monkeypatch):
    """Ctrl-C midway (KeyboardInterrupt in-process) discards the temporary file."""
    records = write_records(tmp_path / "r.jsonl", 50)
    out = tmp_path / "out.jsonl"
    out.write_text("OLD\n", encoding="utf-8")
    import engine.commands.evaluate as command

    calls = {"n": 0}
    real = command.DecisionWriter.add

    def interrupt(self: Any, decision: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 20:
            raise KeyboardInterrupt
        real(self, decision)

    monkeypatch.setattr(command.DecisionWriter, "add", interrupt)
    monkeypatch.delattr(engine.io.atomic.os, "O_TMPFILE", raising=False)  # a named temporary, to see it removed
    run = run_cli("evaluate", str(records), "-o", str(out), "--now", NOW, "--format", "jsonl")
    assert run.code == 130
    assert out.read_text(encoding="utf-8") == "OLD\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "r.jsonl"]


# ---------------------------------------------------------------- durable stores

def _kill_and_concurrency(tmp_path: Path, argv: Callable[[Path, Path], list[str]], read: Callable[[Path], list[str]]) -> None:
    store = tmp_path / "store.sqlite"
    runs = []
    for n in range(4):
        runs.append(write_records(tmp_path / f"run{n}.jsonl", 3000, prefix=f"R{n}"))
    # four writers at once: every run is committed whole
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "engine", *argv(r, store)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for r in runs]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), err.decode("utf-8", "replace")
    ids = read(store)
    assert sorted(ids) == sorted(f"R{n}-{i:07d}" for n in range(4) for i in range(3000))
    # killed at random moments: each run is in the store whole or not at all
    rng = random.Random(7)
    for k in range(KILLS):
        extra = write_records(tmp_path / f"kill{k}.jsonl", 3000, prefix=f"K{k}")
        run_engine(argv(extra, store), timeout=300, kill_after=rng.uniform(0.1, 1.5))
        got = read(store)
        logged = [i for i in got if i.startswith(f"K{k}-")]
        assert len(logged) in (0, 3000), f"a killed run left {len(logged)} of 3000 decisions"
        assert sorted(set(got) - set(ids) - {i for i in got if i.startswith("K")}) == []
        assert all(i in got for i in ids), "a committed decision was lost"


@pytest.mark.parametrize("store", sorted(DURABLE_STORES))
def test_a_durable_store_keeps_every_committed_run_through_kills_and_four_writers(tmp_path, store):
    argv, read = DURABLE_STORES[store]
    _kill_and_concurrency(tmp_path, argv, read)


# ---------------------------------------------------------------- streamed output is what the renderers print

def _decisions_of(tmp_path: Path) -> list[Any]:
    from engine.batch import evaluate_files
    from engine.core.evaluate import Options
    from engine.policy.family import load_policies
    from engine.io.resources import policies_dir
    from engine.timeutil import parse_instant

    records = [case(id="C-1", customer="客户 名"), uptime([outage("2024-03-12T02:00:00Z", "2024-03-13T02:40:00Z")], id="U-1"),
               claim(id="K-1"), case(id="C-2", severity=1, channel="portal")]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    family = load_policies(policies_dir())["genesys-cloud"]
    batch = evaluate_files([str(path), str(ROOT / "examples" / "records")], family, Options(now=parse_instant(NOW)))
    assert not batch.rejected
    return batch.decisions


@pytest.mark.parametrize("fmt, render", [("json", as_json), ("jsonl", as_jsonl), ("table", as_table)])
@pytest.mark.parametrize("count", [0, 1, 5])
def test_the_streamed_output_is_byte_for_byte_the_rendered_one(tmp_path, fmt, render, count):
    import io

    from engine.commands.evaluate import DecisionWriter

    decisions = _decisions_of(tmp_path)[:count] if count < 5 else _decisions_of(tmp_path)
    out = io.StringIO()
    writer = DecisionWriter(fmt, out, "en")
    for decision in decisions:
        writer.add(decision)
    writer.close()
    assert out.getvalue() == render(decisions)
