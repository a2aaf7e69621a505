"""Review m3 for Stripe: a signed event is taken only as ``application/json`` (as SendGrid and DocuSign are).

The check follows the signature check: without our secret the answer stays 401 whatever the headers, so a
prober learns nothing about which check failed.
"""

from __future__ import annotations

import httpx
import pytest

from casefac.events import Signal
from tests.gateway.gateway_kit import (
    STRIPE_SECRET,
    StartRecorder,
    signals_after_probe,
    stripe_body,
    stripe_headers,
    wait_for_signals,
)

URL = "/webhooks/stripe"


def signed(body: bytes, content_type: str | None, secret: str = STRIPE_SECRET) -> dict[str, str]:
    headers = {k: v for k, v in stripe_headers(body, secret).items() if k != "Content-Type"}
    return headers | ({"Content-Type": content_type} if content_type is not None else {})


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                                          None], ids=["text", "form", "jsonp", "missing"])
async def test_a_signed_event_that_is_not_json_is_415_and_signals_nothing(
        gateway: httpx.AsyncClient, start_recorder: StartRecorder, content_type: str | None) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id)
    response = await gateway.post(URL, content=body, headers=signed(body, content_type))
    assert response.status_code == 415, response.text
    assert response.json()["status"] == "unsupported_media_type"
    assert await signals_after_probe(handle) == []


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON"])
async def test_json_with_any_parameters_is_taken(gateway: httpx.AsyncClient, start_recorder: StartRecorder,
                                                 content_type: str) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id, event_id="evt_json")
    response = await gateway.post(URL, content=body, headers=signed(body, content_type))
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.INVOICE_EVENT and got.payload["event_id"] == "evt_json"


async def test_a_forgery_is_401_whatever_its_content_type(gateway: httpx.AsyncClient,
                                                          start_recorder: StartRecorder) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id)
    response = await gateway.post(URL, content=body, headers=signed(body, "text/plain", secret="whsec_attacker"))
    assert response.status_code == 401, response.text
    assert await signals_after_probe(handle) == []
