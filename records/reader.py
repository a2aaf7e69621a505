"""Reading one case back from the record: for ``casefac status``/``ledes`` once Temporal has forgotten it,
``casefac list --closed`` and ``casefac open``'s check that an id is free.

:class:`RecordedCase` uses the status query's names wherever the two say the same thing (``stage``,
``invoices``, ``payouts``, ``money``, ``reports``…), so a script reading ``casefac status --json`` works
on both; ``source`` says which one answered.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, select

from casefac.case import CaseStage
from casefac.money import Money
from casefac.parties import Service
from casefac.state import AgreementStatus, AttentionEpisode, InvoiceState, InvoiceStatusChange, PayoutState, TaskState
from casefac.status import MoneyFigures, ReportView, money_figures
from records import models as m
from records.database import session_factory
from records.sealing import Sealer
from records.vocabulary import CLOSING_CODES, closing_code_error


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the record stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class RevisionView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    number: int
    content_hash: str
    author: str
    created_at: datetime
    approvals: list[str]
    envelope_id: str | None = None
    signed: bool = False


class StageView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    stage: CaseStage
    entered_at: datetime
    left_at: datetime | None = None


class RecordedCase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["record"] = "record"
    case_id: str
    stage: CaseStage
    country: str
    matter_type: str
    problem_code: str
    services: list[Service]
    deadline: date | None
    opened_at: datetime
    closed_at: datetime | None
    recorded_at: datetime
    record_seq: int
    advocate_id: str
    advocate_organization: str
    billing_currency: str
    defender_id: str | None
    agreement: AgreementStatus
    contract: list[RevisionView]
    tasks: list[TaskState]
    reports: list[ReportView]
    invoices: list[InvoiceState]
    payouts: list[PayoutState]
    money: MoneyFigures
    evaluations_from: list[str]
    outcome: str | None
    closing_code: str | None
    closing_code_suggested: str | None
    cancel_reason: str | None
    attention: list[AttentionEpisode]
    stages: list[StageView]
    ledes_reports: list[int]


class CaseHeld(BaseModel):
    """What the record says about an id that is taken: enough for a refusal people understand."""

    model_config = ConfigDict(frozen=True)
    case_id: str
    stage: str
    opened_at: datetime
    closed_at: datetime | None


class ClosedCase(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_id: str
    stage: str
    country: str
    advocate_id: str
    defender_id: str | None
    opened_at: datetime
    closed_at: datetime
    outcome: str | None
    closing_code: str | None
    invoiced: Money | None


def _money(amount: int | None, currency: str | None) -> Money | None:
    return Money(amount=amount, currency=currency) if amount is not None and currency else None


class RecordReader:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self._sealer = sealer
        self._sessions = session_factory(engine)

    def _open(self, token: str | None, where: str, case_id: str) -> str | None:
        return self._sealer.open_optional(token, where=where, case_id=case_id)

    def holds(self, case_id: str) -> CaseHeld | None:
        with self._sessions() as session:
            row = session.get(m.CaseRow, case_id)
            if row is None:
                return None
            return CaseHeld(case_id=row.case_id, stage=row.stage, opened_at=utc(row.opened_at),
                            closed_at=utc(row.closed_at))

    def case(self, case_id: str) -> RecordedCase | None:
        with self._sessions() as session:
            row = session.get(m.CaseRow, case_id)
            if row is None:
                return None

            def rows(table: type[m.Base], *order: object) -> list:  # type: ignore[type-arg]
                q = select(table).where(table.case_id == case_id)  # type: ignore[attr-defined]
                return list(session.execute(q.order_by(*order)).scalars())

            cid = case_id
            advocate = session.get(m.AdvocateRow, row.advocate_id)
            history: dict[int, list[InvoiceStatusChange]] = {}
            for h in rows(m.InvoiceStatusRow, m.InvoiceStatusRow.report_number, m.InvoiceStatusRow.position):
                history.setdefault(h.report_number, []).append(InvoiceStatusChange(status=h.status, at=utc(h.at)))
            invoices = [InvoiceState(report_number=i.report_number, invoice_id=i.invoice_id, number=i.number,
                                     status=i.status, amount_due=Money(amount=i.amount, currency=i.currency),
                                     issued_at=utc(i.issued_at), due_date=i.due_date, paid_at=utc(i.paid_at),
                                     history=history.get(i.report_number, []), reminders_sent=i.reminders_sent,
                                     escalated=i.escalated,
                                     hosted_invoice_url=self._open(i.hosted_url_sealed,
                                                                   f"invoices.hosted_url/{i.report_number}", cid),
                                     total=_money(i.total, i.currency), amount_paid=_money(i.amount_paid, i.currency),
                                     amount_remaining=_money(i.amount_remaining, i.currency),
                                     credited=i.credited or 0, refunded=i.refunded or 0)
                        for i in rows(m.InvoiceRow, m.InvoiceRow.report_number)]
            payouts = [PayoutState(report_number=p.report_number, method=p.method, status=p.status,
                                   amount=Money(amount=p.amount, currency=p.currency),
                                   reference=self._open(p.reference_sealed,
                                                        f"payouts.reference/{p.report_number}", cid),
                                   requested_at=utc(p.requested_at), paid_at=utc(p.paid_at),
                                   reminders_sent=p.reminders_sent, approved_by=p.approved_by, paid_on=p.paid_on,
                                   received=_money(p.received_amount, p.received_currency),
                                   fees=_money(p.fees_amount, p.fees_currency))
                       for p in rows(m.PayoutRow, m.PayoutRow.report_number)]
            expense_currencies: dict[int, set[str]] = {}
            for e in rows(m.ExpenseLineRow):
                expense_currencies.setdefault(e.report_number, set()).add(e.currency)
            reports = [ReportView(number=r.number, kind=r.kind, status=r.status,
                                  hours=str(Decimal(r.hours_tenths) / 10),
                                  expense_currencies=sorted(expense_currencies.get(r.number, ())),
                                  change_reasons=json.loads(self._open(r.change_reasons_sealed,
                                                                       f"reports.change_reasons/{r.number}", cid)
                                                            or "[]"))
                       for r in rows(m.ReportRow, m.ReportRow.number)]
            tasks = [TaskState(id=t.task_id, status=t.status, updated_at=utc(t.updated_at),
                               description=self._open(t.description_sealed, f"tasks.description/{t.task_id}", cid)
                               or "",
                               notes=json.loads(self._open(t.notes_sealed, f"tasks.notes/{t.task_id}", cid) or "[]"))
                     for t in rows(m.TaskRow, m.TaskRow.task_id)]
            return RecordedCase(
                case_id=cid, stage=CaseStage(row.stage), country=row.country, matter_type=row.matter_type,
                problem_code=row.problem_code,
                services=[Service(s.service) for s in rows(m.CaseServiceRow, m.CaseServiceRow.position)],
                deadline=row.deadline, opened_at=utc(row.opened_at), closed_at=utc(row.closed_at),
                recorded_at=utc(row.recorded_at), record_seq=row.seq, advocate_id=row.advocate_id,
                advocate_organization=advocate.organization if advocate else "", billing_currency=row.billing_currency,
                defender_id=row.defender_id,
                agreement=AgreementStatus(status=row.agreement_status, envelope_id=row.agreement_envelope_id,
                                          signed_at=utc(row.agreement_signed_at)),
                contract=[RevisionView(number=r.number, content_hash=r.content_hash, author=r.author,
                                       created_at=utc(r.created_at), approvals=[a for a in r.approvals.split(",") if a],
                                       envelope_id=r.envelope_id, signed=r.signed)
                          for r in rows(m.ContractRevisionRow, m.ContractRevisionRow.number)],
                tasks=tasks, reports=reports, invoices=invoices, payouts=payouts,
                money=money_figures(invoices, payouts),
                evaluations_from=sorted(e.role for e in rows(m.EvaluationRow)), outcome=row.outcome,
                closing_code=row.closing_code, closing_code_suggested=row.closing_code_suggested,
                cancel_reason=self._open(row.cancel_reason_sealed, "cases.cancel_reason", cid),
                attention=[AttentionEpisode(step=a.step, error_type=a.error_type, blocking=a.blocking,
                                            since=utc(a.since), resolved_at=utc(a.resolved_at),
                                            message=self._open(a.message_sealed,
                                                               f"attention_episodes.message/{a.position}", cid) or "")
                           for a in rows(m.AttentionRow, m.AttentionRow.position)],
                stages=[StageView(stage=CaseStage(s.stage), entered_at=utc(s.entered_at), left_at=utc(s.left_at))
                        for s in rows(m.StageChangeRow, m.StageChangeRow.position)],
                ledes_reports=[f.report_number for f in rows(m.LedesFileRow, m.LedesFileRow.report_number)])

    def ledes(self, case_id: str, report_number: int) -> str | None:
        with self._sessions() as session:
            row = session.get(m.LedesFileRow, (case_id, report_number))
            return None if row is None else self._open(row.text_sealed, f"ledes_files.text/{report_number}", case_id)

    def closed(self, *, limit: int = 50, country: str | None = None, stage: str | None = None) -> list[ClosedCase]:
        """The most recently finished cases, newest first, with what was invoiced (void invoices left out)."""
        invoiced = (select(m.InvoiceRow.case_id, func.sum(m.InvoiceRow.amount).label("amount"),
                           func.min(m.InvoiceRow.currency).label("currency"))
                    .where(m.InvoiceRow.status != "void").group_by(m.InvoiceRow.case_id).subquery())
        q = (select(m.CaseRow, invoiced.c.amount, invoiced.c.currency)
             .outerjoin(invoiced, invoiced.c.case_id == m.CaseRow.case_id)
             .where(m.CaseRow.closed_at.is_not(None)).order_by(m.CaseRow.closed_at.desc()).limit(limit))
        if country:
            q = q.where(m.CaseRow.country == country)
        if stage:
            q = q.where(m.CaseRow.stage == stage)
        with self._sessions() as session:
            return [ClosedCase(case_id=r.case_id, stage=r.stage, country=r.country, advocate_id=r.advocate_id,
                               defender_id=r.defender_id, opened_at=utc(r.opened_at), closed_at=utc(r.closed_at),
                               outcome=r.outcome, closing_code=r.closing_code or r.closing_code_suggested,
                               invoiced=Money(amount=amount, currency=currency) if amount is not None else None)
                    for r, amount, currency in session.execute(q)]

    def set_closing_code(self, case_id: str, code: str, staff: str) -> str:
        """Staff's closing code for a finished case; returns the code it replaces (or the suggestion)."""
        problem = closing_code_error(code)
        if problem:
            raise ValueError(problem)
        with self._sessions.begin() as session:
            row = session.get(m.CaseRow, case_id)
            if row is None:
                raise LookupError(f"the case record holds no case {case_id}")
            if row.closed_at is None or row.stage == CaseStage.DECLINED.value:
                raise ValueError(f"case {case_id} is {row.stage}: closing codes are set on closed or cancelled cases")
            before = row.closing_code or row.closing_code_suggested or "none"
            row.closing_code, row.closing_code_set_by, row.closing_code_set_at = code, staff, datetime.now(UTC)
            return before


__all__ = ["CLOSING_CODES", "CaseHeld", "ClosedCase", "RecordReader", "RecordedCase", "utc"]
