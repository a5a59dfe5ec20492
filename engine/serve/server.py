"""Running the service: uvicorn on a socket bound here, in one process or in N worker
processes under a small supervisor.

The socket is bound before anything else, so `--port 0` (a free port, as the tests
use) works and the address is printed once known. One worker: uvicorn runs in this
process. N workers: each is a fresh process (multiprocessing `spawn`) that loads the
policies itself and serves the same listening socket; the kernel spreads the
connections. The supervisor passes SIGHUP (reload) and SIGTERM/SIGINT (graceful stop)
to every worker, replaces a worker that dies (one that dies at its start, e.g. on policies
made invalid since, is retried after CRASH_WINDOW_SECONDS while the others serve; when
none is left it stops with exit 3), and stops when they have all finished.
A reload asked over HTTP reloads the worker that answered it; that worker then sends
SIGHUP to the supervisor so the others reload too (they read the same folder, and a
worker whose policies are unchanged keeps its snapshot).

Graceful stop (uvicorn): on SIGTERM the socket stops accepting, requests in flight
are finished (up to --graceful-timeout seconds), then the process exits 0.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, replace
from typing import Any, TextIO

import uvicorn

from engine.serve.app import Settings, build_app
from engine.serve.state import Snapshot

log = logging.getLogger("sla.serve")

CRASH_WINDOW_SECONDS = 10.0  # a worker dying this soon after its start is not restarted at once (no restart loop)


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    graceful_timeout: float = 30.0
    access_log: bool = False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv4 or IPv6 by the host's form)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is TCP,
    # and accepted connections inherit it; with 0, Nagle and delayed ACKs add ~40 ms per answer.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def setup_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s[%(process)d] %(levelname)s %(message)s")


def _uvicorn_config(app: Any, listen: Listen) -> uvicorn.Config:
    return uvicorn.Config(app, lifespan="on", log_level="warning", access_log=listen.access_log, server_header=False,
                          timeout_graceful_shutdown=listen.graceful_timeout, log_config=None)


def _serve(app: Any, sock: socket.socket, listen: Listen) -> None:
    """uvicorn on `sock` until SIGTERM/SIGINT; returns once in-flight requests are done."""
    # uvicorn re-raises the stop signal after its graceful shutdown; a handler that does
    # nothing makes that a normal return (exit 0) instead of a death by signal.
    signal.signal(signal.SIGTERM, lambda *_: None)
    signal.signal(signal.SIGINT, lambda *_: None)
    uvicorn.Server(_uvicorn_config(app, listen)).run(sockets=[sock])


def run(settings: Settings, listen: Listen, snapshot: Snapshot, announce: TextIO) -> int:
    """Serve until stopped; returns the exit code."""
    setup_logging()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the app's own handler is installed
    sock = bind(listen.host, listen.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"sla serve: listening on http://{shown}:{port} ({listen.workers} worker(s); policies: "
          f"{snapshot.engine.root})", file=announce, flush=True)
    if listen.workers == 1:
        _serve(build_app(settings, snapshot), sock, listen)
        return 0
    return _supervise(replace(settings, supervised=True), listen, sock)


def _worker(settings: Settings, listen: Listen, sock: socket.socket) -> None:
    setup_logging()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        app = build_app(settings)
    except Exception as exc:  # the policies changed under us and are now invalid, or a bug
        log.error("worker could not start: %s", exc)
        sys.exit(3)
    _serve(app, sock, listen)


class _Supervisor:
    def __init__(self, settings: Settings, listen: Listen, sock: socket.socket):
        self.settings, self.listen, self.sock = settings, listen, sock
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[tuple[Any, float]] = []  # (process, started at)
        self.stopping = False

    def start_one(self) -> None:
        process = self.context.Process(target=_worker, args=(self.settings, self.listen, self.sock), daemon=False)
        process.start()
        self.workers.append((process, time.monotonic()))

    def signal_all(self, signum: int) -> None:
        for process, _ in self.workers:
            if process.is_alive() and process.pid is not None:
                try:
                    os.kill(process.pid, signum)
                except ProcessLookupError:
                    pass

    def on_stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
        self.signal_all(signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGHUP, lambda *_: self.signal_all(signal.SIGHUP))
        signal.signal(signal.SIGTERM, self.on_stop)
        signal.signal(signal.SIGINT, self.on_stop)
        for _ in range(self.listen.workers):
            self.start_one()
        code = 0
        retry_at: list[float] = []  # when to start a replacement for a worker that died at its start
        while not self.stopping:
            time.sleep(0.2)
            for entry in list(self.workers):
                process, started = entry
                if process.is_alive() or self.stopping:
                    continue
                self.workers.remove(entry)
                if time.monotonic() - started >= CRASH_WINDOW_SECONDS:
                    log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    self.start_one()
                elif self.workers:  # the others keep serving; try again later (the policies may be fixed by then)
                    log.error("worker %s exited with %s at its start; the other workers keep serving, another "
                              "starts in %.0f s", process.pid, process.exitcode, CRASH_WINDOW_SECONDS)
                    retry_at.append(time.monotonic() + CRASH_WINDOW_SECONDS)
                else:
                    log.error("worker %s exited with %s at its start and no worker is left; stopping",
                              process.pid, process.exitcode)
                    self.stopping, code = True, 3
            while retry_at and retry_at[0] <= time.monotonic() and not self.stopping:
                retry_at.pop(0)
                self.start_one()
        for process, _ in self.workers:
            process.join(self.listen.graceful_timeout + 5)
            if process.is_alive():
                process.kill()
                process.join()
                code = code or 3
        return code


def _supervise(settings: Settings, listen: Listen, sock: socket.socket) -> int:
    return _Supervisor(settings, listen, sock).run()
