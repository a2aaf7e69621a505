"""When Temporal is down, slow or the workflow is gone: the answers that make providers retry (or stop)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import cast

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from casefac.settings import Settings
from gateway.app import create_app
from gateway.client import LazyClient
from tests.gateway.gateway_kit import (
    DOCUSIGN_KEYS,
    STRIPE_SECRET,
    GatewayFactory,
    SendGridKey,
    StartRecorder,
    docusign_body,
    docusign_headers,
    sendgrid_event,
    stripe_body,
    stripe_headers,
    wait_for_signals,
)

Request = tuple[str, bytes, dict[str, str]]


def _requests(workflow_id: str, sendgrid_key: SendGridKey) -> dict[str, Request]:
    """One correctly signed, routable delivery per provider."""
    ds = docusign_body(workflow_id)
    st = stripe_body(workflow_id)
    sg = json.dumps([sendgrid_event("bounce", workflow_id.removeprefix("case-"), "sg-1")]).encode()
    return {
        "docusign": ("/webhooks/docusign", ds, docusign_headers(ds, DOCUSIGN_KEYS[0])),
        "stripe": ("/webhooks/stripe", st, stripe_headers(st, STRIPE_SECRET)),
        "sendgrid": ("/webhooks/sendgrid", sg, sendgrid_key.headers(sg)),
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _raising() -> Client:
    raise RuntimeError("Failed client connect: connection refused")


async def _hanging() -> Client:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def _closed_port_client() -> Callable[[], Awaitable[Client]]:
    """The production provider, pointed at a port nobody listens on."""
    address = f"127.0.0.1:{_closed_port()}"
    return LazyClient(lambda: Client.connect(address))


PROVIDERS = {"raising": lambda: _raising, "closed_port": _closed_port_client, "hanging": lambda: _hanging}


@pytest.mark.parametrize("provider", ["docusign", "stripe", "sendgrid"])
@pytest.mark.parametrize("temporal", list(PROVIDERS))
async def test_temporal_unreachable_is_503(
    gateway_for: GatewayFactory, sendgrid_key: SendGridKey, provider: str, temporal: str
) -> None:
    http = await gateway_for(PROVIDERS[temporal](), signal_timeout=0.3)
    url, body, headers = _requests("case-JIM-2026-0001", sendgrid_key)[provider]
    response = await http.post(url, content=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"]


async def test_the_same_delivery_succeeds_once_temporal_is_back(
    gateway_for: GatewayFactory, start_recorder: StartRecorder, temporal_client: Client, sendgrid_key: SendGridKey
) -> None:
    """Nothing lost: the provider's retry of a 503'd delivery lands once Temporal answers again."""
    up = False

    async def flaky() -> Client:
        if not up:
            raise RuntimeError("Failed client connect")
        return temporal_client

    http = await gateway_for(flaky)
    handle = await start_recorder("case-JIM-2026-")
    url, body, headers = _requests(handle.id, sendgrid_key)["docusign"]
    assert (await http.post(url, content=body, headers=headers)).status_code == 503
    up = True
    assert (await http.post(url, content=body, headers=headers)).status_code == 200
    assert len(await wait_for_signals(handle, 1)) == 1


@pytest.mark.parametrize("provider", ["docusign", "stripe", "sendgrid"])
async def test_workflow_not_found_is_200(
    gateway: httpx.AsyncClient, sendgrid_key: SendGridKey, provider: str
) -> None:
    url, body, headers = _requests("case-JIM-1999-9999", sendgrid_key)[provider]
    response = await gateway.post(url, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] in {"stale", "ok"}


async def test_closed_workflow_is_200(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, sendgrid_key: SendGridKey
) -> None:
    handle = await start_recorder("advocate-ADV-")
    await handle.terminate("test")
    url, body, headers = _requests(handle.id, sendgrid_key)["docusign"]
    response = await gateway.post(url, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "stale"


async def test_healthz_reports_temporal_reachability(gateway_for: GatewayFactory, temporal_client: Client) -> None:
    async def live() -> Client:
        return temporal_client

    up = await (await gateway_for(live)).get("/healthz")
    assert up.status_code == 200 and up.json()["temporal"]["reachable"] is True
    down = await (await gateway_for(_raising)).get("/healthz")
    assert down.status_code == 200 and down.json()["temporal"]["reachable"] is False


async def test_app_starts_without_touching_temporal(settings: Settings) -> None:
    calls = 0

    async def counting() -> Client:
        nonlocal calls
        calls += 1
        raise RuntimeError("down")

    create_app(settings, counting)
    assert calls == 0


@pytest.mark.parametrize("provider", ["docusign", "stripe", "sendgrid"])
async def test_missing_verification_secret_is_503_not_accepted(
    settings: Settings, sendgrid_key: SendGridKey, provider: str
) -> None:
    """A gateway that cannot verify must neither accept (forgeries) nor drop for good (401): 503 → retry."""
    blank = settings.model_copy(update={
        "docusign": settings.docusign.model_copy(update={"connect_hmac_keys": []}),
        "stripe": settings.stripe.model_copy(update={"webhook_secret": SecretStr("")}),
        "sendgrid": settings.sendgrid.model_copy(update={"webhook_public_key": None}),
    })
    app = create_app(blank, _raising)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test") as http:
        url, body, headers = _requests("case-JIM-2026-0001", sendgrid_key)[provider]
        response = await http.post(url, content=body, headers=headers)
    assert response.status_code == 503
    assert response.json()["status"] == "not_configured"


async def test_oversized_body_is_413(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/webhooks/docusign", content=b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 413


class _FailingHandle:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def signal(self, *args: object, **kwargs: object) -> None:
        raise self.error


class _FailingClient:
    """Answers every signal with ``error``: Temporal's answers the dev server cannot be made to give."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_workflow_handle(self, workflow_id: str) -> _FailingHandle:
        return _FailingHandle(self.error)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b""), 200),
        (RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""), 503),
        (RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""), 503),
        (RPCError("busy", RPCStatusCode.RESOURCE_EXHAUSTED, b""), 503),
        (RPCError("denied", RPCStatusCode.PERMISSION_DENIED, b""), 500),
        (ValueError("codec failed"), 500),
    ],
    ids=["not_found", "unavailable", "deadline", "exhausted", "permission_denied", "unexpected"],
)
async def test_temporal_answers_map_to_http(
    gateway_for: GatewayFactory, sendgrid_key: SendGridKey, error: Exception, status: int
) -> None:
    async def provider() -> Client:
        return cast(Client, _FailingClient(error))

    http = await gateway_for(provider)
    url, body, headers = _requests("case-JIM-2026-0001", sendgrid_key)["stripe"]
    assert (await http.post(url, content=body, headers=headers)).status_code == status
