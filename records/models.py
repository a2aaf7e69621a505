"""The case record's tables (SQLAlchemy 2.0 typed declarative models).

Reportable facts are plain columns so reports aggregate them in SQL; every column whose name ends in
``_sealed`` holds personal data or free text sealed by :mod:`records.sealing` (never plaintext). Money is
integer minor units beside an ISO-4217 code; ``*_usd`` columns hold the same amount in USD at the exchange
rate staff approved for that report (NULL when no such rate was approved), so funders' USD totals are a
plain ``SUM``.

Child rows are keyed by the case and a natural key (report number, line number, role…), so writing the
same snapshot twice leaves one row each (:mod:`records.store`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Constraint names fixed by convention, so Alembic migrations name them the same on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _case_fk() -> Mapped[str]:
    return mapped_column(String(20), ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC on every backend: SQLite keeps no offset, so every value is turned to UTC on the way
    in (a DocuSign time at -06:00 would otherwise come back six hours off) and labelled UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class CaseRow(Base):
    """One Case Facilitation, from the request to its close; the parent of every other row."""

    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The first run id of the case's workflow: a second case under a reused id is told apart by it.
    origin: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(40))
    #: The workflow's per-case sequence number of the snapshot this row reflects (older ones are ignored).
    seq: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    advocate_id: Mapped[str] = mapped_column(String(40), ForeignKey("advocates.advocate_id"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    matter_type: Mapped[str] = mapped_column(String(40))
    #: LSC CSR problem code (two digits; 81 Immigration/Naturalization for most of JiM's cases).
    problem_code: Mapped[str] = mapped_column(String(2))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    opened_by: Mapped[str] = mapped_column(String(60))
    deadline: Mapped[date | None] = mapped_column(Date)
    budget_cap_amount: Mapped[int | None] = mapped_column(BigInteger)
    budget_cap_currency: Mapped[str | None] = mapped_column(String(3))
    billing_currency: Mapped[str] = mapped_column(String(3))

    stage: Mapped[str] = mapped_column(String(12), index=True)
    #: When the case reached CLOSED, DECLINED or CANCELLED.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    defender_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("defenders.defender_id"), index=True)

    agreement_status: Mapped[str] = mapped_column(String(16))
    agreement_envelope_id: Mapped[str | None] = mapped_column(String(64))
    agreement_signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_decided_on: Mapped[date | None] = mapped_column(Date)
    outcome_notes_sealed: Mapped[str | None] = mapped_column(Text)
    #: LSC CSR closing code the outcome suggests (:mod:`records.vocabulary`); staff may set their own.
    closing_code_suggested: Mapped[str | None] = mapped_column(String(2))
    closing_code: Mapped[str | None] = mapped_column(String(2))
    closing_code_set_by: Mapped[str | None] = mapped_column(String(60))
    closing_code_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    cancelled_by: Mapped[str | None] = mapped_column(String(60))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancel_reason_sealed: Mapped[str | None] = mapped_column(Text)
    declined_reason_sealed: Mapped[str | None] = mapped_column(Text)

    #: The client (name, birth date, location, contact notes) as sealed JSON, and the Advocate's request.
    client_sealed: Mapped[str] = mapped_column(Text)
    description_sealed: Mapped[str] = mapped_column(Text)


class AdvocateRow(Base):
    __tablename__ = "advocates"

    advocate_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization: Mapped[str] = mapped_column(String(200), index=True)
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(2))
    name_sealed: Mapped[str] = mapped_column(Text)
    email_sealed: Mapped[str] = mapped_column(Text)


class DefenderRow(Base):
    __tablename__ = "defenders"

    defender_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    organization: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    name_sealed: Mapped[str] = mapped_column(Text)


class CaseServiceRow(Base):
    __tablename__ = "case_services"

    case_id: Mapped[str] = _case_fk()
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # the Advocate's order of asking


class StageChangeRow(Base):
    """Every stage the case entered, in order; ``left_at`` is when it entered the next one (NULL: current)."""

    __tablename__ = "stage_changes"

    case_id: Mapped[str] = _case_fk()
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(12))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AssignmentOfferRow(Base):
    """Each Defender the case was offered to, and what came of it (accepted, declined, no_answer, open)."""

    __tablename__ = "assignment_offers"

    case_id: Mapped[str] = _case_fk()
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    defender_id: Mapped[str] = mapped_column(String(40), index=True)
    result: Mapped[str] = mapped_column(String(12))
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason_sealed: Mapped[str | None] = mapped_column(Text)
    #: Staff's reason for offering the case to a Defender who was away or at capacity.
    override_sealed: Mapped[str | None] = mapped_column(Text)


class ContractRevisionRow(Base):
    __tablename__ = "contract_revisions"

    case_id: Mapped[str] = _case_fk()
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 of the revision's terms (canonical JSON): proves which text was approved and signed.
    content_hash: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approvals: Mapped[str] = mapped_column(String(60))  # roles, comma-separated in approval order
    hourly_rate_amount: Mapped[int] = mapped_column(BigInteger)
    hourly_rate_currency: Mapped[str] = mapped_column(String(3))
    hours_cap: Mapped[int | None] = mapped_column(Integer)
    expense_cap_amount: Mapped[int | None] = mapped_column(BigInteger)
    expense_cap_currency: Mapped[str | None] = mapped_column(String(3))
    envelope_id: Mapped[str | None] = mapped_column(String(64))
    envelope_status: Mapped[str | None] = mapped_column(String(12))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    documents_uri: Mapped[str | None] = mapped_column(String(300))


class TaskRow(Base):
    __tablename__ = "tasks"

    case_id: Mapped[str] = _case_fk()
    task_id: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    description_sealed: Mapped[str] = mapped_column(Text)
    notes_sealed: Mapped[str | None] = mapped_column(Text)


class ReportRow(Base):
    """An hour & expense report as the Defender submitted it (and its review status)."""

    __tablename__ = "reports"

    case_id: Mapped[str] = _case_fk()
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    submitted_by: Mapped[str] = mapped_column(String(60))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Total hours in tenths (reports are kept to the tenth of an hour).
    hours_tenths: Mapped[int] = mapped_column(Integer)
    note_sealed: Mapped[str | None] = mapped_column(Text)
    change_reasons_sealed: Mapped[str | None] = mapped_column(Text)


class HourLineRow(Base):
    __tablename__ = "report_hours"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    worked_on: Mapped[date] = mapped_column(Date)
    hours_tenths: Mapped[int] = mapped_column(Integer)
    task_code: Mapped[str] = mapped_column(String(8))  # UTBMS task (L…)
    activity_code: Mapped[str] = mapped_column(String(8))  # UTBMS activity (A…)
    description_sealed: Mapped[str] = mapped_column(Text)


class ExpenseLineRow(Base):
    __tablename__ = "report_expenses"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    expense_code: Mapped[str] = mapped_column(String(8))  # UTBMS expense (E…)
    description_sealed: Mapped[str] = mapped_column(Text)


class ApprovalRow(Base):
    """Staff's approval of a report: the rates and adjustments they set and the totals that followed."""

    __tablename__ = "report_approvals"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    approved_by: Mapped[str] = mapped_column(String(60))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Approved rates as ``GTQ:USD=0.13;MXN:USD=0.058`` (Decimal text, never a float).
    exchange_rates: Mapped[str] = mapped_column(String(400))
    invoice_amount: Mapped[int] = mapped_column(BigInteger)
    invoice_currency: Mapped[str] = mapped_column(String(3))
    payout_amount: Mapped[int] = mapped_column(BigInteger)
    payout_currency: Mapped[str] = mapped_column(String(3))
    adjustments_sealed: Mapped[str | None] = mapped_column(Text)


