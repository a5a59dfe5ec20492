"""Chunks evaluated in worker processes, results handed back in input order.

`--jobs 1` runs every chunk in this process; `--jobs N` forks N workers that
inherit the loaded policies, mappings, contracts and incidents (so nothing big
is pickled), and keeps at most a few chunks per worker in flight, so memory is
bounded by the chunk size, not by the input. Results come back in submission
order whichever worker finished first, which is why the output of any --jobs is
byte-identical to --jobs 1.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import deque
from typing import Any, Callable, Iterable, Iterator

from engine.check.work import State, install, run_chunk


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Evaluator:
    """Runs `run_chunk` over tasks, in this process or in a pool of workers."""

    def __init__(self, jobs: int, state: State, in_flight_per_job: int = 3, spill: str | None = None, lazy: bool = False):
        """`lazy`: fork the workers when the first chunk comes, not now (a run that may never need
        them, like `sla check --backend duckdb`, whose workers would only hold memory)."""
        install(state)
        self.jobs = jobs if jobs > 1 and can_fork() else 1
        self.pool: Any = None
        self.limit = max(2, self.jobs * in_flight_per_job)
        self.worker_state = dataclasses.replace(state, spill=spill)  # workers spill their decisions to files
        if self.jobs > 1 and not lazy:
            self._start()

    def _start(self) -> None:
        self.pool = multiprocessing.get_context("fork").Pool(self.jobs, initializer=install, initargs=(self.worker_state,))

    def map(self, tasks: Iterable[Any], fn: Callable[[Any], Any] = run_chunk) -> Iterator[tuple[Any, Any]]:
        """(task, fn(task)) for each task, in order."""
        if self.pool is None and self.jobs > 1:
            self._start()
        if self.pool is None:
            for task in tasks:
                yield task, fn(task)
            return
        pending: deque[tuple[Any, Any]] = deque()
        for task in tasks:
            pending.append((task, self.pool.apply_async(fn, (task,))))
            while len(pending) >= self.limit:
                task, result = pending.popleft()
                yield task, result.get()
        while pending:
            task, result = pending.popleft()
            yield task, result.get()

    def close(self, abort: bool = False) -> None:
        if self.pool is not None:
            if abort:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None
