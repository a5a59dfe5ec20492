"""The HTTP routes of `sla serve` (Starlette), each a thin shell over `engine.api`.

A request takes the current policy snapshot once (`holder.current`) and uses only
it. Decisions run in a worker thread, so the event loop keeps answering /health,
/metrics and small requests while a batch of 1,000 records is being decided.
Every answer is JSON (metrics are Prometheus text, /docs is HTML); every failure is
a problem list (`protocol`), and an engine bug is a 500 whose error id is logged
with the traceback, never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.core.outcomes import outcome_of
from engine.errors import PolicyError, Problem, SlaError
from engine.policy.diff import diff_revisions
from engine.serve import auth, metrics as metrics_mod, openapi
from engine.serve.protocol import (JSON_TYPE, HttpProblem, choice, flag, json_bytes, json_response, problem_response,
                                   query, read_json, request_id)
from engine.serve.sink import NoLog, open_sink
from engine.serve.state import Holder, Snapshot, load_snapshot

log = logging.getLogger("sla.serve")

LANGS = ("en", "zh")
RID_KEY, ROUTE_KEY = "sla.request_id", "sla.route"


@dataclass(frozen=True)
class Settings:
    """What `sla serve` was started with (picklable: worker processes get a copy)."""

    policies: Path | None = None
    token: str | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    max_records: int = 10_000
    log: str | None = None  # decision log: None, '-' (JSONL on stdout) or a SQLite path
    supervised: bool = False  # a worker of several: a reload is passed on to the others (see server.py)


Handler = Callable[[Request, str], Awaitable[Response]]


class Service:
    """The endpoints, over one holder of the policies, one decision log and one set of metrics."""

    def __init__(self, settings: Settings, snapshot: Snapshot | None = None):
        self.settings = settings
        self.holder = Holder(settings.policies, snapshot or load_snapshot(settings.policies))
        self.sink = open_sink(settings.log) if settings.log is not None else NoLog()
        self.metrics = metrics_mod.Metrics()

    # ------------------------------------------------------------------ decisions
    async def evaluate(self, request: Request, rid: str) -> Response:
        params = query(request, ("now", "as_of", "lang", "explain", "policy"))
        lang, explain = choice(params, "lang", LANGS, "en"), flag(params, "explain")
        body = await read_json(request, self.settings.max_body_bytes)
        single = isinstance(body, dict)
        if not single and not isinstance(body, list):
            raise HttpProblem(400, "bad input", [Problem("the body is one record (a JSON object) or an array of records",
                                                         file="body")])
        records = [body] if single else body
        if len(records) > self.settings.max_records:
            raise HttpProblem(413, "payload too large", [Problem(
                f"{len(records)} records; the limit is {self.settings.max_records} per request (sla serve --max-records)",
                file="body")])
        snap = self.holder.current

        def decide() -> Any:
            decide_all = snap.engine.explain if explain else snap.engine.evaluate  # explain: each trace under `explain`
            result = decide_all(records, policy=params.get("policy"), now=params.get("now"), as_of=params.get("as_of"),
                                lang=lang, source="body")
            if result.rejected:
                self.metrics.decided((), len(result.rejected))
                raise HttpProblem(400, "bad input", [p for r in result.rejected for p in r["problems"]])
            out = result.decisions
            self.sink.write(rid, result.objects)
            self.metrics.decided(outcome_of(d) for d in result.objects)
            return json_bytes(out[0] if single else out)  # encoded here too: 1,000 decisions are not small

        return Response(await run_in_threadpool(decide), media_type=JSON_TYPE)

    async def replay(self, request: Request, rid: str) -> Response:
        params = query(request, ("now", "as_of", "lang", "receipt"))
        lang, with_receipt = choice(params, "lang", LANGS, "en"), flag(params, "receipt")
        body = await read_json(request, self.settings.max_body_bytes)
        snap = self.holder.current

        def replay() -> Any:
            verdict = snap.engine.replay(body, now=params.get("now"), as_of=params.get("as_of"), lang=lang, source="body")
            data = verdict.output_json()  # labelled as sla replay labels a what-if (?as_of=)
            if with_receipt:
                data["receipt"] = snap.engine.receipt(verdict)
            self.sink.write(rid, verdict.decisions, verdict.bundle.title, verdict.bundle.sha256)
            self.metrics.decided(outcome_of(d) for d in verdict.decisions)
            return json_bytes(data)

        return Response(await run_in_threadpool(replay), media_type=JSON_TYPE)

    async def verify(self, request: Request, rid: str) -> Response:
        query(request, ())
        body = await read_json(request, self.settings.max_body_bytes)
        snap = self.holder.current
        result = await run_in_threadpool(lambda: snap.engine.verify(body, source="body"))
        return json_response(result.to_json())

    # ------------------------------------------------------------------ policies
    async def policies(self, request: Request, rid: str) -> Response:
        query(request, ())
        snap = self.holder.current
        return json_response([_revision_row(f.name, r) for f in snap.engine.families.values() for r in f.revisions])

    async def policy(self, request: Request, rid: str) -> Response:
        query(request, ())
        snap = self.holder.current
        family = _family(snap, request.path_params["family"])
        name = request.path_params["revision"]
        found = next((r for r in family.revisions if r.revision == name), None)
        if found is None:
            raise HttpProblem(404, "not found", [Problem(
                f"{family.name} has no revision {name!r}; it has {', '.join(r.revision for r in family.revisions)}")])
        text = snap.texts[(family.name, found.revision)].decode("utf-8")
        return json_response({**_revision_row(family.name, found), "yaml": text})

    async def diff(self, request: Request, rid: str) -> Response:
        params = query(request, ("from", "to"))
        snap = self.holder.current
        family = _family(snap, request.path_params["family"])
        missing = [Problem(f"give {name}=REVISION", path=("query", name)) for name in ("from", "to") if name not in params]
        if missing:
            raise HttpProblem(400, "bad input", missing)
        try:
            old, new = family.by_revision(params["from"]), family.by_revision(params["to"])
        except LookupError as exc:
            raise HttpProblem(400, "bad input", [Problem(str(exc.args[0]))]) from None
        return json_response(diff_revisions(old, new, family).to_json())

    # ------------------------------------------------------------------ admin
    async def reload(self, request: Request, rid: str) -> Response:
        auth.require(request, self.settings.token)
        query(request, ())
        try:
            result = await run_in_threadpool(self.holder.reload)
        except PolicyError as exc:
            log.warning("reload refused (request %s): %d problem(s); the old policies keep serving", rid, len(exc.problems))
            raise HttpProblem(400, "policies refused; the loaded ones keep serving", exc.problems) from None
        if result.changed and self.settings.supervised:
            os.kill(os.getppid(), signal.SIGHUP)  # the supervisor passes it to every worker
        log.info("reload (request %s): %s", rid, "new policies loaded" if result.changed else "unchanged")
        snap = result.snapshot
        return json_response({"changed": result.changed, "loaded_at": snap.loaded_at,
                              "policies": [_revision_row(f.name, r) for f in snap.engine.families.values()
                                           for r in f.revisions]})

    def reload_on_signal(self) -> None:
        """SIGHUP: the same reload; its outcome goes to the log."""
        try:
            result = self.holder.reload()
            log.info("SIGHUP reload: %s", "new policies loaded" if result.changed else "unchanged")
        except PolicyError as exc:
            log.warning("SIGHUP reload refused; the old policies keep serving:\n%s",
                        "\n".join(p.render() for p in exc.problems))
        except Exception:  # a bug: logged, and the old policies keep serving
            log.exception("SIGHUP reload failed with an internal error; the old policies keep serving")

    # ------------------------------------------------------------------ service
    async def health(self, request: Request, rid: str) -> Response:
        return json_response({"status": "ok"})

    async def ready(self, request: Request, rid: str) -> Response:
        snap = self.holder.current
        return json_response({"status": "ready", "loaded_at": snap.loaded_at,
                              "revisions": sum(len(f.revisions) for f in snap.engine.families.values())})

    async def metrics_text(self, request: Request, rid: str) -> Response:
        snap = self.holder.current
        text = self.metrics.render(snap.fingerprint, snap.loaded_at, dict(self.holder.reloads))
        return Response(text, media_type=metrics_mod.CONTENT_TYPE)

    async def openapi(self, request: Request, rid: str) -> Response:
        return json_response(openapi.spec())

    async def docs(self, request: Request, rid: str) -> Response:
        return HTMLResponse(openapi.docs_html())


def _revision_row(family: str, revision: Any) -> dict[str, Any]:
    return {"policy": family, "revision": revision.revision, "effective": revision.effective.isoformat(),
            "title": revision.data["title"]["en"], "file": revision.path.name, "sha256": revision.sha256}


def _family(snap: Snapshot, name: str) -> Any:
    if name not in snap.engine.families:
        raise HttpProblem(404, "not found", [Problem(f"no policy family {name!r}; have {', '.join(snap.engine.families)}")])
    return snap.engine.families[name]


def _guarded(route: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, answering every failure as problems: bad input 400, an engine bug 500
    with an error id (logged with its traceback, never sent)."""

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = route
        rid = request.scope.get(RID_KEY) or request_id(request.scope)
        try:
            return await handler(request, rid)
        except HttpProblem as problem:
            return problem_response(problem, rid)
        except SlaError as exc:  # bad records, bundles, receipts, options (UsageError)
            return problem_response(HttpProblem(400, "bad input", exc.problems), rid)
        except Exception:
            error_id = uuid.uuid4().hex
            log.exception("internal error %s (request %s, %s %s)", error_id, rid, request.method, route)
            return problem_response(HttpProblem(500, "internal error", [Problem(
                f"a bug in the engine, not in the input; the server log has error id {error_id}")],
                extra={"error_id": error_id}), rid)

    return endpoint


