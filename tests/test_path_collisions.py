"""Issue 14 item 3: no command overwrites its own input or another output.

An output (-o, --rejects, --summary, --junit, --html, --log, --receipt, --state)
that is an input or another output, by path, symbolic link or hard link, is a
usage error (exit 2) before anything is written; every input stays byte for
byte. `watch --fresh` removes only a watch state file. Temporary files of a
killed `check --jobs` are removed by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, run_cli
from engine.commands import command_modules

DISPUTE = ROOT / "examples" / "disputes" / "01-simple-timely-claim.yaml"
NOW = "2025-01-01T00:00:00Z"
CSV = ("id,customer,severity,channel,submitted_at,events\n"
       'CASE-1,acme,2,portal,2024-03-05T09:30:00Z,"[{""type"": ""human_response"", ""at"": ""2024-03-05T09:38:30Z"", '
       '""via"": ""case_note""}]"\n')


def _files(tmp: Path) -> dict[str, Path]:
    records = tmp / "records.jsonl"
    records.write_text((ROOT / "examples" / "records").joinpath("cases.jsonl").read_text(encoding="utf-8")
                       if (ROOT / "examples" / "records" / "cases.jsonl").exists() else
                       '{"type": "case", "id": "C-1", "customer": "acme", "severity": 2, "channel": "portal", '
                       '"submitted_at": "2024-06-03T09:00:00Z", "events": []}\n', encoding="utf-8")
    dispute = tmp / "dispute.yaml"
    dispute.write_bytes(DISPUTE.read_bytes())
    cases = tmp / "cases.csv"
    cases.write_text(CSV, encoding="utf-8")
    events = tmp / "events.jsonl"
    events.write_text("", encoding="utf-8")
    return {"records": records, "dispute": dispute, "cases": cases, "events": events}


# name -> argv given the input files and a folder for outputs
COLLISIONS: dict[str, Callable[[dict[str, Path], Path], list[str]]] = {
    "evaluate -o INPUT": lambda f, o: ["evaluate", str(f["records"]), "--now", NOW, "-o", str(f["records"])],
    "evaluate --log=-o": lambda f, o: ["evaluate", str(f["records"]), "--now", NOW, "-o", str(o / "x"), f"--log={o / 'x'}"],
    "evaluate -o symlink to INPUT": lambda f, o: ["evaluate", str(f["records"]), "--now", NOW, "-o", str(_symlink(f["records"], o))],
    "evaluate -o hard link to INPUT": lambda f, o: ["evaluate", str(f["records"]), "--now", NOW, "-o", str(_hardlink(f["records"], o))],
    "replay --receipt INPUT": lambda f, o: ["replay", str(f["dispute"]), "--receipt", str(f["dispute"])],
    "replay -o = --receipt": lambda f, o: ["replay", str(f["dispute"]), "-o", str(o / "r.json"), "--receipt", str(o / "r.json")],
    "replay --log = --receipt": lambda f, o: ["replay", str(f["dispute"]), "--receipt", str(o / "r.db"), f"--log={o / 'r.db'}"],
    "report -o INPUT": lambda f, o: ["report", str(f["dispute"]), "-o", str(f["dispute"])],
    "report -o = --receipt": lambda f, o: ["report", str(f["dispute"]), "-o", str(o / "r"), "--receipt", str(o / "r")],
    "check -o INPUT": lambda f, o: ["check", "--cases", str(f["cases"]), "--now", NOW, "-o", str(f["cases"])],
    "check --rejects INPUT": lambda f, o: ["check", "--cases", str(f["cases"]), "--now", NOW, "--keep-going", "--rejects", str(f["cases"])],
    "check --summary = --junit": lambda f, o: ["check", "--cases", str(f["cases"]), "--now", NOW, "--summary", str(o / "s"), "--junit", str(o / "s")],
    "check --html = -o": lambda f, o: ["check", "--cases", str(f["cases"]), "--now", NOW, "-o", str(o / "h"), "--html", str(o / "h")],
    "check --rejects = -o": lambda f, o: ["check", "--cases", str(f["cases"]), "--now", NOW, "-o", str(o / "d"), "--keep-going", "--rejects", str(o / "d")],
    "watch -o INPUT": lambda f, o: ["watch", str(f["events"]), "-o", str(f["events"])],
    "watch --state INPUT": lambda f, o: ["watch", str(f["events"]), "--state", str(f["events"])],
    "watch --state = -o": lambda f, o: ["watch", str(f["events"]), "-o", str(o / "a"), "--state", str(o / "a")],
}


def _symlink(target: Path, folder: Path) -> Path:
    link = folder / "link.out"
    link.symlink_to(target)
    return link


def _hardlink(target: Path, folder: Path) -> Path:
    link = folder / "hard.out"
    os.link(target, link)
    return link


@pytest.mark.parametrize("name", list(COLLISIONS))
def test_an_output_that_is_an_input_or_another_output_is_refused_before_writing(tmp_path: Path, name: str):
    files = _files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    argv = COLLISIONS[name](files, out)
    before = {p: p.read_bytes() for p in files.values()}
    listing = sorted(os.listdir(out))
    run = run_cli(*argv)
    assert run.code == 2, (run.out, run.err)
    assert "would destroy the input" in run.err or "would overwrite the other" in run.err
    assert {p: p.read_bytes() for p in files.values()} == before
    assert sorted(os.listdir(out)) == listing  # nothing new written
    assert run.out == ""


def test_every_command_with_an_output_option_declares_its_paths():
    from engine.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    writing = ("--output", "--receipt", "--log", "--rejects", "--summary", "--junit", "--html", "--state")
    for module in command_modules():
        options = {o for action in sub.choices[module.NAME]._actions for o in action.option_strings}
        if options & set(writing):
            assert hasattr(module, "io_paths"), f"sla {module.NAME} writes files but has no io_paths"


def test_watch_fresh_keeps_a_file_that_is_not_its_state(tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    precious = tmp_path / "decisions.sqlite"
    assert run_cli("evaluate", str(_files(tmp_path)["records"]), "--now", NOW, "--format", "jsonl",
                   f"--log={precious}").code in (0, 1)
    before = precious.read_bytes()
    run = run_cli("watch", str(events), "--state", str(precious), "--fresh")
    assert run.code == 2 and "not a watch state file" in run.err
    assert precious.read_bytes() == before
    text = tmp_path / "notes.txt"
    text.write_text("keep me", encoding="utf-8")
    assert run_cli("watch", str(events), "--state", str(text), "--fresh").code == 2
    assert text.read_text(encoding="utf-8") == "keep me"


def test_watch_fresh_still_removes_its_own_state(tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    state = tmp_path / "w.state"
    # a state file that a killed watch left (resumable), made by a watch that is stopped early
    from engine.watch.store import Store
    store = Store(state)
    store.bind({"events": str(events)})
    store.close()
    assert state.exists()
    run = run_cli("watch", str(events), "--state", str(state), "--fresh")
    assert run.code == 0, run.err


def test_temporary_files_of_a_killed_check_are_removed_by_the_next_run(tmp_path: Path):
    rows = [CSV.splitlines()[0]] + [CSV.splitlines()[1].replace("CASE-1", f"CASE-{i}") for i in range(60_000)]
    src = tmp_path / "cases.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    argv = [sys.executable, "-m", "engine.cli", "check", "--cases", str(src), "-o", str(out / "d.jsonl"),
            "--junit", str(out / "j.xml"), "--jobs", "2", "--chunk", "500", "--now", NOW, "--quiet", "--fail-on", "none"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(".chunk-" in n or n.endswith(".tmp") for n in os.listdir(out)):
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    left = [n for n in os.listdir(out) if n.startswith(".")]
    assert left, "the kill came too late to leave temporary files"
    assert all(f".{proc.pid}." in n for n in left)  # named after the run that wrote them
    again = subprocess.run([*argv[:argv.index("--jobs")], "--jobs", "1", "--quiet", "--now", NOW, "--fail-on", "none"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert [n for n in os.listdir(out) if n.startswith(".")] == []
    assert sorted(os.listdir(out)) == ["d.jsonl", "j.xml"]
