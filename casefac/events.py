"""Signal payloads: provider events (from verified webhooks) and the Advocate entity's answers.

Every provider event carries the provider's event id: the workflow remembers the ids it has seen, so a
webhook delivered twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from casefac.parties import Advocate


def _encodable(value: str) -> str:
    """Refuse lone surrogates: such text passes as a Python str but can never be serialized again."""
    value.encode("utf-8")  # UnicodeEncodeError is a ValueError: pydantic reports it as a validation error
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    """Provider-supplied text, bounded so one webhook cannot push megabytes into a case's history."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_encodable)]


EventId = Text(200, 1)


class EnvelopeEvent(BaseModel):
    """A DocuSign Connect event for one envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    envelope_id: Text(100, 1)
    kind: Literal["sent", "delivered", "recipient_completed", "recipient_declined", "completed", "declined",
                  "voided"]
    recipient_id: Text(40) | None = None
    reason: Text(2000) = ""
    at: datetime | None = None


class InvoiceEvent(BaseModel):
    """A Stripe invoice event (``invoice.paid``, ``invoice.payment_failed``, ``invoice.voided``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    invoice_id: Text(100, 1)
    kind: Literal["paid", "payment_failed", "voided"]
    amount_paid: int | None = None


class MailEvent(BaseModel):
    """A SendGrid delivery problem (bounce, dropped) for a message this case sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    kind: Literal["bounce", "dropped", "blocked", "spamreport"]
    message_kind: Text(60) = ""
    role: Text(20) = ""


class AgreementRequest(BaseModel):
    """A case asks its Advocate's entity workflow for the one-time Advocate Agreement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_workflow_id: Text(60, 1)
    case_id: Text(30, 1)
    advocate: Advocate


class AgreementSigned(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_id: Text(100, 1)
    signed_at: datetime


class Signal:
    """Signal names, shared by the workflows, the gateway and the agreement activity."""

    ENVELOPE_EVENT = "envelope_event"
    INVOICE_EVENT = "invoice_event"
    MAIL_EVENT = "mail_event"
    REQUEST_AGREEMENT = "request_agreement"
    AGREEMENT_SIGNED = "agreement_signed"
