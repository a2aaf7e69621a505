"""Everything a case remembers. One model, so continue-as-new carries the whole case across runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from casefac.case import CaseRequest, CaseStage
from casefac.contract import ContractRevision
from casefac.evaluation import Evaluation, Outcome
from casefac.events import EnvelopeEvent, InvoiceEvent
from casefac.messages import CancelCase, ReviewCase
from casefac.money import ExchangeRate, Money
from casefac.parties import Advocate, Defender
from casefac.policy import CasePolicy
from casefac.pricing import PricedReport
from casefac.report import Adjustment, SubmittedReport

_model = ConfigDict(extra="forbid")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at: datetime
    stage: CaseStage
    event: str
    actor: str | None = None


class Waiting(BaseModel):
    """Who the case waits on, for what, since when: the first thing staff ask about a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    role: str
    party_id: str | None = None
    what: str
    since: datetime


class Attention(BaseModel):
    """A provider refused a step for good; staff fix the cause, then ``retry_step`` or ``cancel_case``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    step: str
    error_type: str
    message: str
    since: datetime
    #: False for problems that do not stop the case (a bounced or unsent email): staff look, nothing waits.
    blocking: bool = True


class StageChange(BaseModel):
    """When the case entered a stage (the case record's days-per-stage figures come from these)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    stage: CaseStage
    at: datetime


class AttentionEpisode(BaseModel):
    """One NeedsAttention, kept after staff cleared it so the record can count and time them."""

    model_config = _model
    step: str
    error_type: str
    message: str
    since: datetime
    blocking: bool = True
    resolved_at: datetime | None = None


class Offer(BaseModel):
    """An assignment offered to a Defender and what came of it."""

    model_config = _model
    defender_id: str
    offered_at: datetime
    result: Literal["open", "accepted", "declined", "no_answer"] = "open"
    reason: str = ""
    #: When the Defender answered, or the offer lapsed.
    answered_at: datetime | None = None
    #: Staff's reason for offering it to a Defender who was away or at capacity.
    override: str = ""


class InvoiceStatusChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    status: str
    at: datetime


class AgreementStatus(BaseModel):
    model_config = _model
    status: Literal["not_requested", "pending", "signed"] = "not_requested"
    envelope_id: str | None = None
    signed_at: datetime | None = None


class EnvelopeState(BaseModel):
    model_config = _model
    envelope_id: str
    revision: int
    status: Literal["sent", "completed", "declined", "voided"] = "sent"
    signed: list[str] = []  # recipient ids
    documents_uri: str | None = None


class TaskState(BaseModel):
    model_config = _model
    id: str
    description: str
    status: Literal["open", "in_progress", "done", "blocked"] = "open"
    notes: list[str] = []
    updated_at: datetime | None = None


class InvoiceState(BaseModel):
    model_config = _model
    report_number: int
    invoice_id: str
    number: str | None = None
    status: Literal["draft", "open", "paid", "void", "uncollectible", "payment_failed"]
    amount_due: Money
    hosted_invoice_url: str | None = None
    issued_at: datetime
    due_date: date | None = None
    reminders_sent: int = 0
    escalated: bool = False
    paid_at: datetime | None = None
    history: list[InvoiceStatusChange] = []


class PayoutState(BaseModel):
    model_config = _model
    report_number: int
    method: Literal["stripe_connect", "manual"]
    amount: Money
    status: Literal["pending", "paid"] = "pending"
    reference: str | None = None
    requested_at: datetime
    reminders_sent: int = 0
    paid_at: datetime | None = None


class ApprovedReport(BaseModel):
    model_config = _model
    number: int
    priced: PricedReport
    exchange_rates: list[ExchangeRate] = []
    adjustments: list[Adjustment] = []
    approved_by: str
    approved_at: datetime


class CaseState(BaseModel):
    model_config = _model

    stage: CaseStage = CaseStage.REVIEW
    opened_at: datetime
    roster: list[Defender] = []
    review: ReviewCase | None = None
    defender: Defender | None = None
    offer_sent_at: datetime | None = None
    defender_accepted: bool | None = None
    declined_defenders: list[str] = []
    agreement: AgreementStatus = AgreementStatus()
    revisions: list[ContractRevision] = []
    advocate_completed: bool = False
    envelope: EnvelopeState | None = None
    envelope_attempts: int = 0
    tasks: list[TaskState] = []
    reports: list[SubmittedReport] = []
    approved: list[ApprovedReport] = []
    invoices: list[InvoiceState] = []
    payouts: list[PayoutState] = []
    final_approved: bool = False
    evaluations: dict[str, Evaluation] = {}
    evaluation_started_at: datetime | None = None
    evaluation_reminders: int = 0
    outcome_reminders: int = 0
    outcome: Outcome | None = None
    attention: Attention | None = None
    retry_requested: bool = False
    cancel: CancelCase | None = None
    seen_events: Annotated[list[str], Field(max_length=2000)] = []
    orphan_envelope_events: list[EnvelopeEvent] = []
    orphan_invoice_events: list[InvoiceEvent] = []
    timeline: list[TimelineEntry] = []
    waiting: Waiting | None = None
    mail_seq: int = 0
    runs: int = 1
    # The case record (``records/``): what the workflow decided, for the system of record.
    stage_changes: list[StageChange] = []
    offers: list[Offer] = []
    attention_log: list[AttentionEpisode] = []
    evaluated_at: dict[str, datetime] = {}
    outcome_at: datetime | None = None
    #: Milestones so far, and the last one the record confirmed ("records behind" when they differ).
    record_seq: int = 0
    record_written: int = 0
    #: The record refused this case for good (its id holds another case): staff were told, writes stopped.
    record_refused: bool = False


class CaseInput(BaseModel):
    """Workflow input: the request, the policy in force, and (after continue-as-new) the state."""

    model_config = _model
    request: CaseRequest
    policy: CasePolicy
    state: CaseState | None = None


class AdvocateState(BaseModel):
    """The Advocate entity's memory: the one-time agreement and the cases waiting for it."""

    model_config = _model
    status: Literal["none", "pending", "signed", "declined"] = "none"
    envelope_id: str | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    declined_at: datetime | None = None
    signed_at: datetime | None = None
    waiters: list[str] = []  # case workflow ids
    first_case_id: str | None = None
    seen_events: list[str] = []
    cases_served: int = 0


class AdvocateInput(BaseModel):
    model_config = _model
    advocate: Advocate
    policy: CasePolicy
    state: AdvocateState | None = None
