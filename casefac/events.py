"""Signal payloads: provider events (from verified webhooks) and the Advocate entity's answers.

Every provider event carries the provider's event id: the workflow remembers the ids it has seen, so a
webhook delivered twice changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from casefac.parties import Advocate

EventId = Annotated[str, Field(min_length=1, max_length=200)]


class EnvelopeEvent(BaseModel):
    """A DocuSign Connect event for one envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    envelope_id: Annotated[str, Field(min_length=1, max_length=100)]
    kind: Literal["sent", "delivered", "recipient_completed", "recipient_declined", "completed", "declined",
                  "voided"]
    recipient_id: str | None = None
    reason: Annotated[str, Field(max_length=2000)] = ""
    at: datetime | None = None


class InvoiceEvent(BaseModel):
    """A Stripe invoice event (``invoice.paid``, ``invoice.payment_failed``, ``invoice.voided``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    invoice_id: Annotated[str, Field(min_length=1, max_length=100)]
    kind: Literal["paid", "payment_failed", "voided"]
    amount_paid: int | None = None


class MailEvent(BaseModel):
    """A SendGrid delivery problem (bounce, dropped) for a message this case sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    kind: Literal["bounce", "dropped", "blocked", "spamreport"]
    message_kind: str = ""
    role: str = ""


class AgreementRequest(BaseModel):
    """A case asks its Advocate's entity workflow for the one-time Advocate Agreement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    case_workflow_id: str
    case_id: str
    advocate: Advocate


class AgreementSigned(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    envelope_id: str
    signed_at: datetime


class Signal:
    """Signal names, shared by the workflows, the gateway and the agreement activity."""

    ENVELOPE_EVENT = "envelope_event"
    INVOICE_EVENT = "invoice_event"
    MAIL_EVENT = "mail_event"
    REQUEST_AGREEMENT = "request_agreement"
    AGREEMENT_SIGNED = "agreement_signed"
