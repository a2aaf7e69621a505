"""The network report's SQL: offers, response times, time to the first report, evaluations per country, load.

Same rules as :mod:`records.reports.queries` (whose helpers and fee/hour queries the network report reuses):
plain tuples out, counts and sums aggregated in the database, medians left to :mod:`records.reports.stats`
(the raw seconds come back, one row each), half-open period ranges on the columns themselves.

A Defender's country is the roster's, else the case's (an offer or a payout may name a Defender the
roster copy does not list), as the funders' report does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from records.models import AssignmentOfferRow
from records.reports.period import Period
from records.reports.queries import (
    SecondsBetween,
    _count_if,
    _within,
    cases,
    defenders,
    evaluations,
    reports,
    stages,
)

offers = AssignmentOfferRow.__table__

#: (label, first instant, first instant after) of each month of the period, clipped to the period.
Month = tuple[str, datetime, datetime]


def _offer_country() -> ColumnElement[str]:
    return func.coalesce(defenders.c.country, cases.c.country)


def offer_counts(conn: Connection, period: Period) -> list[Any]:
    """(defender id, country, accepted, declined, no answer, offers) of offers made in the period."""
    o = offers.c
    country = _offer_country()
    query = (select(o.defender_id, country, _count_if(o.result == "accepted"), _count_if(o.result == "declined"),
                    _count_if(o.result == "no_answer"), func.count())
             .select_from(offers.join(cases, cases.c.case_id == o.case_id)
                          .outerjoin(defenders, defenders.c.defender_id == o.defender_id))
             .where(_within(o.offered_at, period))
             .group_by(o.defender_id, country).order_by(country, o.defender_id))
    return list(conn.execute(query).all())


def response_seconds(conn: Connection, period: Period) -> list[tuple[str, str, int]]:
    """(defender id, country, seconds from offer to answer) of offers made in the period and answered."""
    o = offers.c
    query = (select(o.defender_id, _offer_country(), SecondsBetween(o.offered_at, o.answered_at))
             .select_from(offers.join(cases, cases.c.case_id == o.case_id)
                          .outerjoin(defenders, defenders.c.defender_id == o.defender_id))
             .where(_within(o.offered_at, period), o.answered_at.is_not(None)))
    return [(str(d), str(c), int(s)) for d, c, s in conn.execute(query).all()]


def first_report_seconds(conn: Connection, period: Period) -> list[tuple[str | None, str, int]]:
    """(case's defender id, country, seconds from entering ASSIGNMENT to the first report submitted).

    Of cases whose first report was submitted in the period: the measure is complete when it is counted.
    """
    assigned = (select(stages.c.case_id, func.min(stages.c.entered_at).label("at"))
                .where(stages.c.stage == "ASSIGNMENT").group_by(stages.c.case_id).subquery())
    first = (select(reports.c.case_id, func.min(reports.c.submitted_at).label("at"))
             .where(reports.c.submitted_at.is_not(None)).group_by(reports.c.case_id).subquery())
    query = (select(cases.c.defender_id, _offer_country(), SecondsBetween(assigned.c.at, first.c.at))
             .select_from(cases.join(assigned, assigned.c.case_id == cases.c.case_id)
                          .join(first, first.c.case_id == cases.c.case_id)
                          .outerjoin(defenders, defenders.c.defender_id == cases.c.defender_id))
             .where(_within(first.c.at, period)))
    return [(d, str(c), int(s)) for d, c, s in conn.execute(query).all()]


def evaluations_by_country(conn: Connection, period: Period) -> list[Any]:
    """As :func:`records.reports.queries.evaluation_sums`, per the evaluated Defender's country."""
    e = evaluations.c
    country = defenders.c.country
    query = (select(country, func.count(), _count_if(e.role == "advocate"),
                    func.sum(e.overall), func.sum(e.communication), func.sum(e.quality), func.sum(e.timeliness),
                    _count_if(e.would_work_again))
             .select_from(evaluations.outerjoin(defenders, defenders.c.defender_id == e.defender_id))
             .where(_within(e.submitted_at, period))
             .group_by(country).order_by(country.nulls_last()))
    return list(conn.execute(query).all())


def _earlier(a: Any, b: Any) -> ColumnElement[Any]:
    """The earlier of two nullable instants (no LEAST on SQLite, and its MIN(a, b) is NULL if either is)."""
    return case((a.is_(None), b), (b.is_(None), a), (a <= b, a), else_=b)


def _assigned_at() -> tuple[Any, Any, ColumnElement[Any]]:
    """Subqueries for when each case was assigned: ASSIGNMENT entered, or an offer accepted, whichever first."""
    stage = (select(stages.c.case_id, func.min(stages.c.entered_at).label("at"))
             .where(stages.c.stage == "ASSIGNMENT").group_by(stages.c.case_id).subquery())
    accepted = (select(offers.c.case_id, func.min(func.coalesce(offers.c.answered_at, offers.c.offered_at)).label("at"))
                .where(offers.c.result == "accepted").group_by(offers.c.case_id).subquery())
    return stage, accepted, _earlier(stage.c.at, accepted.c.at)


def _not_closed_before(at: datetime) -> ColumnElement[bool]:
    return or_(cases.c.closed_at.is_(None), cases.c.closed_at >= at)


def open_load(conn: Connection, period: Period, months: Sequence[Month], *, by_country: bool = False) -> list[Any]:
    """(defender id, country, open cases in each month…) — or (country, …) — of cases with a Defender.

    A case is open for its Defender in a month if it was assigned before the month's end and not closed
    before the month's start: one ``CASE`` per month, so the database does the counting.
    """
    stage, accepted, assigned_at = _assigned_at()
    country = func.coalesce(defenders.c.country, cases.c.country)
    keys = [country] if by_country else [cases.c.defender_id, country]
    per_month = [_count_if(and_(assigned_at < end, _not_closed_before(start))) for _label, start, end in months]
    query = (select(*keys, *per_month)
             .select_from(cases.outerjoin(stage, stage.c.case_id == cases.c.case_id)
                          .outerjoin(accepted, accepted.c.case_id == cases.c.case_id)
                          .outerjoin(defenders, defenders.c.defender_id == cases.c.defender_id))
             .where(cases.c.defender_id.is_not(None), assigned_at < period.ends_before,
                    _not_closed_before(period.starts_at))
             .group_by(*keys).order_by(*keys))
    return list(conn.execute(query).all())
