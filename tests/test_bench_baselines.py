"""The benchmark's two baselines stay honest: on the benchmark's own (small, seeded)
data, bench/handwritten.py writes the engine's decisions byte for byte, and every
verdict of bench/minimal.py equals the engine's (bench/run.py checks the same at scale)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from check_helpers import generate

ROOT = Path(__file__).resolve().parent.parent
NOW, MONTHS = "2025-06-01T00:00:00Z", "2024-01..2024-12"


def _inputs(data: Path) -> list[str]:
    return ["--cases", str(data / "cases.jsonl"), "--outages", str(data / "incidents.csv"), "--contracts",
            str(data / "contracts.csv"), "--claims", str(data / "claims.jsonl"), "--months", MONTHS, "--now", NOW]


def _engine(data: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "engine", "check", *_inputs(data), "--jobs", "1", "-o", str(out), "--quiet",
                    "--fail-on", "none"], check=True, cwd=ROOT, capture_output=True)


def _bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_the_hand_written_script_writes_the_engines_decisions_byte_for_byte(tmp_path):
    data = generate(tmp_path / "data", cases=800, customers=10, claims=150)
    _engine(data, tmp_path / "engine.jsonl")
    subprocess.run([sys.executable, str(ROOT / "bench" / "handwritten.py"), *_inputs(data), "-o", str(tmp_path / "hand.jsonl")],
                   check=True, capture_output=True)
    engine = (tmp_path / "engine.jsonl").read_bytes()
    assert engine.count(b"\n") == 800 + 10 * 12 + 150
    assert (tmp_path / "hand.jsonl").read_bytes() == engine


def test_every_verdict_of_the_minimal_script_equals_the_engines(tmp_path):
    data = generate(tmp_path / "data", cases=800, customers=10, claims=150)
    _engine(data, tmp_path / "engine.jsonl")
    subprocess.run([sys.executable, str(ROOT / "bench" / "minimal.py"), *_inputs(data), "-o", str(tmp_path / "minimal.jsonl")],
                   check=True, capture_output=True)
    assert _bench_run().compare_minimal(tmp_path / "minimal.jsonl", tmp_path / "engine.jsonl") == []


def test_the_minimal_comparison_finds_a_wrong_verdict(tmp_path):
    data = generate(tmp_path / "data", cases=200, customers=2, claims=20)
    _engine(data, tmp_path / "engine.jsonl")
    subprocess.run([sys.executable, str(ROOT / "bench" / "minimal.py"), *_inputs(data), "-o", str(tmp_path / "minimal.jsonl")],
                   check=True, capture_output=True)
    lines = (tmp_path / "minimal.jsonl").read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("true", "false", 1) if "true" in lines[0] else lines[0].replace("false", "true", 1)
    (tmp_path / "minimal.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = _bench_run().compare_minimal(tmp_path / "minimal.jsonl", tmp_path / "engine.jsonl")
    assert problems == ["the minimal script disagrees with the engine on 1 of 244 records"]
