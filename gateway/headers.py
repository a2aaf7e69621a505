"""The security-header baseline on every gateway response (review M3, m1), not only on rendered pages.

Portal URLs hold a party's capability token, so no response may be cached by a shared cache or leak the
URL in a ``Referer`` (redirects to DocuSign included). Starlette's own 404/405/500 pages, the JSON answers
to providers and the redirect after "sign" carried none of this before; a pure ASGI middleware adds it to
whatever the routes answer. ``form-action`` does not fall back to ``default-src``: it names DocuSign
because the sign form's 303 goes there (Chrome applies ``form-action`` to that redirect).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: DocuSign's signing hosts (demo and production), where the sign form's redirect goes.
DOCUSIGN_FORM_TARGETS = ("https://*.docusign.net", "https://*.docusign.com")
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(extra_form_targets: Iterable[str] = ()) -> str:
    targets = " ".join(dict.fromkeys(["'self'", *DOCUSIGN_FORM_TARGETS, *extra_form_targets]))
    return ("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; "
            f"frame-src 'none'; form-action {targets}")


def baseline(*, live: bool, extra_form_targets: Iterable[str] = ()) -> dict[str, str]:
    """The headers every response carries; HSTS only in live mode (the local stack is plain http)."""
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": content_security_policy(extra_form_targets),
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    }
    if live:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def origin_of(url: str) -> str | None:
    """``http://127.0.0.1:8300/restapi`` → ``http://127.0.0.1:8300`` (the sandbox's DocuSign)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class SecurityHeaders:
    """Sets the baseline on every ``http.response.start``; it wins over a route's own value."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    out[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


#: Loopback names, always allowed (health checks and the local stack). ``*.test`` is reserved (RFC 6761) and
#: never resolves in public DNS, so a rebinding page cannot use it: the test suites' hosts, sandbox mode only.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")


def allowed_hosts(public_url: str, *, live: bool, extra: Iterable[str] = ()) -> list[str]:
    """The ``Host`` values the gateway answers (review m9: DNS rebinding against loopback services)."""
    host = urlsplit(public_url).hostname
    hosts = [*LOOPBACK_HOSTS, *([host] if host else []), *extra]
    if not live:
        hosts.append("*.test")
    return list(dict.fromkeys(hosts))


def edge_middleware(*, live: bool, public_url: str, extra_hosts: Iterable[str] = (),
                    extra_form_targets: Iterable[str] = ()) -> list[Middleware]:
    """Host check first (a rebinding request gets a bare 400), then the header baseline on every answer."""
    return [Middleware(SecurityHeaders, headers=baseline(live=live, extra_form_targets=extra_form_targets)),
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(public_url, live=live, extra=extra_hosts))]


def server_error_handler(headers: dict[str, str]) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Starlette answers a crash outside every middleware (``ServerErrorMiddleware``): this handler gives
    that 500 the baseline too, with a bare body (no traceback, no URL)."""

    async def handle(_request: Request, _exc: Exception) -> Response:
        return PlainTextResponse("Internal Server Error", status_code=500, headers=headers)

    return handle
