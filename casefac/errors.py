"""Error types activities raise, and how a provider's HTTP answer becomes one.

Workflows match failures by ``ApplicationError.type`` (the names in :class:`ErrorType`), never by
exception class, so this module has no provider SDK in it and is safe to import from workflow code.

The rule (DESIGN §5): timeouts, connection errors, 408/409/429 and 5xx are transient and raise a
*retryable* ``ApplicationError`` so the activity's ``RetryPolicy`` backs off; any other 4xx is a
rejection that will not fix itself, so it is *non-retryable* and the case raises ``NeedsAttention``.
Failure *messages* are not encrypted by the payload codec (only payloads are), so they carry ids, HTTP
status and provider error codes only. The provider's own text goes in the error's details (a payload,
so encrypted), scrubbed of e-mail addresses and truncated all the same.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from temporalio.exceptions import ApplicationError


class ErrorType:
    """``ApplicationError.type`` values. ``*Unavailable`` are retryable; everything else is not."""

    DOCUSIGN_UNAVAILABLE = "DocuSignUnavailable"
    DOCUSIGN_REJECTED = "DocuSignRejected"
    SENDGRID_UNAVAILABLE = "SendGridUnavailable"
    SENDGRID_REJECTED = "SendGridRejected"
    STRIPE_UNAVAILABLE = "StripeUnavailable"
    STRIPE_REJECTED = "StripeRejected"
    #: Same idempotency key sent with different parameters: a bug in the caller, never retried.
    STRIPE_IDEMPOTENCY_CONFLICT = "StripeIdempotencyConflict"
    #: VOID_INVOICE on a paid invoice: the money moved, a person must decide (refund / credit note).
    INVOICE_ALREADY_PAID = "InvoiceAlreadyPaid"
    #: The invoice Stripe computed does not add up to ``IssueInvoice.total``; nothing was finalized.
    INVOICE_TOTAL_MISMATCH = "InvoiceTotalMismatch"
    #: A payout that is not a positive amount.
    INVALID_PAYOUT = "InvalidPayout"
    ROSTER_INVALID = "RosterInvalid"
    #: Signed documents cannot be stored under the given case id / label (not a safe storage key).
    DOCUMENT_KEY_INVALID = "DocumentKeyInvalid"
    #: A mail to a party whose address is unknown (``MailTo.email`` missing for a non-staff role).
    MAIL_RECIPIENT_MISSING = "MailRecipientMissing"
    #: A mail asked for a portal link its recipient may not hold (another party's, another case's): refused.
    MAIL_LINK_REFUSED = "MailLinkRefused"
    #: The asking workflow could not confirm a link's address (no worker answering its query): retried.
    MAIL_ADDRESS_UNVERIFIED = "MailAddressUnverified"
    #: The case record holds another case under this id: a reused id never overwrites the case of record.
    RECORD_ID_TAKEN = "RecordIdTaken"
    #: The records database is unreachable or behind the code's schema: retried until it is back.
    RECORDS_UNAVAILABLE = "RecordsUnavailable"
    #: DocuSign refused a signing view: an earlier signer (routing order) has not signed yet.
    RECIPIENT_NOT_IN_SEQUENCE = "RecipientNotInSequence"
    #: DocuSign refused a signing view: the envelope is completed, voided or declined.
    ENVELOPE_NOT_SIGNABLE = "EnvelopeNotSignable"


#: Statuses that say "try again later" rather than "this request is wrong".
TRANSIENT_STATUSES: frozenset[int] = frozenset({408, 409, 425, 429})

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_MAX_MESSAGE = 300


def scrub(text: object) -> str:
    """Provider text without e-mail addresses, on one line, short enough for a UI column."""
    cleaned = _EMAIL.sub("<email>", " ".join(str(text).split()))
    return cleaned if len(cleaned) <= _MAX_MESSAGE else cleaned[: _MAX_MESSAGE - 1] + "…"


def is_transient(status: int | None) -> bool:
    """No status (connection failed, timeout) counts as transient, like 5xx and the listed 4xx."""
    return status is None or status == 0 or status >= 500 or status in TRANSIENT_STATUSES


def unavailable(error_type: str, what: str, *, status: int | None = None, code: str | None = None,
                retry_after: float | None = None, provider_message: str | None = None,
                fix: str | None = None) -> ApplicationError:
    """A retryable failure; ``retry_after`` (a provider's ``Retry-After``) overrides the policy's delay."""
    delay = timedelta(seconds=retry_after) if retry_after and retry_after > 0 else None
    return ApplicationError(_message(what, status, code, fix), _details(status, code, provider_message, fix),
                            type=error_type, non_retryable=False, next_retry_delay=delay)


def rejected(error_type: str, what: str, *, status: int | None = None, code: str | None = None,
             provider_message: str | None = None, fix: str | None = None) -> ApplicationError:
    """A non-retryable failure: the same request would fail the same way.

    ``fix`` says in words what a person must do before ``casefac retry`` (top up a balance, give consent,
    verify a sender). It ends the message (shown in NeedsAttention, status and the staff email) and is in
    the details too, so it must hold no personal data: ids, amounts and setting names only.
    """
    return ApplicationError(_message(what, status, code, fix), _details(status, code, provider_message, fix),
                            type=error_type, non_retryable=True)


def for_status(unavailable_type: str, rejected_type: str, what: str, *, status: int | None,
               code: str | None = None, retry_after: float | None = None,
               provider_message: str | None = None, fix: str | None = None) -> ApplicationError:
    """Pick retryable or not from the HTTP status, by the rule at the top of this module."""
    if is_transient(status):
        return unavailable(unavailable_type, what, status=status, code=code, retry_after=retry_after,
                           provider_message=provider_message, fix=fix)
    return rejected(rejected_type, what, status=status, code=code, provider_message=provider_message, fix=fix)


def _details(status: int | None, code: str | None, provider_message: str | None,
             fix: str | None = None) -> dict[str, object]:
    details: dict[str, object] = {"status": status, "code": code,
                                  "provider_message": scrub(provider_message) if provider_message else None}
    if fix:
        details["fix"] = fix
    return details


def rate_limit_delay(headers: Mapping[str, str] | None, *, clock: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait before the next call, from ``Retry-After`` and ``X-RateLimit-Reset`` alike.

    SendGrid and DocuSign signal a spent budget with ``X-RateLimit-Reset`` (Unix seconds when it refills),
    Stripe and proxies with ``Retry-After`` (seconds). When both are present the later one wins, so a retry
    never lands before the budget is back. Header names are matched case-insensitively.
    """
    if not headers:
        return None
    lower = {str(k).lower(): v for k, v in headers.items()}
    waits = [retry_after_seconds(lower.get("retry-after"))]
    try:
        reset = float(str(lower.get("x-ratelimit-reset")))
    except (TypeError, ValueError):
        reset = 0.0
    if reset > 0:
        waits.append(reset - clock() if reset > 1e9 else reset)  # epoch seconds, or (rarely) seconds to wait
    positive = [w for w in waits if w is not None and w > 0]
    return max(positive) if positive else None


def retry_after_seconds(value: object) -> float | None:
    """``Retry-After`` in seconds (HTTP dates are rare from these providers and are ignored)."""
    try:
        seconds = float(str(value))
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _message(what: str, status: int | None, code: str | None, fix: str | None = None) -> str:
    parts = [scrub(what)]
    if status:
        parts.append(f"HTTP {status}")
    if code:
        parts.append(f"code {scrub(code)}")
    message = " · ".join(parts)
    return f"{message} · fix: {fix}" if fix else message
