"""The parties' portal: pages reached by signed, expiring, single-purpose links (``/p/<token>``).

Defenders and Advocates have no accounts: the link in their email names one action for one party on one
case, and the page for that action is rendered from the case's ``status`` query and answered with one
workflow update whose actor comes from the verified link, never from the form. Server-rendered HTML, no
JavaScript, small pages, Spanish or English. ``routes(gw)`` plugs it into the gateway app.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from gateway.signals import Gateway


def routes(gw: Gateway) -> list[BaseRoute]:
    """The portal's routes, sharing the gateway's settings and lazy Temporal client."""
    from gateway.portal.router import portal_routes

    return portal_routes(gw)
