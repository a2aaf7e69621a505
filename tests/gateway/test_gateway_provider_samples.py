"""The gateway accepts what the providers themselves document, not only what our sandbox sends.

DocuSign's sample Connect message (``connect.schema-v2.json``), Stripe's fixture event wrapping its fixture
invoice (``fixtures3.json``) and SendGrid's documented event batch, each with only casefac's routing fields
set, signed as the provider signs, reach the workflow as the right signal.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx

from casefac.events import Signal
from tests.contracts.checks import SPECS
from tests.gateway.gateway_kit import (
    DOCUSIGN_KEYS,
    STRIPE_SECRET,
    SendGridKey,
    StartRecorder,
    docusign_headers,
    recent_generated,
    stripe_headers,
    wait_for_signals,
)


def _spec(name: str) -> Any:
    return json.loads((SPECS / name).read_text(encoding="utf-8"))


async def test_docusign_sample_connect_message_signals_the_case(gateway: httpx.AsyncClient,
                                                                start_recorder: StartRecorder) -> None:
    handle = await start_recorder("case-JIM-2026-")
    message = copy.deepcopy(_spec("connect.schema-v2.json"))
    # Recent: a fixed date would pass DocuSign's retry horizon one day and be dropped as a replay (review m2).
    message.update(event="recipient-completed", generatedDateTime=recent_generated())
    data = message["data"]
    data.update(envelopeId="env-sample", recipientId="1")
    data["envelopeSummary"]["envelopeId"] = "env-sample"
    data["envelopeSummary"]["customFields"] = {"textCustomFields": [
        {"name": "workflow_id", "value": handle.id, "show": "false"}, {"name": "step", "value": "contract-r1-a1"}]}
    body = json.dumps(message).encode()

    response = await gateway.post("/webhooks/docusign", content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))

    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.ENVELOPE_EVENT
    assert (got.payload["envelope_id"], got.payload["kind"], got.payload["recipient_id"]) == (
        "env-sample", "recipient_completed", "1")


async def test_stripe_fixture_event_signals_the_payment(gateway: httpx.AsyncClient,
                                                        start_recorder: StartRecorder) -> None:
    handle = await start_recorder("case-JIM-2026-")
    fixtures = _spec("fixtures3.subset.json")["resources"]
    event = copy.deepcopy(fixtures["event"])
    invoice = copy.deepcopy(fixtures["invoice"])
    invoice["metadata"] = {"workflow_id": handle.id, "case_id": handle.id.removeprefix("case-")}
    event.update(type="invoice.paid", created=int(time.time()), data={"object": invoice})
    body = json.dumps(event, indent=2).encode()

    response = await gateway.post("/webhooks/stripe", content=body, headers=stripe_headers(body, STRIPE_SECRET))

    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.INVOICE_EVENT
    # A paid event carries what was paid; the partial-payment and refund/dispute fields stay empty (the
    # workflow confirms "paid" at Stripe with billing.get_invoice, issue 13 C2).
    assert got.payload == {"event_id": event["id"], "invoice_id": invoice["id"], "kind": "paid",
                           "amount_paid": invoice["amount_paid"], "amount_remaining": None, "amount": None,
                           "outcome": ""}


async def test_stripe_fixture_invoice_updated_with_a_partial_payment_signals_it(
        gateway: httpx.AsyncClient, start_recorder: StartRecorder) -> None:
    """Issue 12 M6: ``invoice.updated`` on an open invoice paid short of its total is a partial payment; the same
    fixture as Stripe sends it (a draft, nothing paid) signals nothing."""
    handle = await start_recorder("case-JIM-2026-")
    fixtures = _spec("fixtures3.subset.json")["resources"]
    invoice = copy.deepcopy(fixtures["invoice"])
    invoice["metadata"] = {"workflow_id": handle.id, "case_id": handle.id.removeprefix("case-")}

    def signed(obj: dict[str, Any], event_id: str) -> tuple[bytes, dict[str, str]]:
        event = copy.deepcopy(fixtures["event"])
        event.update(id=event_id, type="invoice.updated", created=int(time.time()), data={"object": obj})
        body = json.dumps(event).encode()
        return body, stripe_headers(body, STRIPE_SECRET)

    body, headers = signed(invoice, "evt_draft_untouched")
    response = await gateway.post("/webhooks/stripe", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "ignored", response.text

    paid = invoice["amount_due"] * 2 // 5  # 400 of Stripe's 1000
    partial = {**invoice, "status": "open", "amount_paid": paid, "amount_remaining": invoice["amount_due"] - paid}
    body, headers = signed(partial, "evt_partial_payment")
    response = await gateway.post("/webhooks/stripe", content=body, headers=headers)

    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.INVOICE_EVENT
    assert got.payload == {"event_id": "evt_partial_payment", "invoice_id": invoice["id"], "kind": "partially_paid",
                           "amount_paid": 400, "amount_remaining": 600, "amount": None, "outcome": ""}


async def test_sendgrid_documented_batch_signals_the_bounce_with_its_role(
        gateway: httpx.AsyncClient, start_recorder: StartRecorder, sendgrid_key: SendGridKey) -> None:
    handle = await start_recorder("case-JIM-2026-")
    args = {"case_id": handle.id.removeprefix("case-"), "kind": "invoice_sent", "role": "advocate",
            "idempotency_key": "k-1"}
    now = int(time.time())
    batch = [  # the Event Webhook Reference's shapes: processed, delivered, a hard bounce
        {"email": "example@test.com", "timestamp": now, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
         "event": "processed", "category": ["invoice_sent"], "sg_event_id": "rbtnWrG1DVDGGGFHFyun0A",
         "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000", **args},
        {"email": "example@test.com", "timestamp": now, "event": "delivered", "response": "250 OK",
         "sg_event_id": "rWVYmVk90MjZJ9iohOBa3w", "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001", **args},
        {"email": "example@test.com", "timestamp": now, "event": "bounce", "type": "bounce",
         "bounce_classification": "Invalid Address", "status": "5.0.0",
         "reason": "500 unknown recipient", "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw",
         "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001", **args},
    ]
    body = json.dumps(batch).encode()

    response = await gateway.post("/webhooks/sendgrid", content=body, headers=sendgrid_key.headers(body))

    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.MAIL_EVENT
    assert got.payload["kind"] == "bounce" and got.payload["role"] == "advocate"
    assert got.payload["message_kind"] == "invoice_sent"
