"""A webhook receiver for tests: records every POST and can answer failures first.

Lets tests (ours and the activities') assert on exactly what a provider delivered,
including raw bytes and headers for signature checks, without mocking anything.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.server import bind_socket
from sandbox.threaded import ThreadedServer


@dataclass
class Captured:
    """One received request."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class CaptureServer:
    """Receiver on a free loopback port; ``url`` + any path accepts POSTs.

    ``fail_next(n, status)`` makes the next ``n`` requests (optionally only for a path prefix)
    answer ``status`` (e.g. 503, as the gateway does while Temporal is down).
    """

    host: str = "127.0.0.1"
    requests: list[Captured] = field(default_factory=list)
    _failures: list[tuple[str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadedServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def fail_next(self, count: int, status: int = 503, path_prefix: str = "/") -> None:
        with self._lock:
            self._failures.extend([(path_prefix, status)] * count)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()

    def received(self, path_prefix: str = "/", *, ok_only: bool = True) -> list[Captured]:
        """Requests under ``path_prefix`` (successful answers only, by default)."""
        with self._lock:
            return [
                r for r in self.requests if r.path.startswith(path_prefix) and (not ok_only or 200 <= r.status < 300)
            ]

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        status = 200
        with self._lock:
            for index, (prefix, failure) in enumerate(self._failures):
                if request.url.path.startswith(prefix):
                    status = failure
                    del self._failures[index]
                    break
            self.requests.append(Captured(request.url.path, dict(request.headers), body, status))
        return JSONResponse({"received": status == 200}, status_code=status)

    def start(self) -> CaptureServer:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        sock = bind_socket(self.host, self.port)
        self.port = int(sock.getsockname()[1])
        self._server = ThreadedServer(app, sock, name="capture-server")
        self._server.start(wait=True)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
