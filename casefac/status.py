"""The ``status`` query's answer: what staff, finance and the portal need to know about one case."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from casefac.case import CaseStage
from casefac.contract import ContractRevision
from casefac.money import Money, total
from casefac.parties import Service
from casefac.state import (
    AgreementStatus,
    Attention,
    EnvelopeState,
    InvoiceState,
    PayoutState,
    TaskState,
    TimelineEntry,
    Waiting,
)


class ReportView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    number: int
    kind: str
    status: str
    hours: str
    expense_currencies: list[str]
    change_reasons: list[str] = []


class MoneyFigures(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    invoiced: Money | None = None
    paid: Money | None = None
    outstanding: Money | None = None
    paid_out: Money | None = None
    payout_pending: Money | None = None


def money_figures(invoices: list[InvoiceState], payouts: list[PayoutState]) -> MoneyFigures:
    """Invoiced, paid and outstanding (void invoices left out), paid out and pending, in the case's currencies."""
    inv = [i for i in invoices if i.status != "void"]
    figures: dict[str, Money | None] = {}
    if inv:
        cur = inv[0].amount_due.currency
        figures["invoiced"] = total([i.amount_due for i in inv], cur)
        figures["paid"] = total([i.amount_due for i in inv if i.status == "paid"], cur)
        figures["outstanding"] = total([i.amount_due for i in inv if i.status != "paid"], cur)
    if payouts:
        cur = payouts[0].amount.currency
        figures["paid_out"] = total([p.amount for p in payouts if p.status == "paid"], cur)
        figures["payout_pending"] = total([p.amount for p in payouts if p.status == "pending"], cur)
    return MoneyFigures(**figures)


class SignerView(BaseModel):
    """Who signs next on an open envelope, as DocuSign needs it for a recipient view (exact name and email)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    envelope_id: str
    recipient_id: str
    client_user_id: str
    name: str
    email: str


class CaseStatus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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

    @property
    def record_behind(self) -> bool:
        return self.record_written < self.record_seq
