"""``POST /webhooks/sendgrid``: SendGrid event webhook → ``MailEvent`` signals for delivery problems.

A batch holds many events; only problems with mail a case sent matter: bounce, dropped, blocked and
spam reports, for messages carrying the ``case_id`` custom arg (the mail activity also sets ``kind``,
the ``MailKind``, and ``role``, the recipient's role). Delivered/processed/opened are acknowledged and
dropped. If Temporal fails mid-batch the whole batch gets 503 and SendGrid resends it; events already
signalled arrive again with the same ``sg_event_id`` and the workflow ignores them.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError
from sendgrid.helpers.eventwebhook import EventWebhook
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from casefac.events import MailEvent, Signal
from casefac.ids import case_workflow_id
from gateway.httputil import BodyTooLarge, answer, is_json, parse_json, read_body, too_large
from gateway.signals import Gateway, SignalOutcome, outcome_response, valid_workflow_id

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
PROBLEM_EVENTS = frozenset({"bounce", "dropped", "blocked", "spamreport"})
#: SendGrid batches events up to about 768 KB per POST (review m3: per-provider limits).
MAX_BODY = 1024 * 1024
#: A signed batch may hold thousands of events; at most this many signals per request, sent this many at a
#: time, so one batch cannot hold the request past SendGrid's timeout (and be retried in a loop).
MAX_SIGNALS = 500
CONCURRENT_SIGNALS = 8
#: Clocks differ a little: a timestamp this far in the future still counts as now.
CLOCK_SKEW_SECONDS = 60


def timestamp_fresh(timestamp: str | None, now: float, max_age: float) -> bool:
    """The signed timestamp is recent (review m2): a captured batch must not verify forever."""
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    age = now - int(timestamp)
    return -CLOCK_SKEW_SECONDS <= age <= max_age


def load_verifier(public_key: str | None) -> EventWebhook | None:
    """The SDK verifier for the configured key, or ``None`` (logged) when absent or unreadable."""
    if not public_key:
        log.error("no SendGrid webhook public key configured: /webhooks/sendgrid will answer 503")
        return None
    try:
        verifier = EventWebhook(public_key)
    except (ValueError, TypeError):
        verifier = None
    if verifier is None or not isinstance(verifier.public_key, ec.EllipticCurvePublicKey):
        log.error("SendGrid webhook public key is not a base64 DER EC public key: "
                  "/webhooks/sendgrid will answer 503")
        return None
    return verifier


def signature_valid(verifier: EventWebhook, body: bytes, signature: str | None,
                    timestamp: str | None) -> bool:
    """ECDSA P-256/SHA-256 over ``timestamp + payload``, checked by the SendGrid SDK."""
    if not signature or not timestamp:
        return False
    try:
        return bool(verifier.verify_signature(body.decode("utf-8"), signature, timestamp))
    except (UnicodeDecodeError, binascii.Error, ValueError, TypeError):
        return False  # undecodable body or a signature that is not base64 DER: not SendGrid's


def mail_event(event: dict[str, Any]) -> tuple[str, MailEvent] | None:
    """``(workflow id, MailEvent)`` for a delivery problem of a case's mail, else ``None``.

    SendGrid reports a block either as ``event: blocked`` or as a bounce with ``type: blocked``; both
    become ``blocked`` because the remedy differs (the address exists but refuses us).
    """
    kind = event.get("event")
    if not isinstance(kind, str):
        return None
    if kind == "bounce" and event.get("type") == "blocked":
        kind = "blocked"
    if kind not in PROBLEM_EVENTS:
        return None
    case_id = event.get("case_id")
    workflow_id = valid_workflow_id(case_workflow_id(case_id)) if isinstance(case_id, str) else None
    if workflow_id is None:
        return None
    message_kind, role = event.get("kind"), event.get("role")
    try:
        signal = MailEvent(
            event_id=event.get("sg_event_id"),  # type: ignore[arg-type]  # validated by the model
            kind=kind,  # type: ignore[arg-type]  # one of PROBLEM_EVENTS
            message_kind=message_kind if isinstance(message_kind, str) else "",
            role=role if isinstance(role, str) else "",
        )
    except ValidationError:
        log.warning("sendgrid %s for %s lacks a usable sg_event_id; ignored", kind, workflow_id)
        return None
    return workflow_id, signal


def routes(gw: Gateway) -> list[BaseRoute]:
    verifier = load_verifier(gw.settings.sendgrid.webhook_public_key)

    async def sendgrid_webhook(request: Request) -> Response:
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return too_large()
        if verifier is None:
            return answer(503, "not_configured")
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        if not signature_valid(verifier, body, request.headers.get(SIGNATURE_HEADER), timestamp):
            log.warning("sendgrid webhook rejected: missing or invalid signature")
            return answer(401, "invalid_signature")
        if not timestamp_fresh(timestamp, time.time(), gw.settings.gateway.sendgrid_max_age_seconds):
            log.warning("sendgrid webhook rejected: signed timestamp too old or in the future (replay?)")
            return answer(401, "stale_timestamp")
        if not is_json(request):
            return answer(415, "unsupported_media_type")
        try:
            events = parse_json(body)
        except ValueError:
            return answer(400, "invalid_json")
        if not isinstance(events, list):
            return answer(400, "invalid_payload")

        routed = [r for event in events if (r := mail_event(event) if isinstance(event, dict) else None)]
        if len(routed) > MAX_SIGNALS:
            # Not a real batch of our mail's problems: refuse it whole rather than signal part of it.
            log.warning("sendgrid batch with %d problem events refused (limit %d)", len(routed), MAX_SIGNALS)
            return answer(413, "too_many_events")
        # Cases concurrently (a bounded number at a time), each case's events in batch order.
        by_case: dict[str, list[MailEvent]] = {}
        for workflow_id, signal in routed:
            by_case.setdefault(workflow_id, []).append(signal)
        gate = asyncio.Semaphore(CONCURRENT_SIGNALS)

        async def one_case(workflow_id: str, signals: list[MailEvent]) -> list[SignalOutcome]:
            done: list[SignalOutcome] = []
            async with gate:
                for signal in signals:
                    outcome = await gw.signal(workflow_id, Signal.MAIL_EVENT, signal,
                                              ref=f"mail {signal.kind} {signal.event_id}")
                    done.append(outcome)
                    if outcome in (SignalOutcome.UNAVAILABLE, SignalOutcome.FAILED):
                        break
            return done

        outcomes = [o for per_case in await asyncio.gather(*(one_case(w, s) for w, s in by_case.items()))
                    for o in per_case]
        for outcome in outcomes:
            if outcome in (SignalOutcome.UNAVAILABLE, SignalOutcome.FAILED):
                return outcome_response(outcome)  # the whole batch comes again; duplicates are harmless
        signalled = sum(o is SignalOutcome.DELIVERED for o in outcomes)
        stale = sum(o is SignalOutcome.STALE for o in outcomes)
        log.info("sendgrid batch of %d events: %d signalled, %d stale", len(events), signalled, stale)
        return answer(200, "ok", events=len(events), signalled=signalled, stale=stale)

    return [Route("/webhooks/sendgrid", sendgrid_webhook, methods=["POST"])]
