"""Fault injection: make the next N matching provider calls slow or fail.

Tests use this to prove that activities retry on 429/5xx and give up on other 4xx.
Only provider API prefixes are affected, never the admin or page routes.

``phase="before"`` (the default) answers the error instead of running the route, as a load balancer or a
rate limiter does. ``phase="after"`` runs the route first (its changes stay) and then answers the error;
``phase="during"`` fails as the route starts executing and changes nothing. Those two are how a provider
fails while executing: for Stripe the error is then stored under the request's idempotency key and
replayed, like the real API (see :mod:`sandbox.stripe_common`).

A 429 carries ``Retry-After`` and, like DocuSign and SendGrid, ``X-RateLimit-Limit/-Remaining/-Reset`` (the
reset as Unix seconds), unless ``headers`` says otherwise; ``retry_after_seconds`` sets both.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.errors import provider_error_for_path

PROVIDER_PREFIXES: tuple[str, ...] = ("/restapi/", "/v3/", "/v1/", "/oauth/")
AFTER_FAULT = "sandbox_after_fault"


@dataclass
class Fault:
    """One rule: ``route`` is ``"<METHOD> <path-regex>"`` (METHOD may be ``*``)."""

    route: str
    status: int | None = 500
    delay_seconds: float = 0.0
    count: int = 1
    body: Any = None
    phase: str = "before"
    #: Response headers to send instead of the default 429 headers (``{}`` sends none).
    headers: dict[str, str] | None = None
    retry_after_seconds: float = 1.0
    method: str = field(init=False)
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        method, _, regex = self.route.strip().partition(" ")
        if not regex:
            method, regex = "*", method
        self.method = method.upper()
        self.pattern = re.compile(regex.strip())
        if self.phase not in ("before", "during", "after"):
            raise ValueError(f"phase must be 'before', 'during' or 'after', not {self.phase!r}")

    def matches(self, method: str, path: str) -> bool:
        """Regex is searched (not fully matched) so short patterns like ``/envelopes`` work."""
        return self.method in ("*", method.upper()) and self.pattern.search(path) is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON view for the admin API."""
        return {
            "route": self.route,
            "status": self.status,
            "delay_seconds": self.delay_seconds,
            "count": self.count,
            "body": self.body,
            "phase": self.phase,
            "headers": self.headers,
            "retry_after_seconds": self.retry_after_seconds,
        }

    def response(self, path: str) -> Response:
        """The provider-shaped error this fault answers with."""
        assert self.status
        response: Response = provider_error_for_path(path, self.status, f"Sandbox injected fault ({self.status})")
        if self.body is not None:
            response = JSONResponse(self.body, status_code=self.status)
        for name, value in self.response_headers().items():
            response.headers[name] = value
        return response

    def response_headers(self) -> dict[str, str]:
        if self.headers is not None:
            return dict(self.headers)
        if self.status != 429:
            return {}
        wait = max(self.retry_after_seconds, 0.0)
        return {"Retry-After": str(math.ceil(wait)), "X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(math.ceil(time.time() + wait))}


class FaultRegistry:
    """Active rules; a rule is consumed by each match and removed when its count reaches 0."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Return and consume the first matching rule, if any."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None


class FaultMiddleware:
    """ASGI middleware applying :class:`FaultRegistry` rules before the route runs."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROVIDER_PREFIXES):
            await self.app(scope, receive, send)
            return
        fault = self.registry.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_seconds > 0:
            await asyncio.sleep(fault.delay_seconds)
        if not fault.status:
            await self.app(scope, receive, send)
            return
        if fault.phase in ("during", "after"):
            scope.setdefault("state", {})[AFTER_FAULT] = fault
            if scope["path"].startswith("/v1/"):  # Stripe's endpoint wrapper answers (and stores) the error
                await self.app(scope, receive, send)
                return
        if fault.phase == "after":

            async def swallow(message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
        await fault.response(scope["path"])(scope, receive, send)


def after_fault(scope: Scope) -> Fault | None:
    """The ``phase="during"|"after"`` fault of this request, if one was taken (Stripe's wrapper answers it)."""
    state = scope.get("state") or {}
    fault = state.get(AFTER_FAULT)
    return fault if isinstance(fault, Fault) else None
