"""Writing a case's snapshot into the record, idempotently.

Each :class:`~casefac.record.CaseRecord` is whole, so the store keeps only the newest it has seen: a
snapshot whose sequence number is not above the stored one changes nothing (a retried activity, a replayed
workflow, a sync that runs twice, a write that arrives late). A newer one replaces the case's rows in one
transaction: the case row is updated in place (keeping what staff set in the record itself, such as the
closing code) and its child rows are rewritten, one per natural key.

A case id already held by another case (a different workflow origin) is refused: the record never lets a
reused id overwrite the case that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from casefac.money import ExchangeRate, Money
from casefac.record import CaseRecord, RecordWritten
from records import models as m
from records.database import session_factory
from records.sealing import Sealer
from records.vocabulary import suggested_closing_code


class CaseIdTaken(ValueError):
    """The record already holds a different case under this id."""


def to_usd(money: Money, rates: Iterable[ExchangeRate]) -> int | None:
    """``money`` in USD minor units at an approved rate, or None when no such rate was approved."""
    if money.currency == "USD":
        return money.amount
    rate = next((r for r in rates if r.source == money.currency and r.target == "USD"), None)
    return rate.convert(money).amount if rate else None


def _minor(money: Money | None) -> int | None:
    return money.amount if money is not None else None


class RecordStore:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self._sealer = sealer
        self._sessions = session_factory(engine)

    def write(self, record: CaseRecord) -> RecordWritten:
        with self._sessions.begin() as session:
            row = session.execute(select(m.CaseRow).where(m.CaseRow.case_id == record.case_id)
                                  .with_for_update()).scalar_one_or_none()
            if row is not None and row.origin != record.origin:
                raise CaseIdTaken(f"the case record already holds another case {record.case_id} "
                                  f"(opened {row.opened_at:%Y-%m-%d}); this case needs another id")
            if row is not None and row.seq >= record.seq:
                return RecordWritten(result="unchanged" if row.seq == record.seq else "stale", seq=row.seq)
            self._write_parties(session, record)
            if row is None:
                row = m.CaseRow(case_id=record.case_id)
                session.add(row)
            self._fill_case(row, record)
            session.flush()
            # Core statements on the session's connection: the ORM's bulk machinery cost half of each write.
            connection = session.connection()
            for table in reversed(m.CHILD_TABLES):
                core = table.__table__
                connection.execute(core.delete().where(core.c.case_id == record.case_id))
            for table, rows in self._children(record):
                if rows:
                    connection.execute(table.__table__.insert(), rows)
            return RecordWritten(result="written", seq=record.seq)

    # ------------------------------------------------------------------------------------- sealing
    def _seal(self, value: str, where: str, case_id: str) -> str:
        return self._sealer.seal(value, where=where, case_id=case_id)

    def _seal_opt(self, value: str | None, where: str, case_id: str) -> str | None:
        return self._sealer.seal_optional(value, where=where, case_id=case_id)

    def _seal_json(self, value: Any, where: str, case_id: str) -> str | None:
        return self._seal(json.dumps(value, ensure_ascii=False, default=str), where, case_id) if value else None

    # ------------------------------------------------------------------------------------- parents
    def _write_parties(self, session: Session, record: CaseRecord) -> None:
        a = record.request.advocate
        advocate = session.get(m.AdvocateRow, a.id) or m.AdvocateRow(advocate_id=a.id)
        advocate.organization, advocate.country, advocate.language = a.organization, a.country, a.language
        advocate.name_sealed = self._seal(a.name, "advocates.name", a.id)
        advocate.email_sealed = self._seal(str(a.email), "advocates.email", a.id)
        session.add(advocate)
        d = record.defender
        if d is not None:
            defender = session.get(m.DefenderRow, d.id) or m.DefenderRow(defender_id=d.id)
            defender.country, defender.organization, defender.language = d.country, d.organization, d.language
            defender.name_sealed = self._seal(d.name, "defenders.name", d.id)
            session.add(defender)
        session.flush()

    def _fill_case(self, row: m.CaseRow, record: CaseRecord) -> None:
        req, cid = record.request, record.case_id
        row.origin, row.workflow_id, row.seq = record.origin, record.workflow_id, record.seq
        row.recorded_at = datetime.now(UTC)
        row.advocate_id, row.country, row.matter_type = req.advocate.id, req.country, req.matter_type.value
        row.problem_code, row.opened_at, row.opened_by = req.problem_code, record.stages[0].at, str(req.opened_by)
        row.deadline, row.billing_currency = req.deadline, req.advocate.billing_currency
        row.budget_cap_amount = req.budget_cap.amount if req.budget_cap else None
        row.budget_cap_currency = req.budget_cap.currency if req.budget_cap else None
        row.stage, row.closed_at = record.stage.value, record.closed_at
        row.defender_id = record.defender.id if record.defender else None
        row.agreement_status = record.agreement.status
        row.agreement_envelope_id = record.agreement.envelope_id
        row.agreement_signed_at = record.agreement.signed_at
        outcome = record.outcome
        row.outcome = outcome.result.value if outcome else None
        row.outcome_decided_on = outcome.decided_on if outcome else None
        row.outcome_notes_sealed = self._seal_opt(outcome.notes if outcome else None, "cases.outcome_notes", cid)
        row.closing_code_suggested = suggested_closing_code(record.stage.value, outcome.result if outcome else None,
                                                            work_done=bool(record.reports))
        cancel = record.cancel
        row.cancelled_by = str(cancel.actor) if cancel else None
        row.cancelled_at = record.closed_at if cancel and record.stage.value == "CANCELLED" else None
        row.cancel_reason_sealed = self._seal_opt(cancel.reason if cancel else None, "cases.cancel_reason", cid)
        # JiM's own reason for declining the request (a Defender's reason for declining lives on the offer).
        row.declined_reason_sealed = self._seal_opt(record.decline_reason, "cases.declined_reason", cid)
        row.client_sealed = self._seal(req.client.model_dump_json(), "cases.client", cid)
        row.description_sealed = self._seal(req.description, "cases.description", cid)

    # -------------------------------------------------------------------------------------- children
    def _children(self, record: CaseRecord) -> list[tuple[type[m.Base], list[dict[str, Any]]]]:
        cid = record.case_id
        seal, seal_opt, seal_json = self._seal, self._seal_opt, self._seal_json
        stages = record.stages
        out: list[tuple[type[m.Base], list[dict[str, Any]]]] = [
            (m.CaseServiceRow, [{"case_id": cid, "service": s.value, "position": i}
                                for i, s in enumerate(record.request.services)]),
            (m.StageChangeRow, [{"case_id": cid, "position": i, "stage": c.stage.value, "entered_at": c.at,
                                 "left_at": stages[i + 1].at if i + 1 < len(stages) else None}
                                for i, c in enumerate(stages)]),
            (m.AssignmentOfferRow, [{"case_id": cid, "position": i, "defender_id": o.defender_id, "result": o.result,
                                     "offered_at": o.offered_at, "answered_at": o.answered_at,
                                     "reason_sealed": seal_opt(o.reason, f"assignment_offers.reason/{i}", cid),
                                     "override_sealed": seal_opt(o.override, f"assignment_offers.override/{i}", cid)}
                                    for i, o in enumerate(record.offers)]),
        ]
        env = record.envelope
        out.append((m.ContractRevisionRow, [{
            "case_id": cid, "number": r.number, "content_hash": r.content_hash, "author": r.author,
            "created_at": r.created_at, "approvals": ",".join(r.approvals),
            "hourly_rate_amount": r.hourly_rate.amount, "hourly_rate_currency": r.hourly_rate.currency,
            "hours_cap": r.hours_cap, "expense_cap_amount": r.expense_cap.amount if r.expense_cap else None,
            "expense_cap_currency": r.expense_cap.currency if r.expense_cap else None,
            "envelope_id": env.envelope_id if env and env.revision == r.number else None,
            "envelope_status": env.status if env and env.revision == r.number else None,
            "signed": bool(env and env.revision == r.number and env.status == "completed"),
            "documents_uri": env.documents_uri if env and env.revision == r.number else None,
        } for r in record.revisions]))
        out.append((m.TaskRow, [{"case_id": cid, "task_id": t.id, "status": t.status, "updated_at": t.updated_at,
                                 "description_sealed": seal(t.description, f"tasks.description/{t.id}", cid),
                                 "notes_sealed": seal_json(t.notes, f"tasks.notes/{t.id}", cid)}
                                for t in record.tasks]))
        reports, hours, expenses = [], [], []
        for r in record.reports:
            rep = r.report
            reports.append({"case_id": cid, "number": r.number, "kind": rep.kind.value, "status": r.status,
                            "submitted_by": str(r.submitted_by), "submitted_at": r.submitted_at,
                            "hours_tenths": int(rep.total_hours() * 10),
                            "note_sealed": seal_opt(rep.note, f"reports.note/{r.number}", cid),
                            "change_reasons_sealed": seal_json(r.change_reasons, f"reports.change_reasons/{r.number}",
                                                               cid)})
            hours += [{"case_id": cid, "report_number": r.number, "line": i, "worked_on": h.date,
                       "hours_tenths": int(h.hours * 10), "task_code": h.task_code, "activity_code": h.activity_code,
                       "description_sealed": seal(h.description, f"report_hours.description/{r.number}/{i}", cid)}
                      for i, h in enumerate(rep.hours, 1)]
            expenses += [{"case_id": cid, "report_number": r.number, "line": i, "spent_on": e.date,
                          "amount": e.amount.amount, "currency": e.amount.currency, "expense_code": e.expense_code,
                          "description_sealed": seal(e.description, f"report_expenses.description/{r.number}/{i}",
                                                     cid)}
                         for i, e in enumerate(rep.expenses, 1)]
        out += [(m.ReportRow, reports), (m.HourLineRow, hours), (m.ExpenseLineRow, expenses)]
        approvals, priced = [], []
        rates: dict[int, list[ExchangeRate]] = {}
        for a in record.approved:
            rates[a.number] = a.exchange_rates
            approvals.append({
                "case_id": cid, "report_number": a.number, "approved_by": a.approved_by, "approved_at": a.approved_at,
                "exchange_rates": ";".join(f"{x.source}:{x.target}={x.rate}" for x in a.exchange_rates),
                "invoice_amount": a.priced.invoice_total.amount, "invoice_currency": a.priced.invoice_total.currency,
                "payout_amount": a.priced.payout_total.amount, "payout_currency": a.priced.payout_total.currency,
                "adjustments_sealed": seal_json([x.model_dump(mode="json") for x in a.adjustments],
                                                f"report_approvals.adjustments/{a.number}", cid)})
            priced += [{"case_id": cid, "report_number": a.number, "line": i, "code": p.code,
                        "amount": p.amount.amount, "currency": p.amount.currency,
                        "source_amount": p.source.amount if p.source else None,
                        "source_currency": p.source.currency if p.source else None,
                        "description_sealed": seal(p.description, f"priced_lines.description/{a.number}/{i}", cid)}
                       for i, p in enumerate(a.priced.invoice_lines, 1)]
        out += [(m.ApprovalRow, approvals), (m.PricedLineRow, priced)]
        out.append((m.InvoiceRow, [{
            "case_id": cid, "report_number": i.report_number, "invoice_id": i.invoice_id, "number": i.number,
            "status": i.status, "amount": i.amount_due.amount, "currency": i.amount_due.currency,
            "amount_usd": to_usd(i.amount_due, rates.get(i.report_number, [])), "issued_at": i.issued_at,
            "due_date": i.due_date, "paid_at": i.paid_at, "reminders_sent": i.reminders_sent, "escalated": i.escalated,
            "hosted_url_sealed": seal_opt(i.hosted_invoice_url, f"invoices.hosted_url/{i.report_number}", cid),
            "total": _minor(i.total), "amount_paid": _minor(i.amount_paid),
            "amount_remaining": _minor(i.amount_remaining), "credited": i.credited, "refunded": i.refunded}
            for i in record.invoices]))
        out.append((m.InvoiceStatusRow, [{"case_id": cid, "report_number": i.report_number, "position": n,
                                          "status": h.status, "at": h.at}
                                         for i in record.invoices for n, h in enumerate(i.history)]))
        defender_id = record.defender.id if record.defender else ""
        out.append((m.PayoutRow, [{
            "case_id": cid, "report_number": p.report_number, "defender_id": defender_id, "method": p.method,
            "status": p.status, "amount": p.amount.amount, "currency": p.amount.currency,
            "amount_usd": to_usd(p.amount, rates.get(p.report_number, [])),
            "reference_sealed": seal_opt(p.reference, f"payouts.reference/{p.report_number}", cid),
            "requested_at": p.requested_at, "paid_at": p.paid_at, "reminders_sent": p.reminders_sent,
            "approved_by": p.approved_by, "paid_on": p.paid_on,
            "received_amount": _minor(p.received), "received_currency": p.received.currency if p.received else None,
            "fees_amount": _minor(p.fees), "fees_currency": p.fees.currency if p.fees else None}
            for p in record.payouts]))
        out.append((m.EvaluationRow, [{
            "case_id": cid, "role": role, "defender_id": record.defender.id if record.defender else None,
            "communication": e.communication, "quality": e.quality, "timeliness": e.timeliness, "overall": e.overall,
            "would_work_again": e.would_work_again, "submitted_at": record.evaluated_at.get(role),
            "comments_sealed": seal_opt(e.comments, f"evaluations.comments/{role}", cid)}
            for role, e in sorted(record.evaluations.items())]))
        out.append((m.AttentionRow, [{
            "case_id": cid, "position": n, "step": a.step[:80], "error_type": a.error_type[:60],
            "blocking": a.blocking, "since": a.since, "resolved_at": a.resolved_at,
            "message_sealed": seal(a.message, f"attention_episodes.message/{n}", cid)}
            for n, a in enumerate(record.attention)]))
        out.append((m.LedesFileRow, [{"case_id": cid, "report_number": n,
                                      "text_sealed": seal(text, f"ledes_files.text/{n}", cid)}
                                     for n, text in sorted(record.ledes.items())]))
        return out
