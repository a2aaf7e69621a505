"""``create_app``: the gateway's ASGI app, composed from one router module per concern.

Nothing here touches Temporal at start-up: the client comes from ``client_provider`` on first use, so the
app serves (and answers 503 to providers) while Temporal is down. Portal pages plug in as one more entry
in ``_routers`` (``gateway.portal.routes(gw)``), sharing the same ``Gateway`` context.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from temporalio.converter import PayloadCodec

from casefac.settings import Settings
from gateway import codec_server, health, portal, webhooks_docusign, webhooks_sendgrid, webhooks_stripe
from gateway.signals import ClientProvider, Gateway

log = logging.getLogger(__name__)


def _routers(gw: Gateway, codec: PayloadCodec | None) -> list[BaseRoute]:
    return [
        *health.routes(gw),
        *webhooks_docusign.routes(gw),
        *webhooks_stripe.routes(gw),
        *webhooks_sendgrid.routes(gw),
        *codec_server.routes(gw.settings, codec),
        *portal.routes(gw),
    ]


def create_app(
    settings: Settings,
    client_provider: ClientProvider,
    *,
    codec: PayloadCodec | None = None,
    signal_timeout: float = 8.0,
) -> Starlette:
    """The gateway app.

    ``client_provider`` is awaited per request and may raise while Temporal is unreachable (→ 503);
    ``gateway.client.LazyClient`` is the production one. ``codec`` serves ``/codec``; by default the key
    ring at ``settings.keyring_path`` is loaded on the first codec request. ``signal_timeout`` bounds how
    long a webhook waits for Temporal before answering 503.
    """
    gw = Gateway(settings=settings, clients=client_provider, signal_timeout=signal_timeout)
    return Starlette(routes=_routers(gw, codec))
