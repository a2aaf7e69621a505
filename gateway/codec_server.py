"""``/codec/encode`` and ``/codec/decode``: the Temporal codec-server protocol, for the Web UI and CLI.

Finance reads cases in the Temporal Web UI; payloads there are ciphertext until the UI posts them here.
Protocol: POST a ``Payloads`` proto as proto-JSON (``{"payloads": [{"metadata": {k: b64}, "data": b64}]}``)
and get the same shape back. The UI also sends ``X-Namespace``; there is one key ring, so it is accepted
and ignored.

Because this endpoint turns ciphertext into client data, it needs the codec token, and only the
configured UI origin gets CORS grants (a page from any other origin cannot read answers). The token comes
either as ``Authorization: Bearer <codec_token>`` on ``/codec/encode|decode`` (the CLI, scripts) or as a
path segment, ``/codec/<codec_token>/encode|decode``: the Temporal Web UI cannot send a bearer token of
our choosing, so ``casefac up`` configures it with ``--ui-codec-endpoint …/codec/<token>``. Both forms
compare in constant time; the gateway keeps no access log, so the path form does not leak into logs.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence

from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, Router
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from casefac.codec import PayloadDecryptionError, codec_from_settings
from casefac.keyring import KeyRingError
from casefac.settings import Settings
from gateway.httputil import BodyTooLarge, answer, read_body, too_large

log = logging.getLogger(__name__)

#: The UI batches a whole history page into one request.
MAX_CODEC_BODY = 32 * 1024 * 1024
ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Namespace"]


class CodecSource:
    """The codec, loaded from the key ring on first use so a missing ring fails this endpoint, not the app."""

    def __init__(self, settings: Settings, codec: PayloadCodec | None = None) -> None:
        self._settings = settings
        self._codec = codec

    def get(self) -> PayloadCodec:
        if self._codec is None:
            self._codec = codec_from_settings(self._settings)
        return self._codec


def bearer_ok(header: str | None, token: str) -> bool:
    """Constant-time check of ``Authorization: Bearer <token>``; an empty configured token admits no one."""
    if not header or not token:
        return False
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode("utf-8"), token.encode("utf-8"))


def token_ok(presented: str, token: str) -> bool:
    """Constant-time check of a token given in the path; an empty configured token admits no one."""
    if not presented or not token:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8"))


Authorize = Callable[[Request], bool]
CodecFn = Callable[[PayloadCodec, Sequence[Payload]], Awaitable[list[Payload]]]


async def _encode(codec: PayloadCodec, payloads: Sequence[Payload]) -> list[Payload]:
    return await codec.encode(payloads)


async def _decode(codec: PayloadCodec, payloads: Sequence[Payload]) -> list[Payload]:
    return await codec.decode(payloads)


def routes(settings: Settings, codec: PayloadCodec | None = None) -> list[BaseRoute]:
    """A ``/codec`` mount with its own CORS policy, so CORS grants never extend to webhooks or portal."""
    source = CodecSource(settings, codec)
    token = settings.gateway.codec_token.get_secret_value()
    if not token:
        log.error("no codec token configured: /codec answers 401 to everyone")

    def by_header(request: Request) -> bool:
        return bearer_ok(request.headers.get("authorization"), token)

    def by_path(request: Request) -> bool:
        return token_ok(str(request.path_params.get("token", "")), token)

    def handler(operation: str, fn: CodecFn, authorized: Authorize) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not authorized(request):
                return answer(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
            try:
                body = await read_body(request, MAX_CODEC_BODY)
            except BodyTooLarge:
                return too_large()
            try:
                payloads = json_format.Parse(body, Payloads())
            except (json_format.ParseError, UnicodeDecodeError):
                return answer(400, "invalid_payloads")
            try:
                result = await fn(source.get(), payloads.payloads)
            except KeyRingError:
                log.exception("codec %s: key ring unavailable", operation)
                return answer(503, "key_ring_unavailable")
            except PayloadDecryptionError as exc:
                log.warning("codec %s: %s", operation, exc)  # names the key id, nothing else
                return answer(400, "cannot_decrypt", key_id=exc.key_id, message=str(exc))
            return Response(json_format.MessageToJson(Payloads(payloads=result)),
                            media_type="application/json")

        endpoint.__name__ = f"codec_{operation}"
        return endpoint

    router = Router(routes=[
        Route("/encode", handler("encode", _encode, by_header), methods=["POST"]),
        Route("/decode", handler("decode", _decode, by_header), methods=["POST"]),
        Route("/{token}/encode", handler("encode", _encode, by_path), methods=["POST"]),
        Route("/{token}/decode", handler("decode", _decode, by_path), methods=["POST"]),
    ])
    app = CORSMiddleware(
        router,
        allow_origins=[settings.gateway.ui_origin.rstrip("/")],
        allow_methods=["POST"],
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=True,  # the UI's "include credentials" option sends cookies
        max_age=600,
    )
    return [Mount("/codec", app=app)]
