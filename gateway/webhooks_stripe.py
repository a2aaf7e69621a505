"""``POST /webhooks/stripe``: Stripe invoice events → ``InvoiceEvent`` signal.

The target workflow is the invoice's ``metadata.workflow_id`` (set by the billing activity). Stripe
retries deliveries for days with the same event id, which the workflow uses to ignore duplicates.

Besides paid, failed and void, the rest of an invoice's life (review M6): ``invoice.marked_uncollectible``,
``invoice.updated`` carrying a partial payment, ``credit_note.created``, ``charge.refunded``,
``charge.dispute.created``/``closed`` and ``transfer.reversed``. Objects that are not invoices are routed by
their own ``metadata.workflow_id`` and name their invoice by ``invoice`` (a credit note, a charge of an
invoice); the Connect transfer by its own id. One that carries no routable workflow id is acknowledged and
logged: the case's reconciliation (``billing.get_invoice`` before each dunning mail) still sees what it did to
the invoice (its credited and paid amounts). The signal is never proof: the workflow confirms "paid" at Stripe.

Answers: forged or unsigned → 401; correctly signed but outside the timestamp tolerance → 400 (a replay,
or a badly skewed clock: an operator should look, and the sender should not keep retrying the same stale
signature).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import stripe
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from casefac.events import InvoiceEvent, Signal
from gateway.httputil import BodyTooLarge, answer, is_json, parse_json, read_body, too_large
from gateway.signals import Gateway, outcome_response, valid_workflow_id

log = logging.getLogger(__name__)

EVENT_KINDS: dict[str, str] = {
    "invoice.paid": "paid",
    "invoice.payment_failed": "payment_failed",
    "invoice.voided": "voided",
    "invoice.marked_uncollectible": "marked_uncollectible",
    "invoice.updated": "partially_paid",  # only when it carries a payment short of the total
    "credit_note.created": "credit_note",
    "charge.refunded": "refunded",
    "charge.dispute.created": "dispute_opened",
    "charge.dispute.closed": "dispute_closed",
    "transfer.reversed": "transfer_reversed",
}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def invoice_event(event_id: Any, event_type: str, kind: str, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The ``InvoiceEvent`` fields of one Stripe event object (None: nothing for a case in it)."""
    fields: dict[str, Any] = {"event_id": event_id, "kind": kind}
    if obj.get("object") == "invoice":
        fields["invoice_id"] = obj.get("id")
        fields["amount_paid"] = _int(obj.get("amount_paid"))
        if kind == "partially_paid":
            paid, remaining = _int(obj.get("amount_paid")), _int(obj.get("amount_remaining"))
            if obj.get("status") != "open" or not paid or not remaining:
                return None
            fields["amount_remaining"] = remaining
    elif obj.get("object") == "transfer":
        fields["invoice_id"] = obj.get("id")  # the workflow finds the payout by its transfer id
        fields["amount"] = _int(obj.get("amount_reversed"))
    else:  # credit_note, charge, dispute
        invoice = obj.get("invoice")
        fields["invoice_id"] = invoice.get("id") if isinstance(invoice, dict) else invoice
        fields["amount"] = _int(obj.get("amount_refunded") if kind == "refunded" else obj.get("amount"))
        if kind == "dispute_closed" and isinstance(obj.get("status"), str):
            fields["outcome"] = obj["status"][:40]
    return {k: v for k, v in fields.items() if v is not None}


class StaleSignature(Exception):
    """Signature is genuine but its timestamp is outside the tolerance window."""


class BadSignature(Exception):
    """Signature missing, malformed or not made with our secret."""


