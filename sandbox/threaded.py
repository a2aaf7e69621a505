"""An ASGI app served by uvicorn on an already-bound socket, in a daemon thread with its own event loop.

For servers that must answer while the caller's code is synchronous or busy on its own loop: the sandbox's
webhook capture server, and the tests' gateway and fault proxy. Binding first (port 0) lets the caller
know the URL before anything runs, and nobody can take the port in between.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import uvicorn
from starlette.types import ASGIApp

from sandbox.testing import wait_until


class ThreadedServer:
    def __init__(self, app: ASGIApp, sock: socket.socket, *, name: str, **config: object) -> None:
        self.sock = sock
        self.name = name
        self._config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                      **config)  # type: ignore[arg-type]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, *, wait: bool = False) -> None:
        """Serve in the background; ``wait`` returns only once uvicorn says it has started."""
        server = self._server = uvicorn.Server(self._config)
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[self.sock])),
                                        name=self.name, daemon=True)
        self._thread.start()
        if wait:
            wait_until(lambda: server.started, timeout=10, message=f"{self.name} start")

    def stop(self) -> None:
        """Ask uvicorn to exit and wait (10 s at most) for its thread; the socket stays the caller's."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
