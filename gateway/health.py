"""``GET /healthz``: is the gateway up, and can it reach Temporal right now?

Always 200 while the process serves HTTP (a supervisor should not restart the gateway because Temporal is
down: the gateway is what keeps answering 503 so providers retry). For a loopback caller (``casefac up``,
people on the host) the body says whether Temporal is reachable, cached for a few seconds; the internet
gets ``{"status": "ok"}`` and nothing else (review m4).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.signals import Gateway

log = logging.getLogger(__name__)

HEALTH_TIMEOUT = 3.0


async def temporal_reachable(gw: Gateway) -> bool:
    """One health RPC without retries, bounded in time: never hangs the probe."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            client = await gw.clients()
            return await client.service_client.check_health(timeout=timedelta(seconds=HEALTH_TIMEOUT))
    except Exception as exc:  # any failure to connect or answer means "not reachable"
        log.debug("temporal health check failed: %s", type(exc).__name__)
        return False


#: Reachability is re-checked at most this often: probes do not each cost a Temporal RPC (review m4).
CACHE_SECONDS = 5.0
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def from_loopback(request: Request) -> bool:
    """A local probe (``casefac up``, the doctor), not the internet: a proxy in front of the gateway
    connects from loopback too, but says so with ``X-Forwarded-For`` / ``Forwarded``."""
    client = request.client.host if request.client else ""
    proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    return client in LOOPBACK and not proxied


class _Cached:
    """The last reachability answer and when it was taken; one check at a time."""

    def __init__(self) -> None:
        self.value: bool | None = None
        self.at = 0.0
        self.lock = asyncio.Lock()

    async def get(self, gw: Gateway) -> bool:
        async with self.lock:
            now = time.monotonic()
            if self.value is None or now - self.at >= CACHE_SECONDS:
                self.value = await temporal_reachable(gw)
                self.at = time.monotonic()
            return self.value


def routes(gw: Gateway) -> list[BaseRoute]:
    cached = _Cached()

    async def healthz(request: Request) -> Response:
        """Publicly only ``{"status": "ok"}`` (no addresses, no Temporal RPC); the details for loopback."""
        if not from_loopback(request):
            return JSONResponse({"status": "ok"})
        reachable = await cached.get(gw)
        return JSONResponse({
            "status": "ok",
            "temporal": {
                "reachable": reachable,
                "address": gw.settings.temporal.address,
                "namespace": gw.settings.temporal.namespace,
            },
        })

    return [Route("/healthz", healthz, methods=["GET"])]
