"""Reading requests and writing answers: JSON only, problems as data.

Every error answer has one shape, `{"status", "error", "request_id", "problems": [...]}`,
where each problem is what the CLI prints, as data (`engine.api.problem_json`: message,
file, line, record, path, text). Statuses: 400 bad input, 401 no or wrong token,
404 unknown path or policy, 405 wrong method, 413 body or batch over the limit,
415 not `application/json`, 500 an engine bug (with an error id that is also logged).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from engine.api import problem_json
from engine.errors import Problem
from engine.io.jsontext import decode as decode_json

BODY_NAME = "body"  # how problems name the request body (the CLI names the file)
REQUEST_ID_HEADER = "x-request-id"
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
JSON_TYPE = "application/json"


class HttpProblem(Exception):
    """An answer other than 2xx, with the problems that explain it."""

    def __init__(self, status: int, error: str, problems: Iterable[Problem | dict[str, Any]] = (),
                 headers: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None):
        self.status, self.error = status, error
        self.extra = dict(extra or {})  # more fields of the answer (a 500's error_id)
        self.problems = [problem_json(p) if isinstance(p, Problem) else p for p in problems]
        self.headers = dict(headers or {})
        super().__init__(error)


def request_id(scope: Mapping[str, Any]) -> str:
    """The caller's X-Request-Id when it is a short plain token, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            if _GOOD_REQUEST_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json_bytes(data), status_code=status, headers=dict(headers or {}), media_type=JSON_TYPE)


def problem_response(problem: HttpProblem, rid: str) -> Response:
    body = {"status": problem.status, "error": problem.error, "request_id": rid, **problem.extra,
            "problems": problem.problems}
    return json_response(body, problem.status, problem.headers)


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON: 415 unless `application/json` (UTF-8), 413 over `limit`
    bytes (checked on Content-Length first, then while reading), 400 when it is not JSON."""
    kind = request.headers.get("content-type", "")
    media, _, params = kind.partition(";")
    charset = re.search(r"charset=\"?([^\";]+)", params, re.I)
    if media.strip().lower() != JSON_TYPE or (charset and charset.group(1).strip().lower() not in ("utf-8", "utf8")):
        raise HttpProblem(415, "unsupported media type", [Problem(
            f"the body must be {JSON_TYPE} (UTF-8); got {kind.strip() or 'no Content-Type'}", file=BODY_NAME)])
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise HttpProblem(400, "bad input", [Problem(f"not UTF-8 (byte {exc.start})", file=BODY_NAME, line=line)]) from None
    if not text.strip():
        raise HttpProblem(400, "bad input", [Problem("the body is empty; send a JSON document", file=BODY_NAME)])
    try:
        return decode_json(text)
    except json.JSONDecodeError as exc:
        raise HttpProblem(400, "bad input", [Problem(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                                     file=BODY_NAME, line=exc.lineno)]) from None
    except (ValueError, RecursionError) as exc:  # a duplicate key, NaN, or nesting too deep
        raise HttpProblem(400, "bad input", [Problem(f"not accepted JSON: {exc}", file=BODY_NAME)]) from None


def _too_large(size: int, limit: int) -> HttpProblem:
    return HttpProblem(413, "payload too large", [Problem(
        f"the body is {size} bytes or more; the limit is {limit} bytes (sla serve --max-body-bytes)", file=BODY_NAME)])


def query(request: Request, allowed: Iterable[str]) -> dict[str, str]:
    """The query parameters, each at most once and each one this endpoint knows (a
    misspelt option is an error, never silently ignored)."""
    known = tuple(allowed)
    out: dict[str, str] = {}
    problems = []
    for name, value in request.query_params.multi_items():
        if name not in known:
            have = ", ".join(known) if known else "none"
            problems.append(Problem(f"unknown query parameter {name!r}; this endpoint takes: {have}", path=("query", name)))
        elif name in out:
            problems.append(Problem(f"query parameter {name!r} given twice", path=("query", name)))
        else:
            out[name] = value
    if problems:
        raise HttpProblem(400, "bad input", problems)
    return out


def flag(params: Mapping[str, str], name: str) -> bool:
    """A true/false query parameter (absent is false)."""
    value = params.get(name)
    if value is None or value.lower() in ("false", "0"):
        return False
    if value.lower() in ("true", "1", ""):
        return True
    raise HttpProblem(400, "bad input", [Problem(f"{name} must be true or false; got {value!r}", path=("query", name))])


def choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name, default)
    if value not in allowed:
        raise HttpProblem(400, "bad input", [Problem(f"{name} must be one of {', '.join(allowed)}; got {value!r}",
                                                     path=("query", name))])
    return value