class Observe:
    """ASGI middleware: a request id on every request and answer (X-Request-Id), and the
    request counted and timed in the metrics by route template."""

    def __init__(self, app: ASGIApp, metrics: metrics_mod.Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope[RID_KEY] = rid
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.observe(scope["method"], scope.get(ROUTE_KEY, "unmatched"), status, time.perf_counter() - start)


def build_app(settings: Settings, snapshot: Snapshot | None = None) -> Starlette:
    """The ASGI application. Loads the policies now unless `snapshot` is given; raises
    PolicyError when they are invalid (the server does not start)."""
    service = Service(settings, snapshot)
    table: list[tuple[str, str, Handler]] = [
        ("POST", "/v1/evaluate", service.evaluate), ("POST", "/v1/replay", service.replay),
        ("POST", "/v1/verify", service.verify), ("GET", "/v1/policies", service.policies),
        ("GET", "/v1/policies/{family}/diff", service.diff), ("GET", "/v1/policies/{family}/{revision}", service.policy),
        ("POST", "/v1/admin/reload", service.reload), ("GET", "/health", service.health),
        ("GET", "/ready", service.ready), ("GET", "/metrics", service.metrics_text),
        ("GET", "/openapi.json", service.openapi), ("GET", "/docs", service.docs),
    ]
    routes = [Route(path, _guarded(path, handler), methods=[method]) for method, path, handler in table]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, service.reload_on_signal))
        snap = service.holder.current
        log.info("ready: %d revision(s) from %s", len(snap.fingerprint), snap.engine.root)
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGHUP)

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        rid = request.scope.get(RID_KEY) or request_id(request.scope)
        message = {404: f"no endpoint {request.url.path}; see /docs",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        return problem_response(HttpProblem(exc.status_code, str(exc.detail).lower(), [Problem(message)],
                                            headers=exc.headers), rid)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.state.service = service
    app.add_middleware(Observe, metrics=service.metrics)
    return app
