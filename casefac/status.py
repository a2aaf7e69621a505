"""The ``status`` query's answer: what staff, finance and the portal need to know about one case."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from casefac.caps import CapsView
from casefac.case import CaseStage
from casefac.contract import ContractRevision
from casefac.money import Money, total
from casefac.parties import Service
from casefac.pricing import PricedReport
from casefac.report import HourExpenseReport, ReceiptRef
from casefac.state import (
    AgreementStatus,
    ApprovedReport,
    Attention,
    EnvelopeState,
    InvoiceState,
    Offer,
    PayoutState,
    TaskState,
    TimelineEntry,
    Waiting,
)


class ReportView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    number: int
    kind: str
    status: str
    hours: str
    expense_currencies: list[str]
    change_reasons: list[str] = []
    #: W3: the receipts attached to the report's expenses (references into the document store).
    receipts: list[ReceiptRef] = []


class MoneyFigures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    invoiced: Money | None = None
    paid: Money | None = None
    outstanding: Money | None = None
    paid_out: Money | None = None
    payout_pending: Money | None = None


def _paid(inv: InvoiceState) -> Money:
    if inv.status == "paid":
        return inv.amount_paid if inv.amount_paid is not None and inv.amount_paid.amount > 0 else inv.billed
    return inv.amount_paid or Money.zero(inv.amount_due.currency)


def money_figures(invoices: list[InvoiceState], payouts: list[PayoutState]) -> MoneyFigures:
    """Invoiced, paid and outstanding (void invoices left out), paid out and pending, in the case's currencies."""
    inv = [i for i in invoices if i.status != "void"]
    figures: dict[str, Money | None] = {}
    if inv:
        cur = inv[0].amount_due.currency
        # W2 (review M6): invoiced is what was billed (the total); paid and outstanding what Stripe says was
        # paid and remains (a partial payment, a credit note), where the case knows it.
        figures["invoiced"] = total([i.billed for i in inv], cur)
        figures["paid"] = total([_paid(i) for i in inv], cur)
        figures["outstanding"] = total([i.amount_remaining if i.amount_remaining is not None else i.amount_due
                                        for i in inv if i.status != "paid"], cur)
    if payouts:
        cur = payouts[0].amount.currency
        figures["paid_out"] = total([p.amount for p in payouts if p.status == "paid"], cur)
        figures["payout_pending"] = total([p.amount for p in payouts if p.status == "pending"], cur)
    return MoneyFigures(**figures)


class SignerView(BaseModel):
    """Who signs next on an open envelope, as DocuSign needs it for a recipient view (exact name and email)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    envelope_id: str
    recipient_id: str
    client_user_id: str
    name: str
    email: str


class CaseStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    stage: CaseStage
    country: str
    region: str | None = None
    services: list[Service] = []
    deadline: date | None = None
    #: What the Advocate asked for, shown while staff review the case (description: free text, encrypted).
    budget_cap: Money | None = None
    #: The case's policy for invoices Stripe gives no due date: the CLI's "overdue" must agree with the UI's.
    invoice_days_until_due: int = 30
    description: str = ""
    matter_type: str = ""
    advocate_id: str
    advocate_language: str
    billing_currency: str = "USD"
    defender_id: str | None
    defender_language: str | None
    #: Defenders who declined this case or let its offer lapse (never offered it again).
    declined_defenders: list[str] = []
    waiting: Waiting | None
    attention: Attention | None
    agreement: AgreementStatus
    contract: ContractRevision | None
    previous_contract: ContractRevision | None
    advocate_completed: bool
    envelope: EnvelopeState | None
    tasks: list[TaskState]
    reports: list[ReportView]
    invoices: list[InvoiceState]
    payouts: list[PayoutState]
    money: MoneyFigures
    evaluations_from: list[str]
    outcome: str | None
    timeline: list[TimelineEntry]
    history_events: int
    #: The case record: milestones so far and the last one the record confirmed (behind when they differ).
    record_seq: int = 0
    record_written: int = 0
    # S3: the portal refuses a revoked or spent link before showing anything (``gateway/portal/access.py``);
    # the workflow (``workflows/guard_links.py``) stays the authority.
    link_epochs: dict[str, int] = {}
    used_links: list[str] = []
    # W2: the signed contract's caps and the budget against approved reports (finance, the Defender's form).
    caps: CapsView | None = None
    #: Caps the report waiting for review would exceed (flagged when it arrived; approval needs --over-cap).
    caps_flagged: list[str] = []
    #: Staff's approvals: rates with their source and date, caps exceeded and why, four-eyes approver.
    approvals: list[ApprovedReport] = []
    # W3: every offer of the case and what came of it (a Defender's decline reason is staff's to read), the
    # open offer's deadline, and the parties' time zones.
    offers: list[Offer] = []
    offer_deadline: datetime | None = None
    defender_tz: str = ""
    advocate_tz: str = ""
    #: Emails a provider refused that ``casefac retry`` sends again.
    failed_mails: int = 0
    #: Runs so far (continue-as-new starts a new one; the case is the same).
    runs: int = 1
    #: The report staff asked changes on, while no newer one is waiting: the portal pre-fills its form with it.
    report_to_correct: HourExpenseReport | None = None
    #: Further non-blocking problems kept behind ``attention`` (each ``casefac retry`` clears one, m8).
    notices: list[Attention] = []

    @property
    def record_behind(self) -> bool:
        return self.record_written < self.record_seq


class ReviewPreview(BaseModel):
    """W2: what an approval would cause (``review_preview`` query): the CLI shows it and asks before sending."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    priced: PricedReport | None = None
    over_caps: list[str] = []
    caps: CapsView | None = None
    #: Why the workflow would refuse the approval as typed (None: it would be accepted).
    refusal: str | None = None
    payout_method: str | None = None
    needs_second_approval: bool = False
