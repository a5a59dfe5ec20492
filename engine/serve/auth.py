"""The optional bearer token (`sla serve --token-file FILE`) of the admin endpoints."""

from __future__ import annotations

import hmac
from pathlib import Path

from starlette.requests import Request

from engine.errors import Problem, UsageError
from engine.serve.protocol import HttpProblem


def read_token(path: Path) -> str:
    """The token: the file's first line, stripped; refused when empty or unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError([Problem(f"cannot read the token file: {getattr(exc, 'strerror', None) or exc}", file=str(path))]) from None
    token = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(token) < 16:
        raise UsageError([Problem("the token file must hold a token of at least 16 characters on its first line",
                                  file=str(path))])
    return token


def require(request: Request, token: str | None) -> None:
    """Nothing when no token is configured or the request carries it; 401 otherwise."""
    if token is None:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise HttpProblem(401, "unauthorized", [Problem("this endpoint needs the header 'Authorization: Bearer TOKEN' "
                                                        "with the token of sla serve --token-file")],
                          headers={"WWW-Authenticate": 'Bearer realm="sla-engine"'})
