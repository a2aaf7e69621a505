"""Run the sandbox with uvicorn: one app, a main listener and optionally a TLS OAuth listener.

The DocuSign SDK hard-codes ``https://{oauth_host}/oauth/token``, so when the REST API is
plain HTTP a second TLS listener (``oauth_port``) serves the same app and the same state.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.tls import generate_self_signed_cert

log = logging.getLogger(__name__)


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before the app exists so port 0 works and links can carry the real port.

    ``IPPROTO_TCP`` (not 0) matters: asyncio only sets TCP_NODELAY on accepted sockets whose protocol says
    TCP, and without it every keep-alive request waits ~40 ms on Nagle + delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


@dataclass
class Listener:
    """One bound socket and the uvicorn server that serves the app on it."""

    name: str
    sock: socket.socket
    tls: bool
    server: uvicorn.Server | None = None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def host(self) -> str:
        return str(self.sock.getsockname()[0])

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.netloc}"


@dataclass
class SandboxServers:
    """The prepared app and its listeners; :meth:`run` serves them all on the current loop."""

    config: SandboxConfig
    app: Starlette
    listeners: list[Listener]
    certfile: Path | None = None
    _servers: list[uvicorn.Server] = field(default_factory=list)

    @property
    def main(self) -> Listener:
        return self.listeners[0]

    @property
    def oauth(self) -> Listener | None:
        return next((listener for listener in self.listeners if listener.name == "oauth"), None)

    @property
    def started(self) -> bool:
        return all(listener.server is not None and listener.server.started for listener in self.listeners)

    async def run(self) -> None:
        """Serve until any listener stops (signal or :meth:`stop`), then stop the rest."""
        tasks = [
            asyncio.create_task(listener.server.serve(sockets=[listener.sock]))
            for listener in self.listeners
            if listener.server is not None
        ]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        self.stop()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()

    def stop(self) -> None:
        """Ask every listener to exit gracefully (thread-safe flag)."""
        for listener in self.listeners:
            if listener.server is not None:
                listener.server.should_exit = True

    def close_sockets(self) -> None:
        for listener in self.listeners:
            listener.sock.close()


def prepare(
    config: SandboxConfig | None = None,
    *,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
    oauth_port: int | None = None,
    log_level: str = "info",
) -> SandboxServers:
    """Bind sockets, fix up ``config`` (real port, public URL) and build app + uvicorn servers.

    * no TLS args: one plain-HTTP listener on ``config.host:config.port``;
    * ``certfile``/``keyfile`` only: that listener is HTTPS;
    * ``oauth_port`` (0 = any free port): main listener plain HTTP plus an HTTPS listener of the
      same app for DocuSign OAuth; without ``certfile`` a self-signed loopback cert is generated.
    """
    config = config or SandboxConfig()
    main = bind_socket(config.host, config.port)
    main_tls = certfile is not None and oauth_port is None
    listeners = [Listener("main", main, tls=main_tls)]
    if oauth_port is not None:
        if certfile is None:
            certfile, keyfile = generate_self_signed_cert(
                Path(tempfile.mkdtemp(prefix="sandbox-tls-")), (config.host, "localhost")
            )
            log.info("sandbox: generated self-signed OAuth certificate %s", certfile)
        listeners.append(Listener("oauth", bind_socket(config.host, oauth_port), tls=True))
    if certfile is not None and keyfile is None:
        raise ValueError("keyfile is required with certfile")
    update: dict[str, object] = {"port": listeners[0].port}
    if config.public_base_url is None:
        update["public_base_url"] = listeners[0].url
    config = config.model_copy(update=update)
    app = create_app(config)
    for index, listener in enumerate(listeners):
        uv_config = uvicorn.Config(
            app,
            log_level=log_level,
            lifespan="on" if index == 0 else "off",
            ssl_certfile=str(certfile) if listener.tls else None,
            ssl_keyfile=str(keyfile) if listener.tls else None,
            access_log=log_level == "debug",
        )
        listener.server = uvicorn.Server(uv_config)
    return SandboxServers(config, app, listeners, Path(certfile) if certfile else None)


def serve(
    config: SandboxConfig | None = None,
    *,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
    oauth_port: int | None = None,
    log_level: str = "info",
) -> None:
    """Run the sandbox in the foreground until Ctrl-C / SIGTERM (see :func:`prepare` for TLS)."""
    servers = prepare(config, certfile=certfile, keyfile=keyfile, oauth_port=oauth_port, log_level=log_level)
    for listener in servers.listeners:
        print(f"sandbox {listener.name} listening on {listener.url}", flush=True)
    if servers.certfile is not None:
        print(f"sandbox TLS certificate (trust it as the CA): {servers.certfile}", flush=True)
    try:
        asyncio.run(servers.run())
    except KeyboardInterrupt:
        pass
    finally:
        servers.close_sockets()
