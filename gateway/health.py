"""``GET /healthz``: is the gateway up, and can it reach Temporal right now?

Always 200 while the process serves HTTP (a supervisor should not restart the gateway because Temporal is
down: the gateway is what keeps answering 503 so providers retry). The body says whether Temporal is
reachable, for ``casefac up`` and people.
"""

from __future__ import annotations

import asyncio
import logging
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


def routes(gw: Gateway) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        reachable = await temporal_reachable(gw)
        return JSONResponse({
            "status": "ok",
            "temporal": {
                "reachable": reachable,
                "address": gw.settings.temporal.address,
                "namespace": gw.settings.temporal.namespace,
            },
        })

    return [Route("/healthz", healthz, methods=["GET"])]
