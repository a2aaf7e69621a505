"""Fault injection: make the next N matching provider calls slow or fail.

Tests use this to prove that activities retry on 429/5xx and give up on other 4xx.
Only provider API prefixes are affected, never the admin or page routes.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.errors import provider_error_for_path

PROVIDER_PREFIXES: tuple[str, ...] = ("/restapi/", "/v3/", "/v1/", "/oauth/")


@dataclass
class Fault:
    """One rule: ``route`` is ``"<METHOD> <path-regex>"`` (METHOD may be ``*``)."""

    route: str
    status: int | None = 500
    delay_seconds: float = 0.0
    count: int = 1
    body: Any = None
    method: str = field(init=False)
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        method, _, regex = self.route.strip().partition(" ")
        if not regex:
            method, regex = "*", method
        self.method = method.upper()
        self.pattern = re.compile(regex.strip())

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
        }


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
        response = provider_error_for_path(scope["path"], fault.status, f"Sandbox injected fault ({fault.status})")
        if fault.body is not None:
            response = JSONResponse(fault.body, status_code=fault.status)
        if fault.status == 429:
            response.headers["Retry-After"] = "1"
        await response(scope, receive, send)
