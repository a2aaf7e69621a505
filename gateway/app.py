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
from gateway import health, portal, webhooks_docusign, webhooks_sendgrid, webhooks_stripe
from gateway.edge_settings import edge_view
from gateway.headers import baseline, edge_middleware, origin_of, server_error_handler
from gateway.signals import ClientProvider, Gateway

log = logging.getLogger(__name__)


def _routers(gw: Gateway, codec: PayloadCodec | None) -> list[BaseRoute]:
    return [
        *health.routes(gw),
        *webhooks_docusign.routes(gw),
        *webhooks_stripe.routes(gw),
        *webhooks_sendgrid.routes(gw),
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
    ``gateway.client.LazyClient`` is the production one. No codec endpoint here: the codec service has its
    own listener (``codec_service``, review C1); ``codec`` is unused. ``signal_timeout`` bounds how
    long a webhook waits for Temporal before answering 503.
    """
    settings = edge_view(settings)  # M7: the edge never holds provider API keys, whatever it was given
    gw = Gateway(settings=settings, clients=client_provider, signal_timeout=signal_timeout)
    live = settings.mode == "live"
    forms_to = [o for o in [origin_of(settings.docusign.host)] if o]  # the sandbox's DocuSign when local
    return Starlette(routes=_routers(gw, codec), middleware=edge_middleware(
        live=live, public_url=settings.gateway.public_url, extra_hosts=settings.gateway.allowed_hosts,
        extra_form_targets=forms_to),
        exception_handlers={Exception: server_error_handler(baseline(live=live, extra_form_targets=forms_to))})
