"""A watcher killed with SIGKILL and started again resumes every open clock with
the right remaining time, loses no alert and repeats none.

A producer appends events to the file in real time (each a little before its
instant, as a live system would), the watcher follows it, is killed -9 in the
middle, and is started again with the same command while the producer goes on.
Its alerts are then compared with an uninterrupted watch of the finished file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any


import pytest

from conftest import run_cli

from engine.watch.alerts import AlertWriter
from watch_helpers import TARGET_SECONDS, TEST_POLICIES, Stream, parse, read_alerts, soon, spawn

POLICIES = ("--policies", str(TEST_POLICIES))


def scenario(t0: datetime, cases: int = 24, seed: int = 6) -> Stream:
    """Cases submitted over 3 s; some answered in time, some late, some never."""
    rng = random.Random(seed)
    s = Stream(t0)
    for i in range(cases):
        case_id = f"R-{i:02d}"
        severity = rng.choice([1, 2, 3, 4])
        channel = "phone" if severity == 1 else rng.choice(["phone", "portal"])
        start = rng.uniform(0, 3)
        s.submit(case_id, severity, channel, offset=start)
        if rng.random() < 0.3:
            s.event("automated_reply", case_id, start + rng.uniform(0.1, 0.5))
        if rng.random() < 0.6:
            s.event("human_response", case_id, start + rng.uniform(0.3, TARGET_SECONDS[severity] * 1.4), via="phone")
    s.lines.sort(key=lambda line: line.get("at") or line["case"]["submitted_at"])
    return s


def produce(stream: Stream, path: Path, lead: float = 0.6) -> threading.Thread:
    """Append each line `lead` seconds before its instant."""

    def run() -> None:
        for line in stream.lines:
            when = parse(line.get("at") or line["case"]["submitted_at"]) - timedelta(seconds=lead)
            pause = (when - datetime.now(timezone.utc)).total_seconds()
            if pause > 0:
                time.sleep(pause)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line) + "\n")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(predicate: Any, seconds: float) -> None:
    end = time.time() + seconds
    while not predicate() and time.time() < end:
        time.sleep(0.05)
    assert predicate(), "timed out"


def test_kill_9_and_restart_loses_no_alert_and_repeats_none(tmp_path: Path):
    stream = scenario(soon(1.5))
    events, output = tmp_path / "events.jsonl", tmp_path / "alerts.jsonl"
    events.write_text("", encoding="utf-8")
    state = Path(f"{output}.state")
    args = (str(events), "--follow", "-o", str(output), *POLICIES)
    producer = produce(stream, events)

    first = spawn(*args)
    wait_for(lambda: len(read_alerts(output)) >= 4, 20)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before_kill = read_alerts(output)
    assert state.exists(), "the killed watcher's state is on disk"
    time.sleep(1.0)  # down for a while: clocks keep running, the producer keeps writing

    restarted_at = datetime.now(timezone.utc)
    second = spawn(*args)
    producer.join(20)
    last_deadline = max(parse(line["case"]["submitted_at"]) for line in stream.lines if "case" in line) \
        + timedelta(seconds=max(TARGET_SECONDS.values()))
    wait_for(lambda: datetime.now(timezone.utc) > last_deadline + timedelta(seconds=1.5), 30)
    second.send_signal(signal.SIGTERM)
    _, err = second.communicate(timeout=20)
    assert "bad line" in err and " 0 bad line(s)" in err, err

    alerts = read_alerts(output)
    ids = [a["id"] for a in alerts]
    assert len(ids) == len(set(ids)), "no alert written twice"
    assert alerts[: len(before_kill)] == before_kill, "what was written before the kill stays as it was"

    reference_output = tmp_path / "reference.jsonl"
    reference = run_cli("watch", str(events), "-o", str(reference_output), "--state", str(tmp_path / "ref.state"), *POLICIES)
    assert reference.code == 1, reference.err
    expected = [a["id"] for a in read_alerts(reference_output)]
    assert sorted(ids) == sorted(expected), "the same alerts as a watch that was never interrupted"
    assert len(expected) > 20

    timed_after_restart = 0
    for alert in alerts:  # the right remaining time: each breach by timeout came when due, the downtime aside
        if alert["alert"] != "breached" or alert["response_at"] is not None or alert in before_kill:
            continue
        deadline, written = parse(alert["deadline"]), parse(alert["at"])
        assert written > deadline
        if deadline > restarted_at + timedelta(seconds=1.5):  # fell due well after the restart: on time
            assert written <= deadline + timedelta(seconds=1.6), (alert, restarted_at)
            timed_after_restart += 1
        else:  # fell due while the watcher was down: written as soon as it was back
            assert written <= max(deadline, restarted_at) + timedelta(seconds=2.5), (alert, restarted_at)
    assert timed_after_restart >= 2, "the scenario has clocks that ran out after the restart"


def test_an_alert_torn_by_a_kill_is_written_whole_once_on_restart(tmp_path: Path, monkeypatch):
    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc))
    for i in range(3):
        s.submit(f"C-{i}", 2)
    events, output = s.write(tmp_path / "events.jsonl"), tmp_path / "alerts.jsonl"
    original = AlertWriter.write
    calls = {"n": 0}

    def torn(self: AlertWriter, alert: dict[str, Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # the 4th alert: half a line reaches the file, then the process "dies"
            text = json.dumps(alert)
            self._out.write(text[: len(text) // 2])
            self._out.flush()
            raise KeyboardInterrupt
        original(self, alert)

    monkeypatch.setattr(AlertWriter, "write", torn)
    interrupted = run_cli("watch", str(events), "-o", str(output), *POLICIES)
    assert "state kept in" in interrupted.err
    assert not output.read_text(encoding="utf-8").endswith("\n")
    monkeypatch.setattr(AlertWriter, "write", original)

    resumed = run_cli("watch", str(events), "-o", str(output), *POLICIES)
    assert "dropped an unfinished last line" in resumed.err
    ids = [a["id"] for a in read_alerts(output)]
    assert len(ids) == 6 and len(set(ids)) == 6, ids
    assert not Path(f"{output}.state").exists()


def test_a_restart_after_every_line_was_taken_reads_nothing_twice(tmp_path: Path):
    """Kill after the whole file was taken: the restart neither re-submits a case
    (which would be reported as already open) nor writes an alert again."""
    stream = Stream(soon(1.0))
    stream.submit("A", 1, "phone").submit("B", 3).event("human_response", "B", 1, via="case_note")
    events, output = stream.write(tmp_path / "events.jsonl"), tmp_path / "alerts.jsonl"
    first = spawn(str(events), "-o", str(output), *POLICIES)
    wait_for(lambda: len(read_alerts(output)) >= 1, 20)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    second = spawn(str(events), "-o", str(output), *POLICIES)
    _, err = second.communicate(timeout=30)
    assert second.returncode == 1, err
    assert "0 bad line(s)" in err and "0 case(s) submitted" in err, err
    assert sorted(a["id"].rsplit("/", 1)[1] + ":" + a["case"] for a in read_alerts(output)) == \
        ["breached:A", "met:B", "warning:A"]


def test_a_restart_on_standard_input_skips_the_lines_already_taken(tmp_path: Path, monkeypatch):
    from engine.watch.watcher import Watcher

    s = Stream(datetime(2024, 11, 4, 9, 0, tzinfo=timezone.utc))
    s.submit("C-1", 2).event("human_response", "C-1", 1, via="phone")
    s.submit("C-2", 3).event("human_response", "C-2", 9, via="phone")
    state = tmp_path / "stdin.state"
    original = Watcher.take_line

    def interrupted(self: Watcher, item: Any) -> None:
        if item.number == 3:  # stopped after two lines were taken
            raise KeyboardInterrupt
        original(self, item)

    monkeypatch.setattr(Watcher, "take_line", interrupted)
    first = run_cli("watch", "-", "--state", str(state), *POLICIES, stdin=s.text())
    assert "state kept in" in first.err
    monkeypatch.setattr(Watcher, "take_line", original)
    second = run_cli("watch", "-", "--state", str(state), *POLICIES, stdin=s.text())
    assert "0 bad line(s)" in second.err, "C-1 was not submitted twice"
    alerts = [json.loads(line) for line in (first.out + second.out).splitlines()]
    assert [(a["case"], a["alert"]) for a in alerts] == [("C-1", "met"), ("C-2", "warning"), ("C-2", "breached")]
    assert not state.exists()


# -- kill -9 twice during a large follow run: the same alerts, each once -------

def finished_log(count: int, seed: int) -> Stream:
    """`count` cases, all in the past (TEST policy): responses in time, late or
    never, automated replies, severity changes, Sev1 requests by phone."""
    rng = random.Random(seed)
    s = Stream(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    for i in range(count):
        case_id = f"K-{i:06d}"
        start = rng.uniform(0, 600)
        severity = rng.choice([1, 2, 3, 4])
        channel = "phone" if severity == 1 else rng.choice(["phone", "portal"])
        s.submit(case_id, severity, channel, offset=start)
        if rng.random() < 0.3:
            s.event("automated_reply", case_id, start + rng.uniform(0, 1))
        if rng.random() < 0.2:
            s.event("severity_change", case_id, start + rng.uniform(1, 3), to=rng.choice([1, 2, 3, 4]))
            s.event("critical_support_request", case_id, start + rng.uniform(3, 4), via="phone")
        if rng.random() < 0.6:
            s.event("human_response", case_id, start + rng.uniform(4, 9), via="case_note")
    s.lines.sort(key=lambda line: parse(line.get("at") or line["case"]["submitted_at"]))
    return s


class LineCount:
    """Whole lines in a growing file, read incrementally (the file reaches ~100 MB)."""

    def __init__(self, path: Path):
        self.path, self.offset, self.count = path, 0, 0

    def __call__(self) -> int:
        if self.path.exists():
            with self.path.open("rb") as handle:
                if handle.seek(0, os.SEEK_END) < self.offset:  # cut back (a torn last line)
                    self.offset = self.count = 0
                handle.seek(self.offset)
                data = handle.read()
            whole = data.rfind(b"\n") + 1
            self.offset += whole
            self.count += data[:whole].count(b"\n")
        time.sleep(0.2)
        return self.count


def kill_twice_and_compare(tmp_path: Path, count: int, limit: float) -> None:
    from watch_helpers import run

    events = finished_log(count, seed=count).write(tmp_path / "events.jsonl")
    reference_output = tmp_path / "reference.jsonl"
    reference = run(str(events), "-o", str(reference_output), "--state", str(tmp_path / "ref.state"), *POLICIES,
                    timeout=limit)
    assert reference.returncode == 1, reference.stderr
    expected = reference_output.read_text(encoding="utf-8").splitlines()
    assert len(expected) > count, "warnings and verdicts of every kind"

    output, state = tmp_path / "alerts.jsonl", tmp_path / "follow.state"
    args = (str(events), "--follow", "-o", str(output), "--state", str(state), *POLICIES)
    lines = LineCount(output)
    for share in (0.2, 0.6):  # killed once while reading, once while timers fire (or later in the reading)
        watcher = spawn(*args)
        wait_for(lambda: lines() >= share * len(expected), limit)
        watcher.send_signal(signal.SIGKILL)
        watcher.wait(30)
    watcher = spawn(*args)
    wait_for(lambda: lines() >= len(expected), limit)
    time.sleep(3.0)  # anything written twice would come now (and the watcher has set its SIGTERM handler)
    watcher.send_signal(signal.SIGTERM)
    _, err = watcher.communicate(timeout=120)
    assert " 0 bad line(s)" in err, err

    written = output.read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in written]
    assert len(ids) == len(set(ids)), "no alert written twice"
    assert sorted(written) == sorted(expected), "exactly the alerts of a watch never interrupted, byte for byte"


def test_kill_9_twice_during_a_3000_case_follow_run_loses_and_repeats_nothing(tmp_path: Path):
    kill_twice_and_compare(tmp_path, 3000, limit=120)


@pytest.mark.slow
def test_kill_9_twice_during_a_100000_case_follow_run_loses_and_repeats_nothing(tmp_path: Path):
    kill_twice_and_compare(tmp_path, 100_000, limit=1200)
