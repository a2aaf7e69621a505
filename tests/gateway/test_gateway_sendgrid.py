"""SendGrid event webhook: ECDSA verification, batch filtering, MailEvent routing to the case."""

from __future__ import annotations

import json

import httpx

from casefac.events import Signal
from tests.gateway.gateway_kit import (
    SendGridKey,
    StartRecorder,
    sendgrid_event,
    signals_after_probe,
    wait_for_signals,
)

URL = "/webhooks/sendgrid"


async def test_batch_signals_only_delivery_problems_of_case_mail(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, sendgrid_key: SendGridKey
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    case_id = handle.id.removeprefix("case-")
    body = json.dumps([
        sendgrid_event("processed", case_id, "sg-1"),
        sendgrid_event("delivered", case_id, "sg-2"),
        sendgrid_event("bounce", case_id, "sg-3", type="bounce", reason="550 no such user"),
        sendgrid_event("bounce", None, "sg-4"),                      # not a case's mail
        sendgrid_event("bounce", case_id, "sg-5", type="blocked"),   # a block reported as bounce
        sendgrid_event("open", case_id, "sg-6"),
    ]).encode()
    response = await gateway.post(URL, content=body, headers=sendgrid_key.headers(body))
    assert response.status_code == 200, response.text
    assert response.json()["signalled"] == 2
    got = await signals_after_probe(handle)
    assert [r.signal for r in got] == [Signal.MAIL_EVENT, Signal.MAIL_EVENT]
    assert [r.payload for r in got] == [
        {"event_id": "sg-3", "kind": "bounce", "message_kind": "contract_to_sign", "role": "defender"},
        {"event_id": "sg-5", "kind": "blocked", "message_kind": "contract_to_sign", "role": "defender"},
    ]


async def test_forged_or_unsigned_is_401_and_signals_nothing(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, sendgrid_key: SendGridKey
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = json.dumps([sendgrid_event("dropped", handle.id.removeprefix("case-"), "sg-x")]).encode()
    other = SendGridKey.generate()
    genuine = sendgrid_key.headers(body)
    attempts = [
        {"Content-Type": "application/json"},                                            # unsigned
        other.headers(body),                                                             # someone else's key
        sendgrid_key.headers(body.replace(b"dropped", b"bounce")),                       # signed other body
        genuine | {"X-Twilio-Email-Event-Webhook-Timestamp": "1"},                      # timestamp changed
        genuine | {"X-Twilio-Email-Event-Webhook-Signature": "not base64 !"},            # garbage signature
    ]
    for headers in attempts:
        response = await gateway.post(URL, content=body, headers=headers)
        assert response.status_code == 401, headers
    assert await signals_after_probe(handle) == []


async def test_redelivered_batch_passes_the_same_event_ids(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, sendgrid_key: SendGridKey
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = json.dumps([sendgrid_event("spamreport", handle.id.removeprefix("case-"), "sg-dup")]).encode()
    for _ in range(2):
        assert (await gateway.post(URL, content=body, headers=sendgrid_key.headers(body))).status_code == 200
    first, second = await wait_for_signals(handle, 2)
    assert first.payload == second.payload
    assert first.payload["event_id"] == "sg-dup"


async def test_unknown_case_is_acknowledged(gateway: httpx.AsyncClient, sendgrid_key: SendGridKey) -> None:
    body = json.dumps([sendgrid_event("bounce", "JIM-1999-0000", "sg-stale")]).encode()
    response = await gateway.post(URL, content=body, headers=sendgrid_key.headers(body))
    assert response.status_code == 200
    assert response.json()["stale"] == 1