class PricedLineRow(Base):
    """One invoice line as priced at approval (fees at the contract's rate, expenses converted)."""

    __tablename__ = "priced_lines"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source_amount: Mapped[int | None] = mapped_column(BigInteger)
    source_currency: Mapped[str | None] = mapped_column(String(3))
    description_sealed: Mapped[str] = mapped_column(Text)


class InvoiceRow(Base):
    __tablename__ = "invoices"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(64), unique=True)  # Stripe's in_…
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_usd: Mapped[int | None] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Stripe's hosted invoice page: whoever holds the link sees the invoice, so it is sealed like a secret.
    hosted_url_sealed: Mapped[str | None] = mapped_column(Text)
    # 0004: Stripe's figures (review M6), in ``currency``'s minor units; None: issued before they were kept.
    total: Mapped[int | None] = mapped_column(BigInteger)
    amount_paid: Mapped[int | None] = mapped_column(BigInteger)
    amount_remaining: Mapped[int | None] = mapped_column(BigInteger)
    credited: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class InvoiceStatusRow(Base):
    """Each status an invoice took and when (open → paid, payment_failed, void…)."""

    __tablename__ = "invoice_status_changes"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class PayoutRow(Base):
    __tablename__ = "payouts"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    defender_id: Mapped[str] = mapped_column(String(40), index=True)
    method: Mapped[str] = mapped_column(String(16))  # stripe_connect | manual
    status: Mapped[str] = mapped_column(String(12))  # pending | paid
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_usd: Mapped[int | None] = mapped_column(BigInteger)
    #: Stripe's tr_… or the reference finance typed for a manual transfer (free text: sealed).
    reference_sealed: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # 0004: who approved it (four eyes) and what finance recorded of a manual transfer (review m4).
    approved_by: Mapped[str | None] = mapped_column(String(60))
    paid_on: Mapped[date | None] = mapped_column(Date)
    received_amount: Mapped[int | None] = mapped_column(BigInteger)
    received_currency: Mapped[str | None] = mapped_column(String(3))
    fees_amount: Mapped[int | None] = mapped_column(BigInteger)
    fees_currency: Mapped[str | None] = mapped_column(String(3))


