"""The report's SQL: one Core ``select()`` per figure set, aggregated in the database with ``GROUP BY``.

Every function takes a connection and the period and returns plain tuples, so :mod:`records.reports.build`
never sees SQL and these never see presentation. Sums of money are per currency (amounts in different
currencies never add up); USD totals come from the ``*_usd`` columns, with a count of rows that had no
approved rate so a reader knows what a USD figure leaves out. Averages are returned as exact sums and counts.

Groups come out in the same order on both backends (NULLs last: SQLite sorts them first, PostgreSQL last).
Timestamps are compared as a half-open range on the column itself (no function around it), so the indexes
on ``opened_at``, ``closed_at``, ``issued_at`` can be used on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, FromClause, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from records.models import (
    AdvocateRow,
    ApprovalRow,
    CaseRow,
    CaseServiceRow,
    DefenderRow,
    EvaluationRow,
    InvoiceRow,
    PayoutRow,
    ReportRow,
    StageChangeRow,
)
from records.reports.period import Period

cases = CaseRow.__table__
services = CaseServiceRow.__table__
stages = StageChangeRow.__table__
reports = ReportRow.__table__
approvals = ApprovalRow.__table__
invoices = InvoiceRow.__table__
payouts = PayoutRow.__table__
evaluations = EvaluationRow.__table__
defenders = DefenderRow.__table__
advocates = AdvocateRow.__table__

TERMINAL_STAGES = ("CLOSED", "DECLINED", "CANCELLED")


class SecondsBetween(FunctionElement[int]):
    """Whole seconds from the first timestamp to the second: the two backends spell it differently."""

    type = BigInteger()
    inherit_cache = True
    name = "seconds_between"


@compiles(SecondsBetween)
def _seconds_default(element: SecondsBetween, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (f"CAST(ROUND(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})))"
            " AS BIGINT)")


@compiles(SecondsBetween, "sqlite")
def _seconds_sqlite(element: SecondsBetween, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (f"CAST(ROUND((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
            " * 86400) AS INTEGER)")


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.starts_at, column < period.ends_before)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], amount: Any) -> ColumnElement[int]:
    """SUM of ``amount`` where ``condition``; NULL amounts (no USD rate) stay out, as SUM leaves them."""
    return func.sum(case((condition, amount), else_=literal(0, BigInteger)))


# -- cases opened / closed / open --------------------------------------------------------------------------

def _case_flags(period: Period) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]:
    opened = _within(cases.c.opened_at, period)
    closed = _within(cases.c.closed_at, period)
    still_open = and_(cases.c.opened_at < period.ends_before,
                      or_(cases.c.closed_at.is_(None), cases.c.closed_at >= period.ends_before))
    return opened, closed, still_open


def case_counts(conn: Connection, period: Period, by: Sequence[Any], source: FromClause | None = None) -> list[Any]:
    """(group…, opened, closed, open) per value of ``by``; groups with nothing in the period are left out."""
    opened, closed, still_open = _case_flags(period)
    query = (select(*by, _count_if(opened), _count_if(closed), _count_if(still_open))
             .select_from(source if source is not None else cases)
             .where(or_(opened, closed, still_open)))
    if by:
        query = query.group_by(*by).order_by(*by)
    return list(conn.execute(query).all())


def case_totals(conn: Connection, period: Period) -> tuple[int, int, int]:
    row = case_counts(conn, period, [])[0]
    return int(row[0]), int(row[1]), int(row[2])


def cases_by_country(conn: Connection, period: Period) -> list[Any]:
    return case_counts(conn, period, [cases.c.country])


def cases_by_matter_type(conn: Connection, period: Period) -> list[Any]:
    return case_counts(conn, period, [cases.c.matter_type])


def cases_by_problem_code(conn: Connection, period: Period) -> list[Any]:
    return case_counts(conn, period, [cases.c.problem_code])


def cases_by_service(conn: Connection, period: Period) -> list[Any]:
    joined = cases.join(services, services.c.case_id == cases.c.case_id)
    return case_counts(conn, period, [services.c.service], joined)


# -- time per stage ------------------------------------------------------------------------------------------

def stage_seconds(conn: Connection, period: Period) -> list[tuple[str, int]]:
    """(stage, seconds) of every stage entered in the period and since left; the one column set medians need."""
    query = (select(stages.c.stage, SecondsBetween(stages.c.entered_at, stages.c.left_at))
             .where(_within(stages.c.entered_at, period), stages.c.left_at.is_not(None),
                    stages.c.stage.not_in(TERMINAL_STAGES)))
    return [(stage, int(seconds)) for stage, seconds in conn.execute(query).all()]


def stages_in_progress(conn: Connection, period: Period) -> int:
    """Stages entered in the period and not left yet: they have no duration, and the note says how many."""
    query = (select(func.count()).select_from(stages)
             .where(_within(stages.c.entered_at, period), stages.c.left_at.is_(None),
                    stages.c.stage.not_in(TERMINAL_STAGES)))
    return int(conn.execute(query).scalar_one())


def request_to_close_seconds(conn: Connection, period: Period) -> list[int]:
    query = (select(SecondsBetween(cases.c.opened_at, cases.c.closed_at))
             .where(_within(cases.c.closed_at, period)))
    return [int(s) for s in conn.execute(query).scalars().all()]


# -- Defender hours and fees ---------------------------------------------------------------------------------

def _defender_country() -> ColumnElement[str]:
    """The Defender's country from the roster copy, else the case's (a payout may name a Defender not listed)."""
    return func.coalesce(defenders.c.country, cases.c.country)


def defender_hours(conn: Connection, period: Period, *, grouped: bool = True) -> list[Any]:
    """(defender id, country, approved reports, hours in tenths) of reports approved in the period."""
    country = _defender_country()
    keys = [cases.c.defender_id, country] if grouped else []
    query = (select(*keys, func.count(), func.coalesce(func.sum(reports.c.hours_tenths), 0))
             .select_from(reports
                          .join(approvals, and_(approvals.c.case_id == reports.c.case_id,
                                                approvals.c.report_number == reports.c.number))
                          .join(cases, cases.c.case_id == reports.c.case_id)
                          .outerjoin(defenders, defenders.c.defender_id == cases.c.defender_id))
             .where(reports.c.status == "approved", _within(approvals.c.approved_at, period)))
    if keys:
        query = query.group_by(*keys).order_by(country, cases.c.defender_id.nulls_last())
    return list(conn.execute(query).all())


def _paid_payouts() -> FromClause:
    return (payouts.join(cases, cases.c.case_id == payouts.c.case_id)
            .outerjoin(defenders, defenders.c.defender_id == payouts.c.defender_id))


def fees_paid(conn: Connection, period: Period, by: Sequence[Any]) -> list[Any]:
    """(group…, payouts, amount, amount USD, payouts without a USD rate) of payouts paid in the period."""
    no_usd = payouts.c.amount_usd.is_(None)
    query = (select(*by, func.count(), func.sum(payouts.c.amount), func.sum(payouts.c.amount_usd),
                    _count_if(no_usd))
             .select_from(_paid_payouts())
             .where(payouts.c.status == "paid", _within(payouts.c.paid_at, period)))
    if by:
        query = query.group_by(*by).order_by(*by)
    return list(conn.execute(query).all())


def fees_by_defender(conn: Connection, period: Period) -> list[Any]:
    return fees_paid(conn, period, [_defender_country(), payouts.c.defender_id,
                                    payouts.c.currency])


def fees_by_country(conn: Connection, period: Period) -> list[Any]:
    return fees_paid(conn, period, [_defender_country(), payouts.c.currency])


def fees_by_currency(conn: Connection, period: Period) -> list[Any]:
    return fees_paid(conn, period, [payouts.c.currency])


def fees_total(conn: Connection, period: Period) -> Any:
    return fees_paid(conn, period, [])[0]


# -- invoices ------------------------------------------------------------------------------------------------

def invoice_figures(conn: Connection, period: Period, by: Sequence[Any]) -> list[Any]:
    """(group…, invoices, invoiced, paid, outstanding, the same three in USD, invoices without a USD rate).

    Invoices issued in the period and not void; paid = status ``paid``, outstanding = every other status.
    """
    paid = invoices.c.status == "paid"
    unpaid = invoices.c.status != "paid"
    query = (select(*by, func.count(),
                    func.sum(invoices.c.amount), _sum_if(paid, invoices.c.amount), _sum_if(unpaid, invoices.c.amount),
                    func.sum(invoices.c.amount_usd), _sum_if(paid, invoices.c.amount_usd),
                    _sum_if(unpaid, invoices.c.amount_usd), _count_if(invoices.c.amount_usd.is_(None)))
             .select_from(invoices.join(cases, cases.c.case_id == invoices.c.case_id)
                          .join(advocates, advocates.c.advocate_id == cases.c.advocate_id))
             .where(_within(invoices.c.issued_at, period), invoices.c.status != "void"))
    if by:
        query = query.group_by(*by).order_by(*by)
    return list(conn.execute(query).all())


def invoices_by_organization(conn: Connection, period: Period) -> list[Any]:
    return invoice_figures(conn, period, [advocates.c.organization, invoices.c.currency])


def invoices_by_advocate(conn: Connection, period: Period) -> list[Any]:
    return invoice_figures(conn, period, [advocates.c.organization, cases.c.advocate_id, invoices.c.currency])


def invoices_by_currency(conn: Connection, period: Period) -> list[Any]:
    return invoice_figures(conn, period, [invoices.c.currency])


def invoices_total(conn: Connection, period: Period) -> Any:
    return invoice_figures(conn, period, [])[0]


# -- how cases ended -----------------------------------------------------------------------------------------

def outcomes(conn: Connection, period: Period) -> list[Any]:
    """(final stage, outcome, cases) of cases closed in the period."""
    keys = [cases.c.stage, cases.c.outcome]
    query = (select(*keys, func.count()).where(_within(cases.c.closed_at, period))
             .group_by(*keys).order_by(cases.c.stage, cases.c.outcome.nulls_last()))
    return list(conn.execute(query).all())


def closing_codes(conn: Connection, period: Period) -> list[Any]:
    """(closing code, cases, of which staff set the code) of cases closed in the period."""
    code = func.coalesce(cases.c.closing_code, cases.c.closing_code_suggested)
    query = (select(code, func.count(), _count_if(cases.c.closing_code.is_not(None)))
             .where(_within(cases.c.closed_at, period)).group_by(code).order_by(code.nulls_last()))
    return list(conn.execute(query).all())


# -- evaluations ---------------------------------------------------------------------------------------------

def evaluation_sums(conn: Connection, period: Period, *, grouped: bool = True) -> list[Any]:
    """(defender id, country, evaluations, from Advocates, sums of overall, communication, quality, timeliness,
    would work again) of evaluations submitted in the period: sums, so averages are exact on both backends."""
    e = evaluations.c
    keys = [e.defender_id, defenders.c.country] if grouped else []
    query = (select(*keys, func.count(), _count_if(e.role == "advocate"),
                    func.sum(e.overall), func.sum(e.communication), func.sum(e.quality), func.sum(e.timeliness),
                    _count_if(e.would_work_again))
             .select_from(evaluations.outerjoin(defenders, defenders.c.defender_id == e.defender_id))
             .where(_within(e.submitted_at, period)))
    if keys:
        query = query.group_by(*keys).order_by(defenders.c.country.nulls_last(), e.defender_id.nulls_last())
    return list(conn.execute(query).all())


# -- names (only with --with-names) --------------------------------------------------------------------------

def sealed_names(conn: Connection, table: str, ids: Sequence[str]) -> dict[str, str]:
    """Sealed names of the given Defenders or Advocates, by id."""
    source = {"defenders": (defenders, defenders.c.defender_id), "advocates": (advocates, advocates.c.advocate_id)}
    rows, key = source[table]
    if not ids:
        return {}
    query = select(key, rows.c.name_sealed).where(key.in_(sorted(set(ids))))
    return {str(i): str(sealed) for i, sealed in conn.execute(query).all()}
