"""Everything a case remembers. One model, so continue-as-new carries the whole case across runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from casefac.activity_io import SendMail
from casefac.case import CaseRequest, CaseStage
from casefac.contract import ContractRevision
from casefac.evaluation import Evaluation, Outcome
from casefac.events import AgreementSigned, EnvelopeEvent, InvoiceEvent
from casefac.messages import CancelCase, ReviewCase
from casefac.money import ExchangeRate, Money
from casefac.parties import Advocate, Defender
from casefac.policy import CasePolicy
from casefac.pricing import PricedReport
from casefac.report import Adjustment, SubmittedReport
from casefac.staff_directory import StaffDirectory

_model = ConfigDict(extra="ignore")


class TimelineEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    at: datetime
    stage: CaseStage
    event: str
    actor: str | None = None


class Waiting(BaseModel):
    """Who the case waits on, for what, since when: the first thing staff ask about a case."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    role: str
    party_id: str | None = None
    what: str
    since: datetime
    #: The wait's deadline, when it has one (an assignment offer's "answer by", the party's local end of day).
    until: datetime | None = None


class Attention(BaseModel):
    """A provider refused a step for good; staff fix the cause, then ``retry_step`` or ``cancel_case``."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    step: str
    error_type: str
    message: str
    since: datetime
    #: False for problems that do not stop the case (a bounced or unsent email): staff look, nothing waits.
    blocking: bool = True


class StageChange(BaseModel):
    """When the case entered a stage (the case record's days-per-stage figures come from these)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
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
    #: The offer's deadline (the local end of the last business day) and the zone it was computed in.
    answer_by: datetime | None = None
    zone: str = ""


class InvoiceStatusChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    status: str
    at: datetime


class AgreementStatus(BaseModel):
    model_config = _model
    status: Literal["not_requested", "pending", "signed"] = "not_requested"
    envelope_id: str | None = None
    signed_at: datetime | None = None
    #: W1: an ``agreement_signed`` signal the case has not yet confirmed with the entity (security C2 §4).
    claimed: AgreementSigned | None = None


class EnvelopeState(BaseModel):
    model_config = _model
    envelope_id: str
    revision: int
    status: Literal["sent", "completed", "declined", "voided"] = "sent"
    signed: list[str] = []  # recipient ids
    documents_uri: str | None = None
    #: W1: a "completed" event arrived; DocuSign must confirm it before the case treats the contract as signed.
    completed_claimed: bool = False
    sent_at: datetime | None = None


class TaskState(BaseModel):
    model_config = _model
    id: str
    description: str
    status: Literal["open", "in_progress", "done", "blocked"] = "open"
    notes: list[str] = []
    updated_at: datetime | None = None
    #: Accepted saves of this task (a quota: a link holder cannot flood the case's history).
    updates: int = 0


class InvoiceState(BaseModel):
    model_config = _model
    report_number: int
    invoice_id: str
    number: str | None = None
    status: Literal["draft", "open", "paid", "void", "uncollectible", "payment_failed"]
    #: What Stripe says is due now (after credit notes and customer balance); ``total`` is what was billed.
    amount_due: Money
    hosted_invoice_url: str | None = None
    issued_at: datetime
    due_date: date | None = None
    reminders_sent: int = 0
    escalated: bool = False
    paid_at: datetime | None = None
    history: list[InvoiceStatusChange] = []
    # W2 (review M6): Stripe's figures, kept as Stripe gives them (None: issued before they were recorded).
    total: Money | None = None
    amount_paid: Money | None = None
    amount_remaining: Money | None = None
    #: Credit notes and refunds against this invoice (minor units of its currency, positive).
    credited: int = 0
    refunded: int = 0
    #: Open disputes (chargebacks) on the invoice's payment.
    disputed: bool = False
    #: A ``paid`` signal is being confirmed at Stripe before the invoice is treated as paid (security C2 §4).
    confirming: bool = False
    #: Staff's decision on an invoice dunning gave up on, or one paid during a cancel: ``write_off``,
    #: ``reissue``, ``refund``, ``credit`` or ``keep``; empty while none is needed or taken.
    resolution: str = ""
    #: A decision staff must take about this invoice (why), shown in status and the finance view.
    needs_decision: str = ""
    #: Review P1: a refund or credit decided but not yet made in Stripe (finance records its id); not settled.
    resolution_pending: bool = False
    resolution_pending_since: datetime | None = None
    resolution_reminders: int = 0
    #: The Stripe refund (``re_…``) or credit note (``cn_…``) finance recorded for a refund or credit decision.
    resolution_reference: str = ""
    #: A staff re-issue of this report's invoice: the idempotency-key suffix generation used for it.
    reissue: int = 0

    @property
    def billed(self) -> Money:
        """The invoice's total (``amount_due`` for invoices recorded before the total was)."""
        return self.total or self.amount_due


class PayoutState(BaseModel):
    model_config = _model
    report_number: int
    method: Literal["stripe_connect", "manual"]
    amount: Money
    #: ``to_approve``: over the four-eyes threshold, waiting for a second staff member (C2).
    status: Literal["pending", "paid", "to_approve", "reversed", "waived"] = "pending"
    reference: str | None = None
    requested_at: datetime
    reminders_sent: int = 0
    paid_at: datetime | None = None
    # W2 (review m4): what finance recorded of a manual transfer.
    paid_on: date | None = None
    #: The amount the Defender received when it differs (a wire in local currency, or net of fees).
    received: Money | None = None
    fees: Money | None = None
    note: str = ""
    approved_by: str | None = None


class ApprovedReport(BaseModel):
    model_config = _model
    number: int
    priced: PricedReport
    exchange_rates: list[ExchangeRate] = []
    adjustments: list[Adjustment] = []
    approved_by: str
    approved_at: datetime
    # W2 (review C2): where the rates came from, the caps this approval exceeds and why staff approved it.
    rate_source: str = ""
    rate_as_of: date | None = None
    over_caps: list[str] = []
    over_cap_reason: str = ""
    #: Lines whose typed text staff chose to show on the invoice and LEDES file (``h1``, ``e2``, ``a1``).
    line_text: list[str] = []
    #: Four eyes: the payout exceeds the threshold and needs a second staff member before it goes out.
    payout_needs_second: bool = False
    payout_approved_by: str | None = None
    payout_approved_at: datetime | None = None


class WaitClock(BaseModel):
    """Where one wait stands: since when, reminders sent, escalated; carried across continue-as-new."""

    model_config = _model
    since: datetime
    reminders: int = 0
    escalated: bool = False
    #: Slow (weekly) staff reminders after the party reminders ran out.
    slow: int = 0


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
    # W3: waits, timers and the people's forms (review M1, M2, M3, M8).
    #: The open offer's deadline (the Defender's local end of day), fixed when the offer went out.
    offer_deadline: datetime | None = None
    #: The offer's half-window reminder went out (m22).
    offer_reminded: bool = False
    #: The offer's email failed: the deadline is paused until staff retry and it is re-sent (M3).
    offer_mail_failed: bool = False
    #: Each restart-safe wait's clock, by key, so a case resumes mid-wait after continue-as-new (M2).
    waits: dict[str, WaitClock] = {}
    #: Emails a provider refused, re-sent by ``retry_step`` (bounded; the newest kept).
    failed_mails: list[SendMail] = []
    #: The roster is being (re)loaded: a review now would be checked against a stale or empty list (m11).
    roster_loading: bool = False
    #: Each party's IANA zone, fixed when first needed (``casefac.timezones``).
    defender_tz: str = ""
    advocate_tz: str = ""
    #: Non-blocking problems still open besides ``attention`` (m8), newest last, bounded.
    notices: list[Attention] = []
    #: Staff corrections of a party's details (``amend_advocate`` / ``amend_defender``), newest last.
    amendments: int = 0
    # S3: portal link revocation and single use (``workflows/guard_links.py``): each party's link epoch
    # (``"role:party_id"``; bumped by ``casefac resend``) and the spent one-shot nonces (bounded, oldest first).
    link_epochs: dict[str, int] = {}
    used_links: Annotated[list[str], Field(max_length=512)] = []
    # W2: money correctness. A cancel's clean-up (review M5): whether staff void invoices for approved work.
    cancel_invoices: Literal["void", "keep"] | None = None
    #: Why the case is over a cap right now (the pending report), shown to staff until it is reviewed.
    caps_flagged: list[str] = []
    # W1: the contract revision whose envelope is being created or is out (edits and approvals wait, C1), and
    # the contract wait's escalation clock across revisions and signatures (m10).
    signing_revision: int | None = None
    contract_since: datetime | None = None
    contract_escalated: bool = False
    signature_escalated: bool = False
    # S2: signed staff updates (``workflows/guard_staff.py``): the staff directory snapshot (public keys, roles,
    # revoked-at) and the nonces of assertions already used here (nonce -> expiry; bounded, expired dropped).
    staff_directory: StaffDirectory | None = None
    used_assertions: Annotated[dict[str, datetime], Field(max_length=2000)] = {}


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
    # W1 (review M4, m8, m16; security C2 §4): the entity's own mail counter (keys stay distinct across runs),
    # the case id of each waiting case and the case the last sign link named, reminders of the envelope out,
    # the Advocate's details that envelope was sent to, staff's pending re-send, a "completed" awaiting
    # DocuSign's confirmation, a contact change to tell staff about, and whether it rests until staff act.
    mail_seq: int = 0
    waiter_cases: dict[str, str] = {}
    link_case_id: str | None = None
    relink: bool = False
    reminders: int = 0
    escalated: bool = False
    auto_resends: int = 0
    stalled: bool = False
    signer: Advocate | None = None
    resend_by: str | None = None
    to_confirm: str | None = None
    contact_change: Advocate | None = None
    contact_case_id: str | None = None
    # S3: the Advocate's agreement links: their epoch (``"role:party_id"``) and spent nonces (guard_links).
    link_epochs: dict[str, int] = {}
    used_links: Annotated[list[str], Field(max_length=512)] = []
    # S2: signed staff updates on the entity, as on a case (``workflows/guard_staff.py``).
    staff_directory: StaffDirectory | None = None
    used_assertions: Annotated[dict[str, datetime], Field(max_length=2000)] = {}


class AdvocateInput(BaseModel):
    model_config = _model
    advocate: Advocate
    policy: CasePolicy
    state: AdvocateState | None = None
