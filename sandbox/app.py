"""Assemble the sandbox Starlette app from the per-provider route modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response

from sandbox import admin, docusign, docusign_oauth, docusign_signing, pages, sendgrid, stripe_api
from sandbox.config import SandboxConfig
from sandbox.errors import ProviderError
from sandbox.faults import FaultMiddleware
from sandbox.recorder import Recorder, RecordingMiddleware
from sandbox.runtime import Runtime
from sandbox.stripe_api import ensure_preloaded_accounts


async def _provider_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProviderError)
    return exc.response


def _allowed_hosts(config: SandboxConfig) -> list[str]:
    """Review m9 (DNS rebinding): loopback names, the configured host and public URL's host; ``*.test`` is
    reserved (RFC 6761, never in public DNS) for test suites."""
    public = urlsplit(config.base_url).hostname
    hosts = ["127.0.0.1", "localhost", "[::1]", "::1", config.host, *([public] if public else []), "*.test"]
    return list(dict.fromkeys(h for h in hosts if h and h != "0.0.0.0"))


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the app; state lives in ``app.state.sandbox`` (a :class:`sandbox.runtime.Runtime`).

    The webhook pump starts with the ASGI lifespan, so serve it with lifespan enabled
    (``serve``/``running_sandbox`` do). One app may be served by several listeners
    (plain HTTP + TLS for OAuth) as long as only one of them runs the lifespan.
    """
    rt = Runtime.build(config or SandboxConfig())
    ensure_preloaded_accounts(rt)
    rt.state.commit()
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=_allowed_hosts(rt.config)),  # S3: m9
                  Middleware(FaultMiddleware, registry=rt.faults)]
    if rt.config.record_dir is not None:
        recorder = Recorder(rt.config.record_dir)
        rt.webhooks.recorder = recorder
        middleware.insert(0, Middleware(RecordingMiddleware, recorder=recorder))  # outermost: the wire

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await rt.webhooks.start()
        try:
            yield
        finally:
            await rt.webhooks.stop()

    app = Starlette(
        routes=[
            *admin.routes,
            *docusign_oauth.routes,
            *docusign.routes,
            *docusign_signing.routes,
            *sendgrid.routes,
            *stripe_api.routes,
            *pages.routes,
        ],
        middleware=middleware,
        exception_handlers={ProviderError: _provider_error},
        lifespan=lifespan,
    )
    app.state.sandbox = rt
    return app
