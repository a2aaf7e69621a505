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

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: EventId
    envelope_id: Text(100, 1)
    kind: Literal["sent", "delivered", "recipient_completed", "recipient_declined", "completed", "declined",
                  "voided"]
    recipient_id: Text(40) | None = None
    reason: Text(2000) = ""
    at: datetime | None = None


class InvoiceEvent(BaseModel):
    """A Stripe event about one of a case's invoices (``gateway/webhooks_stripe.py`` maps the types).

    ``paid``, ``payment_failed``, ``voided``; and the rest of the lifecycle (W2, review M6):
    ``marked_uncollectible``, ``partially_paid`` (``invoice.updated`` with a payment short of the total),
    ``credit_note`` (``credit_note.created``), ``refunded`` (``charge.refunded``), ``dispute_opened`` /
    ``dispute_closed`` (``charge.dispute.*``); ``transfer_reversed`` names the Defender's Connect transfer in
    ``invoice_id``. ``amount`` is the event's own amount (credit, refund, dispute, reversal).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: EventId
    invoice_id: Text(100, 1)
    kind: Literal["paid", "payment_failed", "voided", "marked_uncollectible", "partially_paid", "credit_note",
                  "refunded", "dispute_opened", "dispute_closed", "transfer_reversed"]
    amount_paid: int | None = None
    amount_remaining: int | None = None
    amount: int | None = None
    outcome: Text(40) = ""


class MailEvent(BaseModel):
    """A SendGrid delivery problem (bounce, dropped) for a message this case sent."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: EventId
    kind: Literal["bounce", "dropped", "blocked", "spamreport"]
    message_kind: Text(60) = ""
    role: Text(20) = ""


class AgreementRequest(BaseModel):
    """A case asks its Advocate's entity workflow for the one-time Advocate Agreement."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_workflow_id: Text(60, 1)
    case_id: Text(30, 1)
    advocate: Advocate


class AgreementWithdrawal(BaseModel):
    """W1: a case no longer waits for the Advocate Agreement (it was cancelled or left AGREEMENT)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_workflow_id: Text(60, 1)
    case_id: Text(30, 1)


class AgreementSigned(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    envelope_id: Text(100, 1)
    signed_at: datetime


class Signal:
    """Signal names, shared by the workflows, the gateway and the agreement activity."""

    ENVELOPE_EVENT = "envelope_event"
    INVOICE_EVENT = "invoice_event"
    MAIL_EVENT = "mail_event"
    REQUEST_AGREEMENT = "request_agreement"
    AGREEMENT_SIGNED = "agreement_signed"
    #: W1: a case tells its Advocate's entity it no longer waits (``AgreementWithdrawal``).
    WITHDRAW_REQUEST = "withdraw_request"
