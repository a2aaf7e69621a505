"""Stripe webhook: Stripe-Signature verification, timestamp tolerance, invoice events → InvoiceEvent."""

from __future__ import annotations

import time

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


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [("invoice.paid", "paid"), ("invoice.payment_failed", "payment_failed"), ("invoice.voided", "voided")],
)
async def test_signed_invoice_event_signals_the_case(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, event_type: str, kind: str
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id, event_id="evt_123", event_type=event_type, invoice_id="in_9",
                       amount_paid=123_000)
    response = await gateway.post(URL, content=body, headers=stripe_headers(body, STRIPE_SECRET))
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.INVOICE_EVENT
    payload = {k: v for k, v in got.payload.items() if v not in (None, "")}  # the lifecycle fields are unset here
    assert payload == {"event_id": "evt_123", "invoice_id": "in_9", "kind": kind, "amount_paid": 123_000}


@pytest.mark.parametrize("forgery", ["missing", "wrong_secret", "tampered_body", "malformed_header",
                                     "stale_and_wrong_secret"])
async def test_unsigned_or_forged_is_401_and_signals_nothing(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, forgery: str
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id)
    headers = {
        "missing": {"Content-Type": "application/json"},
        "wrong_secret": stripe_headers(body, "whsec_attacker"),
        "tampered_body": stripe_headers(body, STRIPE_SECRET),
        "malformed_header": {"Stripe-Signature": "garbage"},
        "stale_and_wrong_secret": stripe_headers(body, "whsec_attacker", int(time.time()) - 3600),
    }[forgery]
    if forgery == "tampered_body":
        body = body.replace(b"123000", b"999999")
    response = await gateway.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert await signals_after_probe(handle) == []


@pytest.mark.parametrize("offset", [-3600, +3600], ids=["past", "future"])
async def test_genuine_signature_outside_tolerance_is_400(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, offset: int
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id)
    response = await gateway.post(URL, content=body,
                                  headers=stripe_headers(body, STRIPE_SECRET, int(time.time()) + offset))
    assert response.status_code == 400
    assert response.json()["status"] == "timestamp_outside_tolerance"
    assert await signals_after_probe(handle) == []


async def test_redelivery_passes_the_same_event_id(gateway: httpx.AsyncClient, start_recorder: StartRecorder) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id, event_id="evt_dup")
    for _ in range(2):  # Stripe re-signs each attempt with a fresh timestamp
        response = await gateway.post(URL, content=body, headers=stripe_headers(body, STRIPE_SECRET))
        assert response.status_code == 200
    first, second = await wait_for_signals(handle, 2)
    assert first.payload["event_id"] == second.payload["event_id"] == "evt_dup"


@pytest.mark.parametrize(
    ("event_type", "routable"),
    [("invoice.finalized", True), ("customer.created", True), ("invoice.paid", False)],
)
async def test_other_events_or_unroutable_are_200_without_signal(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, event_type: str, routable: bool
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = stripe_body(handle.id if routable else "not-a-workflow", event_type=event_type)
    response = await gateway.post(URL, content=body, headers=stripe_headers(body, STRIPE_SECRET))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await signals_after_probe(handle) == []


def _event(workflow_id: str, event_type: str, obj: dict[str, object], event_id: str = "evt_m6") -> bytes:
    import json

    return json.dumps({"id": event_id, "object": "event", "api_version": "2025-01-27", "created": int(time.time()),
                       "livemode": False, "type": event_type,
                       "data": {"object": {**obj, "metadata": {"workflow_id": workflow_id}}}}).encode()


@pytest.mark.parametrize(
    ("event_type", "obj", "expected"),
    [
        ("invoice.marked_uncollectible", {"id": "in_9", "object": "invoice", "amount_paid": 0},
         {"invoice_id": "in_9", "kind": "marked_uncollectible", "amount_paid": 0}),
        ("invoice.updated", {"id": "in_9", "object": "invoice", "status": "open", "amount_paid": 5000,
                             "amount_remaining": 10500},
         {"invoice_id": "in_9", "kind": "partially_paid", "amount_paid": 5000, "amount_remaining": 10500}),
        ("credit_note.created", {"id": "cn_1", "object": "credit_note", "invoice": "in_9", "amount": 500},
         {"invoice_id": "in_9", "kind": "credit_note", "amount": 500}),
        ("charge.refunded", {"id": "ch_1", "object": "charge", "invoice": "in_9", "amount": 15500,
                             "amount_refunded": 15500},
         {"invoice_id": "in_9", "kind": "refunded", "amount": 15500}),
        ("charge.dispute.closed", {"id": "dp_1", "object": "dispute", "invoice": "in_9", "amount": 15500,
                                   "status": "lost"},
         {"invoice_id": "in_9", "kind": "dispute_closed", "amount": 15500, "outcome": "lost"}),
        ("transfer.reversed", {"id": "tr_1", "object": "transfer", "amount_reversed": 15500},
         {"invoice_id": "tr_1", "kind": "transfer_reversed", "amount": 15500}),
    ],
)
async def test_the_rest_of_the_stripe_lifecycle_signals_the_case(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, event_type: str, obj: dict[str, object],
    expected: dict[str, object],
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = _event(handle.id, event_type, obj)
    response = await gateway.post(URL, content=body, headers=stripe_headers(body, STRIPE_SECRET))
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    payload = {k: v for k, v in got.payload.items() if v not in (None, "")}
    assert payload == {"event_id": "evt_m6", **expected}


async def test_an_invoice_update_without_a_partial_payment_is_ignored(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = _event(handle.id, "invoice.updated", {"id": "in_9", "object": "invoice", "status": "open",
                                                 "amount_paid": 0, "amount_remaining": 15500})
    response = await gateway.post(URL, content=body, headers=stripe_headers(body, STRIPE_SECRET))
    assert response.json()["status"] == "ignored"
    assert await signals_after_probe(handle) == []
