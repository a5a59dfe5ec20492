"""A real `sla serve` process on 127.0.0.1 (a free port), and a plain HTTP client for it.

The server is started as a child process exactly as a user starts it (`python -m engine
serve --port 0 ...`); its address is read from the line it prints on standard error.
Only the loopback interface is used.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 60.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Server:
    """`sla serve ARGS --port 0` running in a child process (the last --port wins); use as a context manager."""

    args: tuple[str, ...] = ()
    cwd: Path = ROOT
    port: int = 0
    process: subprocess.Popen | None = None
    stderr_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="sla-serve-", suffix=".err")[1]))
    stdout_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="sla-serve-", suffix=".out")[1]))

    def __enter__(self) -> "Server":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.stderr_path, "wb") as err, open(self.stdout_path, "wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "engine", "serve", *self.args, "--port", "0"],
                                            cwd=self.cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = LISTENING.search(self.stderr)
            if found:
                self.port = int(found.group(1))
                break
            if self.process.poll() is not None:
                raise AssertionError(f"sla serve exited with {self.process.returncode}:\n{self.stderr}")
            time.sleep(0.05)
        else:
            raise AssertionError(f"sla serve did not start:\n{self.stderr}")
        while time.monotonic() < deadline:
            try:
                if self.get("/ready").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"sla serve never became ready:\n{self.stderr}")

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait; returns the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"sla serve did not stop on SIGTERM:\n{self.stderr}")
        return self.process.returncode

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    # ------------------------------------------------------------------ HTTP
    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict[str, str] | None = None,
                timeout: float = 60.0) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body.encode("utf-8") if isinstance(body, str) else body
            conn.request(method, path, body=data, headers=headers or {})
            response = conn.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> Answer:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, data: Any, headers: dict[str, str] | None = None, **kw: Any) -> Answer:
        return self.request("POST", path, json.dumps(data, ensure_ascii=False),
                            {"Content-Type": "application/json", **(headers or {})}, **kw)