class EvaluationRow(Base):
    __tablename__ = "evaluations"

    case_id: Mapped[str] = _case_fk()
    role: Mapped[str] = mapped_column(String(10), primary_key=True)  # advocate | defender
    defender_id: Mapped[str | None] = mapped_column(String(40), index=True)
    communication: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    timeliness: Mapped[int] = mapped_column(Integer)
    overall: Mapped[int] = mapped_column(Integer)
    would_work_again: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comments_sealed: Mapped[str | None] = mapped_column(Text)


class AttentionRow(Base):
    """A NeedsAttention episode: a provider refused a step, from when until staff cleared it."""

    __tablename__ = "attention_episodes"

    case_id: Mapped[str] = _case_fk()
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    step: Mapped[str] = mapped_column(String(80))
    error_type: Mapped[str] = mapped_column(String(60))
    blocking: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_sealed: Mapped[str] = mapped_column(Text)


class LedesFileRow(Base):
    """The LEDES 1998B file of an approved, invoiced report, as it went out with the invoice (sealed)."""

    __tablename__ = "ledes_files"

    case_id: Mapped[str] = _case_fk()
    report_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_sealed: Mapped[str] = mapped_column(Text)


#: Reports read these together; an index each keeps a 10,000-case report fast on both backends.
Index("ix_cases_closed_country", CaseRow.closed_at, CaseRow.country)
Index("ix_payouts_defender_status", PayoutRow.defender_id, PayoutRow.status)
#: ``casefac suggest`` reads every Defender's offers and when each case's assignment began (covering indexes:
#: SQLite otherwise scans every stage change, a third of a suggestion's time at 20,000 cases).
Index("ix_offers_defender_result_at", AssignmentOfferRow.defender_id, AssignmentOfferRow.result,
      AssignmentOfferRow.offered_at)
Index("ix_stage_changes_stage_case_at", StageChangeRow.stage, StageChangeRow.case_id, StageChangeRow.entered_at)

#: Tables written per case (children first when deleting, parents first when inserting).
CHILD_TABLES = (CaseServiceRow, StageChangeRow, AssignmentOfferRow, ContractRevisionRow, TaskRow, ReportRow,
                HourLineRow, ExpenseLineRow, ApprovalRow, PricedLineRow, InvoiceRow, InvoiceStatusRow, PayoutRow,
                EvaluationRow, AttentionRow, LedesFileRow)


# ------------------------------------------------------------------------------------------ the roster
class RosterDefenderRow(Base):
    """A Defender of the network as staff keep it (``casefac defenders``); the roster activity reads it.

    Lists are comma-separated text so a report filters them with ``LIKE`` on both backends; a Defender
    is never deleted (cases and payouts name them), only made inactive.
    """

    __tablename__ = "roster_defenders"

    defender_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    regions: Mapped[str] = mapped_column(Text)  # "" means the whole country
    services: Mapped[str] = mapped_column(String(400))
    languages: Mapped[str] = mapped_column(String(40))
    organization: Mapped[str | None] = mapped_column(String(200))
    hourly_rate_amount: Mapped[int] = mapped_column(BigInteger)
    hourly_rate_currency: Mapped[str] = mapped_column(String(3))
    payout_kind: Mapped[str] = mapped_column(String(16))  # stripe_connect | manual
    payout_account: Mapped[str | None] = mapped_column(String(70))  # Stripe's acct_…
    capacity: Mapped[int | None] = mapped_column(Integer)  # NULL: no limit
    active: Mapped[bool] = mapped_column(Boolean)
    name_sealed: Mapped[str] = mapped_column(Text)
    email_sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(60))


class RosterAwayRow(Base):
    """Days a Defender takes no new case (both included), in the order staff listed them."""

    __tablename__ = "roster_away"

    defender_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("roster_defenders.defender_id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason_sealed: Mapped[str | None] = mapped_column(Text)


class RosterChangeRow(Base):
    """Who changed which of a Defender's fields when; the before/after values are sealed (names, emails)."""

    __tablename__ = "roster_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    defender_id: Mapped[str] = mapped_column(String(40), ForeignKey("roster_defenders.defender_id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(12))  # add | update | deactivate | away | import
    fields: Mapped[str] = mapped_column(String(400))
    detail_sealed: Mapped[str | None] = mapped_column(Text)


# ------------------------------------------------------------------------------- the staff directory (S2)
class StaffMemberRow(Base):
    """A staff or finance member's public key (``casefac staff``): workflows verify signed updates against it.

    One row per key: rotating a key adds a row and revokes the old one, which stays (with ``revoked_at``) so
    what it signed stays attributable. No private material is ever stored here.
    """

    __tablename__ = "staff_members"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(16))  # staff | finance
    public_key: Mapped[str] = mapped_column(String(64))  # raw Ed25519, base64
    #: A display name for ``staff list`` (sealed: it is personal data).
    name_sealed: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    added_by: Mapped[str] = mapped_column(String(60))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(60))