def verify(body: bytes, header: str | None, secret: str, tolerance: int) -> dict[str, Any]:
    """The verified event as plain dicts, or ``BadSignature`` / ``StaleSignature`` / ``ValueError``.

    ``construct_event`` raises the same ``SignatureVerificationError`` for a forged signature and for an
    old timestamp. Stripe checks the HMAC before the age, so re-checking the HMAC alone (tolerance 0
    disables the age check) tells them apart without matching on error text. Stripe never rejects
    timestamps from the future; we do, with the same tolerance, so a pre-dated capture cannot be replayed
    later.
    """
    if not header:
        raise BadSignature
    try:
        body.decode("utf-8")  # Stripe signs text; undecodable bytes cannot carry a valid signature
    except UnicodeDecodeError as exc:
        raise BadSignature from exc
    stamp = _the_timestamp(header)
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=0)  # the HMAC alone
    except stripe.SignatureVerificationError as exc:
        raise BadSignature from exc
    # Genuinely signed from here on: an absurd or distant time is a stale (or pre-dated) delivery, not a forgery.
    if not stamp.lstrip("-").isdigit() or len(stamp) > 20 or abs(time.time() - int(stamp)) > tolerance:
        raise StaleSignature
    event = parse_json(body)  # ValueError for anything that is not JSON text
    if not isinstance(event, dict):
        raise ValueError("a Stripe event is a JSON object")
    return event


def _the_timestamp(header: str) -> str:
    """The header's one ``t=``. Exactly one, read once and used for the age check: a header with a second,
    earlier ``t`` cannot make a pre-dated capture look fresh."""
    stamps = [value for name, _, value in (item.strip().partition("=") for item in header.split(",")) if name == "t"]
    if len(stamps) != 1:
        raise BadSignature
    return stamps[0]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def routes(gw: Gateway) -> list[BaseRoute]:
    settings = gw.settings.stripe
    secret = settings.webhook_secret.get_secret_value().strip()
    if not secret:
        log.error("no Stripe webhook secret configured: /webhooks/stripe will answer 503")

    async def stripe_webhook(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyTooLarge:
            return too_large()
        if not secret:
            return answer(503, "not_configured")
        try:
            event = verify(body, request.headers.get("stripe-signature"), secret,
                           settings.webhook_tolerance_seconds)
        except BadSignature:
            log.warning("stripe webhook rejected: missing or invalid signature")
            return answer(401, "invalid_signature")
        except StaleSignature:
            log.warning("stripe webhook rejected: timestamp outside tolerance (%ss)",
                        settings.webhook_tolerance_seconds)
            return answer(400, "timestamp_outside_tolerance")
        except ValueError:  # signed, but not a JSON v1 event
            return answer(400, "invalid_payload")
        if not is_json(request):  # review m3: Stripe sends JSON; checked once the signature is known good
            return answer(415, "unsupported_media_type")

        event_id, event_type = event.get("id"), event.get("type")
        kind = EVENT_KINDS.get(event_type) if isinstance(event_type, str) else None
        if kind is None:
            log.info("stripe event %s (%s) ignored", event_id, event_type)
            return answer(200, "ignored")
        invoice = _dict(_dict(event.get("data")).get("object"))
        invoice_id = invoice.get("id")
        workflow_id = valid_workflow_id(_dict(invoice.get("metadata")).get("workflow_id"))
        if workflow_id is None:
            log.warning("stripe %s %s for invoice %s has no routable workflow_id; ignored", event_type,
                        event_id, invoice_id)
            return answer(200, "ignored")
        fields = invoice_event(event_id, str(event_type), kind, invoice)
        if fields is None:
            log.info("stripe event %s (%s) carries nothing for the case; ignored", event_id, event_type)
            return answer(200, "ignored")
        try:
            signal = InvoiceEvent(**fields)
        except ValidationError as exc:
            log.error("stripe %s %s does not fit InvoiceEvent: %d errors", event_type, event_id,
                      exc.error_count())
            return answer(400, "invalid_payload")
        outcome = await gw.signal(workflow_id, Signal.INVOICE_EVENT, signal,
                                  ref=f"invoice {invoice_id} {event_type} {event_id}")
        return outcome_response(outcome)

    return [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
