"""Small HTTP helpers shared by the routers: bounded body reads and uniform JSON answers.

Not named `http` so running a file from this directory can never shadow the standard library module.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

#: Webhook deliveries are small JSON documents; anything bigger is not a provider talking to us.
MAX_WEBHOOK_BODY = 5 * 1024 * 1024


class BodyTooLarge(Exception):
    """The request body exceeds the route's limit."""


async def read_body(request: Request, limit: int = MAX_WEBHOOK_BODY) -> bytes:
    """The raw body (signatures are over exact bytes), refusing bodies over ``limit`` without buffering them."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def answer(status_code: int, status: str, *, headers: dict[str, str] | None = None,
           **fields: Any) -> JSONResponse:
    """``{"status": ..., ...}``: providers only read the code; people debugging read the word."""
    return JSONResponse({"status": status, **fields}, status_code=status_code, headers=headers)


def too_large() -> JSONResponse:
    return answer(413, "too_large")


def parse_json(body: bytes) -> Any:
    """``json.loads`` that reports every failure as ``ValueError`` (bad UTF-8, or nesting deep enough to
    exhaust the parser). Escaped lone surrogates (``"\\ud800"``) decode to text that can never be encoded
    again; they are replaced, so one odd field cannot turn a whole delivery into a 500 retried forever."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError("body is not valid JSON text") from exc
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        value = _scrub(value)
    except RecursionError as exc:
        raise ValueError("body is nested too deeply") from exc
    return value


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value
