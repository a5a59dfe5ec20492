"""Load test of `sla serve`: bounded, loopback only, it stops by itself.

For each --workers value it starts `sla serve --port 0 --workers N` on 127.0.0.1 and runs:

1. single records, open loop: requests are scheduled at --rate per second for
   --seconds, sent over --connections keep-alive connections; a request's latency
   runs from its scheduled time (so a stalled server cannot hide queueing delay).
2. batches of --batch records, closed loop: --batch-clients clients each send a
   batch, wait for the answer and send the next, for --seconds.

and, once, the baseline: `sla evaluate` on the same records as one JSON file, in
its own process (whole, and less its start-up: the same command on an empty array;
the percentages compare batches with that). It prints a Markdown table: throughput, p50/p99, and the CPU
seconds of the server's process tree and of this load generator, next to the wall
time (the machine may be shared: CPU-s says what the work cost). The records are
those of examples/records, repeated with fresh ids (the same mix in every run).

    python3 bench/serve_load.py                       # --workers 1 2, 10 s per scenario
    python3 bench/serve_load.py --workers 1 --seconds 5

Every answer is checked: a status other than 200 counts as an error and is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.io.inputs import expand, read_records  # noqa: E402

NOW = "2026-01-01T00:00:00Z"
HOST = "127.0.0.1"  # loopback only, never anything else
HARD_LIMIT_SECONDS = 600  # the whole run stops by itself


def records(count: int) -> list[dict]:
    """`count` records: the examples' mix, each copy with fresh ids."""
    base = [r.data for name in expand([str(ROOT / "examples" / "records")]) for r in read_records(name)]
    out = []
    for n in range(count):
        record = json.loads(json.dumps(base[n % len(base)]))
        record["id"] = f"{record['id']}-{n // len(base)}"
        out.append(record)
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its live descendants (from /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                out += _tree(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- a minimal HTTP/1.1 client

class Connection:
    """One keep-alive connection; `post` returns (status, body)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    records: int = 0
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(q * len(data)))] * 1000 if data else float("nan")


async def open_loop(port: int, body: bytes, rate: float, seconds: float, connections: int) -> Result:
    """Requests scheduled every 1/rate s; latency from the scheduled time."""
    result = Result()
    queue: asyncio.Queue[float | None] = asyncio.Queue()
    start = time.perf_counter()
    total = int(rate * seconds)

    async def schedule() -> None:
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(due)
        for _ in range(connections):
            queue.put_nowait(None)

    async def client() -> None:
        conn = Connection(port)
        try:
            while (due := await queue.get()) is not None:
                status, _ = await conn.post(f"/v1/evaluate?now={NOW}", body)
                result.latencies.append(time.perf_counter() - due)
                result.errors += status != 200
                result.records += 1
        finally:
            conn.close()

    await asyncio.gather(schedule(), *(client() for _ in range(connections)))
    result.wall = time.perf_counter() - start
    return result


async def closed_loop(port: int, body: bytes, per_request: int, seconds: float, clients: int) -> Result:
    result = Result()
    start = time.perf_counter()
    end = start + seconds

    async def client() -> None:
        conn = Connection(port)
        try:
            while time.perf_counter() < end:
                sent = time.perf_counter()
                status, _ = await conn.post(f"/v1/evaluate?now={NOW}", body)
                result.latencies.append(time.perf_counter() - sent)
                result.errors += status != 200
                result.records += per_request if status == 200 else 0
        finally:
            conn.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    result.wall = time.perf_counter() - start
    return result


def measured(server_pid: int, run: "asyncio.Future | object") -> Result:
    server_before, client_before = cpu_seconds(server_pid), own_cpu()
    result: Result = asyncio.run(run)  # type: ignore[arg-type]
    result.server_cpu, result.client_cpu = cpu_seconds(server_pid) - server_before, own_cpu() - client_before
    return result


# --------------------------------------------------------------------------- the server and the baseline

def start_server(workers: int) -> tuple[subprocess.Popen, int]:
    err = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "-m", "engine", "serve", "--host", HOST, "--port", "0",
                                "--workers", str(workers)], cwd=ROOT, stderr=err, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        err.seek(0)
        found = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", err.read())
        if found:
            port = int(found.group(1))
            break
        if process.poll() is not None:
            raise SystemExit(f"sla serve exited with {process.returncode}")
        time.sleep(0.05)
    else:
        process.kill()
        raise SystemExit("sla serve did not start")
    # ready when every worker answers: a few requests in a row succeed
    body = json.dumps(records(1)[0]).encode()
    ok = 0
    while ok < 20 and time.monotonic() < deadline:
        try:
            status, _ = asyncio.run(Connection(port).post(f"/v1/evaluate?now={NOW}", body))
            ok = ok + 1 if status == 200 else 0
        except OSError:
            time.sleep(0.1)
    return process, port


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _evaluate_run(path: Path) -> tuple[float, float]:
    """(wall s, CPU-s) of `sla evaluate FILE` in its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine", "evaluate", str(path), "--now", NOW, "--format", "json",
                    "--fail-on", "none"], cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def baseline(count: int) -> tuple[Result, Result]:
    """`sla evaluate` on `count` records in one JSON file, in its own process: the whole
    run, and the run less the start-up (the same command on an empty array), which is
    what a long-running server saves and so the fair rate to compare batches with."""
    with tempfile.TemporaryDirectory() as folder:
        path, empty = Path(folder) / "records.json", Path(folder) / "empty.json"
        path.write_text(json.dumps(records(count)), encoding="utf-8")
        empty.write_text("[]", encoding="utf-8")
        wall, cpu = _evaluate_run(path)
        wall0, cpu0 = _evaluate_run(empty)
    return Result(records=count, wall=wall, server_cpu=cpu), Result(records=count, wall=wall - wall0, server_cpu=cpu - cpu0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario (default 10)")
    parser.add_argument("--rate", type=float, default=200.0, help="single-record requests per second (default 200)")
    parser.add_argument("--connections", type=int, default=8, help="connections for single records (default 8)")
    parser.add_argument("--batch", type=int, default=1000, help="records per batch (default 1000)")
    parser.add_argument("--batch-clients", type=int, default=2, help="concurrent batch clients (default 2)")
    parser.add_argument("--baseline-records", type=int, default=30_000)
    args = parser.parse_args()
    if args.seconds * 2 * len(args.workers) > HARD_LIMIT_SECONDS:
        parser.error(f"the run would exceed {HARD_LIMIT_SECONDS} s")

    single = json.dumps(records(1)[0]).encode()
    batch = json.dumps(records(args.batch)).encode()
    rows = []
    whole, marginal = baseline(args.baseline_records)
    base_rate = marginal.records / marginal.wall
    base_per_cpu = marginal.records / marginal.server_cpu
    for label, run in (("whole run", whole), ("less start-up", marginal)):
        rows.append((f"`sla evaluate`, {label}", f"{args.baseline_records:,} records, one file",
                     f"{run.records / run.wall:,.0f} rec/s", "—", "—", f"{run.wall:.1f}", f"{run.server_cpu:.1f}", "—", "0",
                     f"{run.records / run.server_cpu:,.0f}"))
    for workers in args.workers:
        process, port = start_server(workers)
        try:
            one = measured(process.pid, open_loop(port, single, args.rate, args.seconds, args.connections))
            many = measured(process.pid, closed_loop(port, batch, args.batch, args.seconds, args.batch_clients))
        finally:
            stop_server(process)
        rows.append((f"serve `--workers {workers}`", f"1 record, {args.rate:.0f} req/s offered",
                     f"{one.records / one.wall:,.0f} req/s", f"{one.pct(0.50):.1f}", f"{one.pct(0.99):.1f}",
                     f"{one.wall:.1f}", f"{one.server_cpu:.1f}", f"{one.client_cpu:.1f}", str(one.errors),
                     f"{one.records / one.server_cpu:,.0f}" if one.server_cpu else "—"))
        rows.append((f"serve `--workers {workers}`", f"batches of {args.batch:,}, {args.batch_clients} clients",
                     f"{many.records / many.wall:,.0f} rec/s ({many.records / many.wall / base_rate:.0%})",
                     f"{many.pct(0.50):.0f}", f"{many.pct(0.99):.0f}", f"{many.wall:.1f}", f"{many.server_cpu:.1f}",
                     f"{many.client_cpu:.1f}", str(many.errors),
                     f"{many.records / many.server_cpu:,.0f} ({many.records / many.server_cpu / base_per_cpu:.0%})"
                     if many.server_cpu else "—"))
    load = os.getloadavg()
    print(f"# {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, Python {sys.version.split()[0]}")
    print("| run | load | throughput | p50 ms | p99 ms | wall s | server CPU-s | client CPU-s | errors | records per server CPU-s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if any(row[8] not in ("0",) for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
