"""A loopback proxy between the worker and the sandbox that can lose a response after the provider acted.

The sandbox's own faults answer (or stall) BEFORE its handler runs, so a faulted call never happened. The
case idempotency exists for is the other one: the provider created the transfer or finalized the invoice,
and the answer never reached us (a reset connection, a load balancer's 502). Retrying must then find what
was made rather than make it again. This proxy forwards every call; for the next ``count`` calls matching a
rule whose real answer was a success, it throws that answer away and says 502.
"""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass, field

import httpx
from starlette.types import Receive, Scope, Send

from sandbox.threaded import ThreadedServer

#: Not forwarded either way: they describe one hop, not the message.
_HOP = frozenset({"host", "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"})


@dataclass
class Loss:
    """One rule: lose the next ``count`` successful answers to ``method`` calls whose path matches."""

    method: str
    pattern: re.Pattern[str]
    count: int


@dataclass
class LossyProxy:
    """Served by uvicorn in a daemon thread on a port bound up front (the URL is known before it starts)."""

    upstream: str
    rules: list[Loss] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = ThreadedServer(self, self._sock, name="lossy-proxy")

    def lose(self, route: str, count: int = 1) -> None:
        """Lose the successful answers to the next ``count`` calls matching ``"METHOD path-regex"``."""
        method, _, regex = route.partition(" ")
        with self._lock:
            self.rules.append(Loss(method.upper(), re.compile(regex), count))

    def pending(self) -> int:
        with self._lock:
            return sum(rule.count for rule in self.rules)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _take(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self.rules:
                if rule.method in (method, "*") and rule.pattern.search(path):
                    rule.count -= 1
                    if rule.count <= 0:
                        self.rules.remove(rule)
                    self.lost.append(f"{method} {path}")
                    return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"] if k.decode().lower() not in _HOP]
        query = scope["query_string"].decode()
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        async with httpx.AsyncClient(timeout=60) as http:
            answer = await http.request(scope["method"], url, content=body, headers=headers)
        method, path = scope["method"], scope["path"]
        if answer.is_success and self._take(method, path):
            status, out, out_headers = 502, b'{"error": {"message": "response lost in transit"}}', [
                (b"content-type", b"application/json")]
        else:
            status, out = answer.status_code, answer.content
            out_headers = [(k.encode(), v.encode()) for k, v in answer.headers.items() if k.lower() not in _HOP]
        out_headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out_headers})
        await send({"type": "http.response.body", "body": out})

    def start(self) -> LossyProxy:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self._sock.close()
