"""The codec service's ASGI app: ``POST /decode`` (and ``/encode`` when enabled), nothing else.

Protocol (Temporal codec server): POST a ``Payloads`` proto as proto-JSON and get the same shape back.
Order of checks, cheapest and least revealing first: Host (DNS rebinding, loopback mode), Origin (only
the Temporal UI's), a per-client rate limit, ``X-Namespace``, the person (``auth``), then the body.
No secret travels in a URL: there is no ``/<token>/`` route. CORS grants go to the UI's origin only and
never with credentials (no cookies are involved).

Decoding here has no workflow context (the UI does not send one), so it reads any binding; the workflow
each payload is bound to (``casefac.codec``, clear metadata) is what the audit log records. Plain
payloads (patch markers, server-written details, or an attacker's forgery) are returned as they are:
displaying them reveals nothing, and workers refuse them on their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payload, Payloads

from casefac.codec import ENCODING, EncryptionCodec, PayloadDecryptionError, codec_from_settings
from casefac.keyring import KeyRingError
from casefac.settings import Settings
from codec_service.audit import AuditLog
from codec_service.auth import Authenticator, AuthError, Principal, authenticator
from codec_service.redact import redact_payload

log = logging.getLogger("casefac.codec")

#: The UI batches a whole history page into one request.
MAX_BODY = 32 * 1024 * 1024
ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Namespace"]
WORKFLOW_HEADER = "x-casefac-workflow-id"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _refuse(status: int, error: str, **extra: object) -> Response:
    return JSONResponse({"error": error, **extra}, status_code=status, headers=_NO_STORE)


class RateLimit:
    """At most ``per_minute`` requests per client key in any sliding minute (brute force, bulk export)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self._clock()
        if len(self._seen) > 10_000:  # many clients: forget the idle ones, so memory stays bounded
            for idle in [k for k, w in self._seen.items() if not w or w[-1] <= now - 60]:
                del self._seen[idle]
        window = self._seen[key]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


class _LazyCodec:
    """The key ring loads on first use, so a missing ring answers 503 instead of stopping the service."""

    def __init__(self, settings: Settings, codec: EncryptionCodec | None) -> None:
        self._settings, self._codec = settings, codec

    def get(self) -> EncryptionCodec:
        if self._codec is None:
            self._codec = codec_from_settings(self._settings)
        return self._codec


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings, *, codec: EncryptionCodec | None = None,
               auth: Authenticator | None = None, audit: AuditLog | None = None,
               rate_limit: RateLimit | None = None) -> Starlette:
    cfg = settings.codec
    origin = cfg.ui_origin.rstrip("/")
    namespace = settings.temporal.namespace
    loopback = cfg.auth == "loopback"
    people = auth or authenticator(cfg)
    audit_log = audit or AuditLog(cfg.audit_file or settings.data_dir / "codec-audit.jsonl")
    limiter = rate_limit or RateLimit(cfg.requests_per_minute)
    source = _LazyCodec(settings, codec)

    def handler(operation: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            client = request.client.host if request.client else "?"
            sent_origin = request.headers.get("origin")
            if sent_origin is not None and sent_origin.rstrip("/") != origin:
                return _refuse(403, "origin_not_allowed")
            if loopback and sent_origin is None:
                # The dev codec has no login: only the UI's pages (which always send Origin) may use it.
                return _refuse(403, "origin_required")
            if not limiter.allow(f"ip:{client}"):
                return _refuse(429, "rate_limited")
            sent_ns = request.headers.get("x-namespace")
            if (sent_ns is None and not loopback) or (sent_ns is not None and sent_ns != namespace):
                return _refuse(403, "namespace_not_allowed", namespace=sent_ns)
            try:
                header = request.headers.get("authorization")
                # A JWKS URL may be fetched (then cached): off the event loop.
                who = people.authenticate(header) if loopback else await asyncio.to_thread(people.authenticate,
                                                                                            header)
            except AuthError as exc:
                audit_log.record(subject="?", tier="-", operation=operation, namespace=namespace, workflows=[],
                                 payloads=0, client=client, outcome=f"refused {exc.status}: {exc.reason}")
                headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
                return JSONResponse({"error": "unauthorized" if exc.status == 401 else "forbidden"},
                                    status_code=exc.status, headers=_NO_STORE | headers)
            if not limiter.allow(f"sub:{who.subject}"):
                return _refuse(429, "rate_limited")
            if operation == "encode" and not (cfg.encode_enabled and who.tier == "coordinator"):
                return _refuse(403, "encode_not_allowed")
            body = await _read_body(request, MAX_BODY)
            if body is None:
                return _refuse(413, "too_large")
            try:
                payloads = list(json_format.Parse(body, Payloads()).payloads)
            except (json_format.ParseError, UnicodeDecodeError):
                return _refuse(400, "invalid_payloads")
            try:
                codec = source.get()
            except KeyRingError:
                log.exception("codec %s: key ring unavailable", operation)
                return _refuse(503, "key_ring_unavailable")
            try:
                result, workflows = (_decode(codec, payloads, who) if operation == "decode"
                                     else _encode(codec, payloads, request.headers.get(WORKFLOW_HEADER, "")))
            except PayloadDecryptionError as exc:
                audit_log.record(subject=who.subject, tier=who.tier, operation=operation, namespace=namespace,
                                 workflows=[], payloads=len(payloads), client=client,
                                 outcome=f"error: key {exc.key_id}")
                return _refuse(400, "cannot_decrypt", key_id=exc.key_id, message=str(exc))
            audit_log.record(subject=who.subject, tier=who.tier, operation=operation, namespace=namespace,
                             workflows=workflows, payloads=len(payloads), client=client, outcome="ok",
                             role=who.role)
            return Response(json_format.MessageToJson(Payloads(payloads=result)), media_type="application/json",
                            headers=_NO_STORE)

        endpoint.__name__ = f"codec_{operation}"
        return endpoint

    middleware = [Middleware(CORSMiddleware, allow_origins=[origin], allow_methods=["POST"],
                             allow_headers=ALLOWED_HEADERS, allow_credentials=False, max_age=600)]
    if loopback:  # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=_NO_STORE)  # nothing about keys, namespace or people

    routes = [Route("/decode", handler("decode"), methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    if cfg.encode_enabled:
        routes.append(Route("/encode", handler("encode"), methods=["POST"]))
    return Starlette(routes=routes, middleware=middleware)


def _decode(codec: EncryptionCodec, payloads: list[Payload], who: Principal) -> tuple[list[Payload], list[str]]:
    out, workflows = [], []
    for payload in payloads:
        if payload.metadata.get("encoding") == ENCODING:
            workflows.append(codec.bound_workflow(payload) or "(unbound)")
            payload = codec.open_sealed(payload)
        out.append(redact_payload(payload) if who.tier == "finance" else payload)
    return out, workflows


def _encode(codec: EncryptionCodec, payloads: list[Payload], workflow_id: str) -> tuple[list[Payload], list[str]]:
    return [codec.encrypt(p, workflow_id=workflow_id) for p in payloads], [workflow_id or "(unbound)"]


__all__ = ["RateLimit", "create_app"]
