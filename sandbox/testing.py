"""Run the sandbox in a background thread for tests, integration runs and the demo.

    with running_sandbox(SandboxConfig(stripe_webhook_url=...)) as sb:
        StripeClient(sb.config.stripe_api_key, base_addresses={"api": sb.base_url})

    async with running_sandbox(cfg, oauth_tls=True) as sb:   # same object, async form
        ...

Startup waits by polling ``/healthz`` (no fixed sleeps); exit stops uvicorn gracefully.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from sandbox.config import SandboxConfig
from sandbox.runtime import Runtime
from sandbox.server import SandboxServers, prepare

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02, message: str = "condition"
) -> T:
    """Poll ``predicate`` until it returns something truthy; return that value or raise ``TimeoutError``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class RunningSandbox:
    """A sandbox served from a daemon thread on free loopback port(s).

    Attributes once started:
      * ``base_url`` - ``http://127.0.0.1:PORT`` (REST APIs, pages, admin);
      * ``config`` - the effective :class:`SandboxConfig` (real port and public URL filled in);
      * ``docusign_host`` - ``base_url + "/restapi"`` for ``docusign_esign.ApiClient(host=...)``;
      * ``oauth_host_name`` - ``127.0.0.1:PORT2`` of the TLS listener (``oauth_tls=True``) else ``None``;
      * ``ca_file`` - PEM path to trust for the TLS listener (``ssl_ca_cert``/``verify=``) or ``None``;
      * ``app`` / ``runtime`` - the Starlette app and its state (for white-box assertions).
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        oauth_tls: bool = False,
        startup_timeout: float = 15.0,
        log_level: str = "warning",
    ) -> None:
        requested = config or SandboxConfig()
        if "port" not in requested.model_fields_set:
            requested = requested.model_copy(update={"port": 0})
        self._requested = requested
        self._certfile = certfile
        self._keyfile = keyfile
        self._oauth_tls = oauth_tls
        self._startup_timeout = startup_timeout
        self._log_level = log_level
        self._servers: SandboxServers | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # -- attributes ------------------------------------------------------------------
    @property
    def servers(self) -> SandboxServers:
        if self._servers is None:
            raise RuntimeError("sandbox not started")
        return self._servers

    @property
    def config(self) -> SandboxConfig:
        return self.servers.config

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def docusign_host(self) -> str:
        return f"{self.base_url}/restapi"

    @property
    def oauth_host_name(self) -> str | None:
        oauth = self.servers.oauth
        return oauth.netloc if oauth else None

    @property
    def ca_file(self) -> str | None:
        return str(self.servers.certfile) if self.servers.certfile else None

    @property
    def app(self) -> Starlette:
        return self.servers.app

    @property
    def runtime(self) -> Runtime:
        rt: Runtime = self.servers.app.state.sandbox
        return rt

    # -- admin shortcuts ---------------------------------------------------------------
    def admin(self, method: str, path: str, json: Any = None) -> Any:
        """Call an admin endpoint (``/_sandbox/...``) and return its JSON."""
        response = httpx.request(method, self.base_url + path, json=json, timeout=10)
        response.raise_for_status()
        return response.json()

    def webhooks(self, **filters: str) -> list[dict[str, Any]]:
        """Deliveries (``provider=``, ``event=``, ``pending=``) from ``/_sandbox/webhooks``."""
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        result: list[dict[str, Any]] = self.admin("GET", f"/_sandbox/webhooks?{query}")
        return result

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> RunningSandbox:
        certfile, keyfile, oauth_port = self._certfile, self._keyfile, None
        if self._oauth_tls:
            oauth_port = 0
        self._servers = prepare(
            self._requested,
            certfile=certfile,
            keyfile=keyfile,
            oauth_port=oauth_port,
            log_level=self._log_level,
        )
        self._thread = threading.Thread(target=self._run, name="sandbox-server", daemon=True)
        self._thread.start()
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self.servers.run())
        except BaseException as exc:
            self._error = exc

    def _wait_healthy(self) -> None:
        def healthy() -> bool:
            if self._error is not None or (self._thread is not None and not self._thread.is_alive()):
                raise RuntimeError(f"sandbox failed to start: {self._error!r}")
            if not self.servers.started:
                return False
            for listener in self.servers.listeners:
                try:
                    verify: Any = (
                        ssl.create_default_context(cafile=self.ca_file) if listener.tls and self.ca_file else True
                    )
                    if httpx.get(listener.url + "/healthz", verify=verify, timeout=2).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
            return True

        wait_until(healthy, timeout=self._startup_timeout, message="sandbox /healthz")

    def stop(self) -> None:
        if self._servers is not None:
            self._servers.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> RunningSandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> RunningSandbox:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


def running_sandbox(
    config: SandboxConfig | None = None,
    *,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
    oauth_tls: bool = False,
    startup_timeout: float = 15.0,
    log_level: str = "warning",
) -> RunningSandbox:
    """A sandbox to use as ``with`` or ``async with``; binds a free port unless ``config.port`` is set.

    ``oauth_tls=True`` adds an HTTPS listener (self-signed for 127.0.0.1 unless ``certfile``/``keyfile``
    are given) for DocuSign's JWT grant; ``certfile``/``keyfile`` without ``oauth_tls`` make the main
    listener HTTPS.
    """
    return RunningSandbox(
        config,
        certfile=certfile,
        keyfile=keyfile,
        oauth_tls=oauth_tls,
        startup_timeout=startup_timeout,
        log_level=log_level,
    )
