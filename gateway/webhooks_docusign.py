"""``POST /webhooks/docusign``: DocuSign Connect (JSON SIM) → ``EnvelopeEvent`` signal.

The target workflow comes from the envelope's ``workflow_id`` text custom field, which the e-sign
activity sets when it creates the envelope (``case-…`` for contracts, ``advocate-…`` for the Advocate
Agreement). Connect retries deliveries, so the event id is derived from the delivery's stable facts
(not ``retryCount``): a redelivery carries the same id and the workflow ignores it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from casefac.events import EnvelopeEvent, Signal
from gateway.httputil import BodyTooLarge, answer, is_json, parse_json, read_body, too_large
from gateway.signals import Gateway, outcome_response, valid_workflow_id

log = logging.getLogger(__name__)

SIGNATURE_HEADER_PREFIX = "x-docusign-signature-"
WORKFLOW_ID_FIELD = "workflow_id"

#: Connect event → ``EnvelopeEvent.kind``; every other event is acknowledged and dropped.
EVENT_KINDS: dict[str, str] = {
    "envelope-sent": "sent",
    "recipient-completed": "recipient_completed",
    "recipient-declined": "recipient_declined",
    "envelope-completed": "completed",
    "envelope-declined": "declined",
    "envelope-voided": "voided",
}

_DATETIME = TypeAdapter(datetime)
_MAX_REASON = 2000
#: Connect JSON SIM deliveries without documents are a few KiB (review m3: per-provider limits).
MAX_BODY = 1024 * 1024


def signature_valid(body: bytes, headers: list[tuple[str, str]], keys: list[bytes]) -> bool:
    """True when any ``X-DocuSign-Signature-N`` equals base64(HMAC-SHA256(any key, body)).

    Any header index and any key, because during a key rotation DocuSign signs with every active key
    and the order of headers need not match the order of our keys.
    """
    presented = [value.strip().encode("latin-1") for name, value in headers
                 if name.lower().startswith(SIGNATURE_HEADER_PREFIX)]
    if not presented:
        return False
    expected = [base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()) for key in keys]
    # Compare every pair (no early exit) so timing does not reveal which header or key matched.
    matches = [hmac.compare_digest(e, p) for e in expected for p in presented]
    return any(matches)


def event_id(envelope_id: str, event: str, recipient_id: str | None, generated: str) -> str:
    """Deterministic per delivery: same envelope, event, recipient and generation time → same id."""
    material = "\n".join([envelope_id, event, recipient_id or "", generated]).encode("utf-8")
    return "docusign-" + hashlib.sha256(material).hexdigest()[:40]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _custom_field(summary: dict[str, Any], name: str) -> str | None:
    for field in _list(_dict(summary.get("customFields")).get("textCustomFields")):
        if isinstance(field, dict) and field.get("name") == name:
            value = field.get("value")
            return value if isinstance(value, str) else None
    return None


def _reason(kind: str, summary: dict[str, Any], recipient_id: str | None) -> str:
    """Why it was declined or voided, for the case timeline (encrypted in history, never logged)."""
    if kind == "voided":
        reason = summary.get("voidedReason")
    else:
        signers = _list(_dict(summary.get("recipients")).get("signers"))
        candidates = [_dict(s) for s in signers
                      if kind == "declined" or str(_dict(s).get("recipientId")) == recipient_id]
        reason = next((c.get("declinedReason") for c in candidates if c.get("declinedReason")), "")
    return reason[:_MAX_REASON] if isinstance(reason, str) else ""


def _parse_time(value: Any) -> datetime | None:
    """DocuSign writes 7 fractional digits; pydantic copes. Anything unparsable just leaves ``at`` unset."""
    try:
        return _DATETIME.validate_python(value) if isinstance(value, str) else None
    except ValidationError:
        return None


def _too_old(generated: datetime, max_age_hours: int) -> bool:
    """Older than the retry horizon (review m2); a time without zone is read as UTC."""
    at = generated if generated.tzinfo else generated.replace(tzinfo=UTC)
    return datetime.now(UTC) - at > timedelta(hours=max_age_hours)


def routes(gw: Gateway) -> list[BaseRoute]:
    keys = [k.get_secret_value().encode("utf-8") for k in gw.settings.docusign.connect_hmac_keys]
    if not keys:
        log.error("no DocuSign Connect HMAC keys configured: /webhooks/docusign will answer 503")

    async def docusign_webhook(request: Request) -> Response:
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return too_large()
        if not keys:
            return answer(503, "not_configured")
        if not signature_valid(body, request.headers.items(), keys):
            log.warning("docusign webhook rejected: missing or invalid signature")
            return answer(401, "invalid_signature")
        if not is_json(request):
            return answer(415, "unsupported_media_type")
        try:
            payload = parse_json(body)
        except ValueError:
            return answer(400, "invalid_json")
        if not isinstance(payload, dict):
            return answer(400, "invalid_payload")

        event = payload.get("event")
        data = _dict(payload.get("data"))
        summary = _dict(data.get("envelopeSummary"))
        envelope_id = data.get("envelopeId") or summary.get("envelopeId")
        kind = EVENT_KINDS.get(event) if isinstance(event, str) else None
        if kind is None:
            log.info("docusign event %r for envelope %s ignored", event, envelope_id)
            return answer(200, "ignored")
        if not isinstance(envelope_id, str) or not envelope_id:
            log.warning("docusign %s without envelopeId ignored", event)
            return answer(200, "ignored")
        workflow_id = valid_workflow_id(_custom_field(summary, WORKFLOW_ID_FIELD))
        if workflow_id is None:
            log.warning("docusign %s for envelope %s has no routable workflow_id; ignored", event,
                        envelope_id)
            return answer(200, "ignored")

        generated_at = _parse_time(payload.get("generatedDateTime"))
        if generated_at is not None and _too_old(generated_at, gw.settings.gateway.docusign_max_age_hours):
            # Signed by DocuSign, but older than Connect ever retries: a replay. Acknowledged, dropped.
            log.warning("docusign %s for envelope %s generated %s: past the retry horizon, dropped", event,
                        envelope_id, generated_at.isoformat())
            return answer(200, "too_old")
        raw_recipient = data.get("recipientId")
        recipient_id = str(raw_recipient) if raw_recipient not in (None, "") else None
        generated = payload.get("generatedDateTime")
        generated_text = generated if isinstance(generated, str) else ""
        try:
            signal = EnvelopeEvent(
                event_id=event_id(envelope_id, event, recipient_id, generated_text),
                envelope_id=envelope_id,
                kind=kind,  # type: ignore[arg-type]  # EVENT_KINDS values are EnvelopeEvent kinds
                recipient_id=recipient_id,
                reason=_reason(kind, summary, recipient_id),
                at=_parse_time(generated),
            )
        except ValidationError as exc:
            log.error("docusign %s for envelope %s does not fit EnvelopeEvent: %d errors", event,
                      envelope_id, exc.error_count())
            return answer(400, "invalid_payload")
        outcome = await gw.signal(workflow_id, Signal.ENVELOPE_EVENT, signal,
                                  ref=f"envelope {envelope_id} {event} {signal.event_id}")
        return outcome_response(outcome)

    return [Route("/webhooks/docusign", docusign_webhook, methods=["POST"])]
