"""Record every provider exchange and webhook the sandbox makes, as JSON lines, for the contract tests.

``SandboxConfig.record_dir`` (env ``SANDBOX_RECORD_DIR``) turns it on; the test session sets it, so what
the real SDKs sent and what the emulators answered across the activity and end-to-end tests can be held
to the providers' official specs (``tests/contracts``). Each app writes its own file (pid + id in the name),
one JSON object per line, appended under a lock: ``{"kind": "http", provider, method, path, query,
request: {content_type, body}, status, response: {content_type, body, headers}}`` and ``{"kind":
"webhook", provider, event, body}`` (the delivery's first attempt). Bodies are kept when JSON or a form,
and only their length otherwise (documents).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROVIDERS: tuple[tuple[str, str], ...] = (("/restapi/", "docusign"), ("/oauth/", "docusign-oauth"),
                                          ("/v3/", "sendgrid"), ("/v1/", "stripe"))
#: Response headers worth keeping (idempotency, rate limits); the rest is transport.
KEPT_HEADERS = ("idempotent-replayed", "idempotency-key", "request-id", "retry-after", "x-ratelimit-reset",
                "x-ratelimit-limit", "x-ratelimit-remaining", "x-message-id", "content-type")


def provider_of(path: str) -> str | None:
    return next((name for prefix, name in PROVIDERS if path.startswith(prefix)), None)


class Recorder:
    """Appends records to ``<dir>/<pid>-<id>.jsonl``; safe from the server loop and other threads."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def webhook(self, provider: str, event: str, body: bytes) -> None:
        self.write({"kind": "webhook", "provider": provider, "event": event, "body": _decode(body, "application/json")})


def _decode(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    if "json" in content_type:
        try:
            return json.loads(body)
        except ValueError:
            return {"unparsed_length": len(body)}
    if "x-www-form-urlencoded" in content_type:
        return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {"length": len(body)}


class RecordingMiddleware:
    """Outermost ASGI middleware: sees exactly what went over the wire, injected faults included."""

    def __init__(self, app: ASGIApp, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        provider = provider_of(scope.get("path", "")) if scope["type"] == "http" else None
        if provider is None:
            await self.app(scope, receive, send)
            return
        request_body = bytearray()
        response: dict[str, Any] = {"status": None, "headers": {}, "body": bytearray()}

        async def recv() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.extend(message.get("body", b""))
            return message

        async def snd(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = {k.decode("latin-1").lower(): v.decode("latin-1")
                                       for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                response["body"].extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, recv, snd)
        finally:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            request_type = headers.get("content-type", "")
            response_type = response["headers"].get("content-type", "")
            self.recorder.write({
                "kind": "http", "provider": provider, "method": scope["method"], "path": scope["path"],
                "query": parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
                "request": {"content_type": request_type, "body": _decode(bytes(request_body), request_type)},
                "status": response["status"],
                "response": {"content_type": response_type,
                             "body": _decode(bytes(response["body"]), response_type),
                             "headers": {k: v for k, v in response["headers"].items() if k in KEPT_HEADERS}},
            })
