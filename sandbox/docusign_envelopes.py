"""DocuSign envelope model: validation, routing-order state machine and Connect events.

Kept apart from the HTTP routes so the REST API and the signing page share one set of rules.
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from sandbox.errors import ProviderError, docusign_error
from sandbox.runtime import Runtime
from sandbox.util import iso_now, new_uuid

Envelope = dict[str, Any]
Recipient = dict[str, Any]

ACTIVE_STATUSES = ("sent", "delivered")


def bad_request(message: str, code: str = "INVALID_REQUEST_BODY") -> ProviderError:
    return ProviderError(docusign_error(400, code, message))


def envelope_uri(envelope: Envelope) -> str:
    return f"/envelopes/{envelope['envelopeId']}"


def _validate(body: Any) -> None:
    """Reject what DocuSign would reject for the fields casefac sends."""
    if not isinstance(body, dict):
        raise bad_request("The request body is missing or improperly formatted.")
    status = body.get("status", "created")
    if status not in ("sent", "created"):
        raise bad_request(f"Invalid envelope status '{status}'.", "INVALID_ENVELOPE_STATUS")
    documents = body.get("documents")
    if not isinstance(documents, list) or not documents:
        raise bad_request("The request contained at least one invalid parameter. documents is required.")
    for document in documents:
        if not document.get("documentId") or not document.get("documentBase64"):
            raise bad_request("Each document needs documentId and documentBase64.")
        try:
            base64.b64decode(document["documentBase64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise bad_request("documentBase64 is not valid base64.") from exc
    recipients = body.get("recipients") or {}
    signers = recipients.get("signers")
    if not isinstance(signers, list) or not signers:
        raise bad_request("The request contained at least one invalid parameter. recipients.signers is required.")
    seen: set[str] = set()
    for recipient in signers + list(recipients.get("carbonCopies") or []):
        for key in ("email", "name", "recipientId"):
            if not recipient.get(key):
                raise bad_request(
                    f"Recipient {key} is required.",
                    "INVALID_RECIPIENT_DATA" if key != "email" else "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
                )
        if "@" not in recipient["email"]:
            raise bad_request(f"Invalid email address '{recipient['email']}'.", "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT")
        if recipient["recipientId"] in seen:
            raise bad_request("Recipient ids must be unique.", "RECIPIENT_ID_DUPLICATE")
        seen.add(recipient["recipientId"])
    if status == "sent" and not body.get("emailSubject"):
        raise bad_request("The email subject is required.", "ENVELOPE_EMAIL_SUBJECT_REQUIRED")


def create_envelope(rt: Runtime, account_id: str, body: Any) -> Envelope:
    """Store a new envelope; if sent, activate the first routing order and fire ``envelope-sent``."""
    _validate(body)
    now = iso_now()
    recipients = copy.deepcopy(body["recipients"])
    for kind, recipient_type in (("signers", "signer"), ("carbonCopies", "carboncopy")):
        for recipient in recipients.get(kind) or []:
            recipient.setdefault("routingOrder", "1")
            recipient.update(status="created", recipientIdGuid=new_uuid(), recipientType=recipient_type)
    envelope: Envelope = {
        "envelopeId": new_uuid(),
        "accountId": account_id,
        "status": "created",
        "emailSubject": body.get("emailSubject", ""),
        "emailBlurb": body.get("emailBlurb", ""),
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "statusChangedDateTime": now,
        "documents": copy.deepcopy(body["documents"]),
        "recipients": recipients,
        "customFields": copy.deepcopy(body.get("customFields") or {"textCustomFields": [], "listCustomFields": []}),
        "eventNotification": copy.deepcopy(body.get("eventNotification")),
    }
    rt.state.table("envelopes")[envelope["envelopeId"]] = envelope
    if body.get("status") == "sent":
        send_envelope(rt, envelope)
    rt.state.commit()
    return envelope


def send_envelope(rt: Runtime, envelope: Envelope) -> None:
    envelope["status"] = "sent"
    envelope["sentDateTime"] = envelope["statusChangedDateTime"] = iso_now()
    fire(rt, envelope, "envelope-sent")
    _activate_next_routing_order(rt, envelope)


def signers(envelope: Envelope) -> list[Recipient]:
    return list(envelope["recipients"].get("signers") or [])


def all_recipients(envelope: Envelope) -> list[Recipient]:
    return signers(envelope) + list(envelope["recipients"].get("carbonCopies") or [])


def find_recipient(envelope: Envelope, recipient_id: str) -> Recipient | None:
    return next((r for r in all_recipients(envelope) if r["recipientId"] == str(recipient_id)), None)


def current_routing_order(envelope: Envelope) -> int | None:
    """Lowest routing order that still has a signer to complete."""
    open_orders = [int(s["routingOrder"]) for s in signers(envelope) if s["status"] != "completed"]
    return min(open_orders) if open_orders else None


def is_turn(envelope: Envelope, signer: Recipient) -> bool:
    """A signer may act only when every lower routing order is complete."""
    order = current_routing_order(envelope)
    return envelope["status"] in ACTIVE_STATUSES and order is not None and int(signer["routingOrder"]) <= order


def _activate_next_routing_order(rt: Runtime, envelope: Envelope) -> None:
    order = current_routing_order(envelope)
    if order is None:
        return
    for signer in signers(envelope):
        if int(signer["routingOrder"]) == order and signer["status"] == "created":
            signer["status"] = "sent"
            signer["sentDateTime"] = iso_now()
            fire(rt, envelope, "recipient-sent", signer["recipientId"])


def mark_viewed(rt: Runtime, envelope: Envelope, signer: Recipient) -> None:
    """First view of the signing page: recipient ``delivered``."""
    if signer["status"] == "sent":
        signer["status"] = "delivered"
        signer["deliveredDateTime"] = iso_now()
        fire(rt, envelope, "recipient-delivered", signer["recipientId"])
        rt.state.commit()


def sign(rt: Runtime, envelope: Envelope, signer: Recipient) -> None:
    """Complete one signer; when all are done complete the envelope (and its carbon copies)."""
    now = iso_now()
    signer.update(status="completed", signedDateTime=now)
    signer.setdefault("deliveredDateTime", now)
    envelope["lastModifiedDateTime"] = now
    fire(rt, envelope, "recipient-completed", signer["recipientId"])
    if current_routing_order(envelope) is None:
        envelope.update(status="completed", completedDateTime=now, statusChangedDateTime=now)
        for cc in envelope["recipients"].get("carbonCopies") or []:
            cc.update(status="completed", deliveredDateTime=now)
        fire(rt, envelope, "envelope-completed")
    else:
        _activate_next_routing_order(rt, envelope)
    rt.state.commit()


def decline(rt: Runtime, envelope: Envelope, signer: Recipient, reason: str) -> None:
    now = iso_now()
    signer.update(status="declined", declinedDateTime=now, declinedReason=reason)
    envelope.update(status="declined", declinedDateTime=now, statusChangedDateTime=now, lastModifiedDateTime=now)
    fire(rt, envelope, "recipient-declined", signer["recipientId"])
    fire(rt, envelope, "envelope-declined")
    rt.state.commit()


def void(rt: Runtime, envelope: Envelope, reason: str) -> None:
    if envelope["status"] not in ("created", "sent", "delivered"):
        raise bad_request(
            f"Only envelopes in the 'Sent' or 'Delivered' states may be voided (is '{envelope['status']}').",
            "ENVELOPE_CANNOT_VOID_INVALID_STATE",
        )
    if not reason:
        raise bad_request("A voided reason is required.", "ENVELOPE_VOID_REASON_REQUIRED")
    now = iso_now()
    envelope.update(status="voided", voidedDateTime=now, voidedReason=reason, statusChangedDateTime=now)
    fire(rt, envelope, "envelope-voided")
    rt.state.commit()


# -- representations --------------------------------------------------------------------
def recipient_view(recipient: Recipient) -> Recipient:
    """Recipient as the REST API returns it (tabs omitted, like without ``include_tabs``)."""
    return {k: v for k, v in recipient.items() if k != "tabs"}


def recipients_view(envelope: Envelope) -> dict[str, Any]:
    order = current_routing_order(envelope)
    return {
        "signers": [recipient_view(r) for r in signers(envelope)],
        "carbonCopies": [recipient_view(r) for r in envelope["recipients"].get("carbonCopies") or []],
        "recipientCount": str(len(all_recipients(envelope))),
        "currentRoutingOrder": str(order) if order is not None else "",
    }


def envelope_view(envelope: Envelope, *, recipients: bool = False, custom_fields: bool = False) -> dict[str, Any]:
    """Envelope as ``GET …/envelopes/{id}`` returns it."""
    base = f"/envelopes/{envelope['envelopeId']}"
    keys = (
        "envelopeId",
        "status",
        "emailSubject",
        "emailBlurb",
        "createdDateTime",
        "lastModifiedDateTime",
        "statusChangedDateTime",
        "sentDateTime",
        "completedDateTime",
        "declinedDateTime",
        "voidedDateTime",
        "voidedReason",
    )
    view: dict[str, Any] = {k: envelope[k] for k in keys if envelope.get(k) is not None}
    view.update(
        envelopeUri=base,
        recipientsUri=f"{base}/recipients",
        documentsUri=f"{base}/documents",
        customFieldsUri=f"{base}/custom_fields",
        signingLocation="online",
    )
    if recipients:
        view["recipients"] = recipients_view(envelope)
    if custom_fields:
        view["customFields"] = envelope["customFields"]
    return view


# -- Connect -----------------------------------------------------------------------------
def fire(rt: Runtime, envelope: Envelope, event: str, recipient_id: str | None = None) -> None:
    """Queue a Connect (JSON SIM) message if the envelope subscribed to this event."""
    notification = envelope.get("eventNotification") or {}
    url = notification.get("url")
    events = [str(e).lower() for e in notification.get("events") or []]
    if not url or (events and event not in events):
        return
    include = (notification.get("eventData") or {}).get("includeData") or []
    summary = envelope_view(envelope, recipients="recipients" in include, custom_fields="custom_fields" in include)
    summary["sender"] = {"userId": rt.config.docusign_user_id, "accountId": envelope["accountId"]}
    data: dict[str, Any] = {
        "accountId": envelope["accountId"],
        "userId": rt.config.docusign_user_id,
        "envelopeId": envelope["envelopeId"],
    }
    if recipient_id is not None:
        data["recipientId"] = str(recipient_id)
    data["envelopeSummary"] = summary
    payload = {
        "event": event,
        "apiVersion": "v2.1",
        "uri": f"/restapi/v2.1/accounts/{envelope['accountId']}/envelopes/{envelope['envelopeId']}",
        "retryCount": 0,
        "configurationId": rt.config.docusign_connect_configuration_id,
        "generatedDateTime": iso_now(),
        "data": data,
    }
    sign_it = str(notification.get("includeHMAC", "false")).lower() == "true"
    rt.webhooks.enqueue("docusign", url, event, payload, sign=sign_it)
