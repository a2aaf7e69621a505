"""Payloads of the workflow's updates: every one names its actor, and the validators check it.

Update names are constants here so the CLI, the portal and the workflow never drift apart.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from casefac.contract import ContractTerms
from casefac.evaluation import Evaluation, Outcome
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor, PartyId
from casefac.report import Adjustment, HourExpenseReport

Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class LinkUse(BaseModel):
    """The portal link an update came through, set by the gateway from the verified token.

    The workflow refuses a one-shot link's nonce once it has been used, and any link whose epoch is older
    than the party's current one (staff bump it when they revoke or re-send a party's links).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    nonce: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    epoch: Annotated[int, Field(ge=0)] = 0


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    actor: Actor
    #: Set by the portal for a party's update (``gateway/portal``); checked by ``workflows/guard_links.py``.
    link: LinkUse | None = None
    #: A staff member's signed assertion over this update (``casefac/staff_assertion.py``), made by the CLI
    #: and verified by ``workflows/guard_staff.py``; the payload digest covers every field but this one.
    assertion: Annotated[str, Field(max_length=4096)] | None = None


class ReviewCase(_Message):
    """Staff accept the case with a Defender, or decline it with a reason."""

    decision: Literal["accept", "decline"]
    defender_id: PartyId | None = None
    reason: Annotated[str, Field(max_length=2000)] = ""
    #: Why staff assign a Defender who is away or at capacity (``casefac assign --override``); recorded.
    override: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def _shape(self) -> ReviewCase:
        if self.decision == "accept" and not self.defender_id:
            raise ValueError("defender_id: required to accept a case")
        if self.decision == "decline" and not self.reason.strip():
            raise ValueError("reason: required to decline a case")
        return self


class RespondToAssignment(_Message):
    accept: bool
    reason: Annotated[str, Field(max_length=2000)] = ""


class EditContract(_Message):
    """A new revision. ``base_revision`` guards against overwriting an edit the author has not seen."""

    base_revision: Annotated[int, Field(ge=1)]
    terms: ContractTerms
    note: Annotated[str, Field(max_length=2000)] = ""


class ApproveContract(_Message):
    revision: Annotated[int, Field(ge=1)]


class UpdateTask(_Message):
    task_id: Annotated[str, Field(pattern=r"^T[0-9]{1,3}$")]
    status: Literal["open", "in_progress", "done", "blocked"]
    note: Annotated[str, Field(max_length=2000)] = ""


class SubmitReport(_Message):
    report: HourExpenseReport


class ReviewReport(_Message):
    report_number: Annotated[int, Field(ge=1)]
    decision: Literal["approve", "request_changes"]
    exchange_rates: Annotated[list[ExchangeRate], Field(max_length=20)] = []
    adjustments: Annotated[list[Adjustment], Field(max_length=50)] = []
    reasons: Annotated[list[Reason], Field(max_length=20)] = []
    #: Why staff approve a report that takes the case over a cap (``--over-cap``); required then, recorded.
    over_cap: Annotated[str, Field(max_length=500)] = ""
    #: Where the rates come from (``--rate-source``, e.g. "Banguat reference rate") and their date.
    rate_source: Annotated[str, Field(max_length=120)] = ""
    rate_as_of: date | None = None
    #: Lines whose typed text goes on the Stripe invoice and LEDES file (``h1``, ``e2``, ``a1``); none by default.
    line_text: Annotated[list[Annotated[str, Field(pattern=r"^[hea][0-9]{1,3}$")]], Field(max_length=450)] = []

    @model_validator(mode="after")
    def _shape(self) -> ReviewReport:
        if self.decision == "request_changes" and not self.reasons:
            raise ValueError("reasons: say what must change")
        return self


class RecordPayout(_Message):
    """Finance records a manual transfer to a Defender who has no Stripe Connect account."""

    report_number: Annotated[int, Field(ge=1)]
    amount: Money
    reference: Annotated[str, Field(min_length=1, max_length=120)]
    paid_on: date
    #: What the Defender received when it differs from the approved amount (a wire in local currency, or net
    #: of the bank's fees), and the fees; both recorded and shown (review m4).
    received: Money | None = None
    fees: Money | None = None
    note: Annotated[str, Field(max_length=500)] = ""


