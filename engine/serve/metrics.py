"""Prometheus text-format metrics (exposition format 0.0.4), kept in memory.

Written here rather than taken from prometheus_client: four metric families and a
histogram are a screenful, and the service needs no other of its features. Each
worker process keeps its own counts (as any Prometheus target without a shared
store): with `--workers 2` a scrape sees the worker that answered it, named by the
`pid` label of `sla_serve_info`.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Iterable

from engine import __version__

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # seconds
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(**values: str) -> str:
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{escape(str(v))}"' for k, v in values.items()) + "}"


class Metrics:
    """Counters and a latency histogram per route, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, int]] = Counter()  # (method, route, status)
        self.latency: dict[str, list[int]] = {}  # route -> count per bucket (+Inf last)
        self.latency_sum: Counter[str] = Counter()
        self.decisions: Counter[str] = Counter()  # outcome
        self.rejected = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, status)] += 1
            counts = self.latency.setdefault(route, [0] * (len(BUCKETS) + 1))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
                    break
            else:
                counts[-1] += 1
            self.latency_sum[route] += seconds

    def decided(self, outcomes: Iterable[str], rejected: int = 0) -> None:
        with self._lock:
            self.decisions.update(outcomes)
            self.rejected += rejected

    def render(self, policies: Iterable[tuple[str, str, str]], loaded_at: str, reloads: dict[str, int]) -> str:
        """The exposition text; `policies` is (family, revision, sha256) of the loaded set."""
        with self._lock:
            out = ["# HELP sla_serve_info The running service.", "# TYPE sla_serve_info gauge",
                   f"sla_serve_info{_labels(version=__version__, pid=str(os.getpid()))} 1",
                   "# HELP sla_http_requests_total HTTP requests answered, by method, route and status.",
                   "# TYPE sla_http_requests_total counter"]
            for (method, route, status), n in sorted(self.requests.items()):
                out.append(f"sla_http_requests_total{_labels(method=method, route=route, status=str(status))} {n}")
            out += ["# HELP sla_http_request_duration_seconds Time to answer a request, by route.",
                    "# TYPE sla_http_request_duration_seconds histogram"]
            for route, counts in sorted(self.latency.items()):
                running = 0
                for bound, n in zip((*(repr(b) for b in BUCKETS), "+Inf"), counts):
                    running += n
                    out.append(f"sla_http_request_duration_seconds_bucket{_labels(route=route, le=bound)} {running}")
                out.append(f"sla_http_request_duration_seconds_sum{_labels(route=route)} {self.latency_sum[route]:.6f}")
                out.append(f"sla_http_request_duration_seconds_count{_labels(route=route)} {running}")
            out += ["# HELP sla_decisions_total Decisions made, by outcome (sla log's one-word outcome).",
                    "# TYPE sla_decisions_total counter"]
            for outcome, n in sorted(self.decisions.items()):
                out.append(f"sla_decisions_total{_labels(outcome=outcome)} {n}")
            out += ["# HELP sla_records_rejected_total Records refused as bad input.",
                    "# TYPE sla_records_rejected_total counter", f"sla_records_rejected_total {self.rejected}"]
        out += ["# HELP sla_policy_revision_loaded The policy revisions this worker answers with (1 each).",
                "# TYPE sla_policy_revision_loaded gauge"]
        for family, revision, sha in policies:
            out.append(f"sla_policy_revision_loaded{_labels(policy=family, revision=revision, sha256=sha, loaded_at=loaded_at)} 1")
        out += ["# HELP sla_policy_reloads_total Policy reloads, by result (ok, unchanged, refused).",
                "# TYPE sla_policy_reloads_total counter"]
        for result, n in sorted(reloads.items()):
            out.append(f"sla_policy_reloads_total{_labels(result=result)} {n}")
        return "\n".join(out) + "\n"