class SubmitEvaluation(_Message):
    evaluation: Evaluation


class ReportOutcome(_Message):
    outcome: Outcome


class CancelCase(_Message):
    reason: Reason
    #: Invoices of approved work: ``void`` them or ``keep`` them payable (review M5). Required once the final
    #: report was approved (the work is done); before that, open invoices are voided unless ``keep``.
    invoices: Literal["void", "keep"] | None = None


class RetryStep(_Message):
    note: Annotated[str, Field(max_length=500)] = ""


class Receipt(BaseModel):
    """What an accepted update answers: where the case is now and a short human message."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    stage: str
    message: str
    number: int | None = None


class Update:
    """Update names, shared by the workflow, the CLI and the portal."""

    REVIEW_CASE = "review_case"
    RESPOND_TO_ASSIGNMENT = "respond_to_assignment"
    EDIT_CONTRACT = "edit_contract"
    APPROVE_CONTRACT = "approve_contract"
    UPDATE_TASK = "update_task"
    SUBMIT_REPORT = "submit_report"
    REVIEW_REPORT = "review_report"
    RECORD_PAYOUT = "record_payout"
    SUBMIT_EVALUATION = "submit_evaluation"
    REPORT_OUTCOME = "report_outcome"
    CANCEL_CASE = "cancel_case"
    RETRY_STEP = "retry_step"
    AMEND_ADVOCATE = "amend_advocate"  # W3
    AMEND_DEFENDER = "amend_defender"  # W3
    RESEND_AGREEMENT = "resend_agreement"  # W1: on the Advocate entity
    RESEND_LINK = "resend_link"  # W1
    APPROVE_PAYOUT = "approve_payout"
    RESOLVE_INVOICE = "resolve_invoice"


class ApprovePayout(_Message):
    """Four eyes (review C2): a second staff member releases a payout over the policy's threshold."""

    report_number: Annotated[int, Field(ge=1)]


class ResolveInvoice(_Message):
    """Staff's decision on an invoice that needs one (review M5, M6).

    ``write_off``: stop collecting it (recorded as uncollectible at Stripe); ``reissue``: void it and issue the
    report's invoice again under new idempotency keys; ``refund`` / ``credit``: a payment that raced a cancel is
    to be refunded or credited; ``keep``: the money stays as it is (e.g. the work was done).

    A refund or credit moves money, so it is two steps (review P1): finance makes it in the Stripe Dashboard and
    records its Stripe id as ``reference`` (``re_…`` for a refund, ``cn_…`` for a credit note); until then the
    decision is pending, finance is reminded and the case does not settle. A decision given with its reference
    is both steps at once.
    """

    report_number: Annotated[int, Field(ge=1)]
    decision: Literal["write_off", "reissue", "refund", "credit", "keep"]
    note: Annotated[str, Field(max_length=500)] = ""
    #: The Stripe refund (``re_…``) or credit note (``cn_…``) that carried out a refund or credit decision.
    reference: Annotated[str, Field(max_length=255)] = ""


class ResendAgreement(_Message):
    """W1: staff re-send the Advocate Agreement (``casefac resend CASE --what agreement``), on the entity."""

    note: Annotated[str, Field(max_length=500)] = ""


#: W1: the party links ``casefac resend CASE --what …`` can re-send (the pending action each names).
ResendWhat = Literal["offer", "contract-review", "sign", "tasks", "report", "evaluation", "outcome"]


class ResendLink(_Message):
    """W1: staff re-mail a party's pending action with a fresh link; the party's older links stop working."""

    what: ResendWhat
    note: Annotated[str, Field(max_length=500)] = ""


class AmendParty(_Message):
    """W3 (review M3): staff correct a party's contact details on a running case (``casefac amend``).

    Later mails, and a retried step, use the corrected details; the timeline records who changed what.
    """

    email: EmailStr | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    note: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def _something(self) -> AmendParty:
        if self.email is None and self.name is None:
            raise ValueError("email: give the corrected email or name")
        return self
