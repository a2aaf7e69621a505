"""What the case record knows of each Defender's past work, for ranking them (``casefac.ranking``).

A handful of grouped queries over the whole record, so a suggestion over hundreds of Defenders and tens
of thousands of past cases stays one round trip per question; only the medians are computed here, from
window functions, one row per Defender.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select

from casefac.ranking import History
from records import models as m
from records.reader import utc


def _days_between(engine: Engine, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    """Days from ``start`` to ``end`` computed by the database: parsing 20,000 pairs of timestamps in Python
    was most of a suggestion's time on SQLite."""
    if engine.dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86_400


def histories(engine: Engine) -> dict[str, History]:
    found: dict[str, dict[str, object]] = defaultdict(dict)
    evaluations = (select(m.EvaluationRow.defender_id, func.count(), func.avg(m.EvaluationRow.overall))
                   .where(m.EvaluationRow.role == "advocate", m.EvaluationRow.defender_id.is_not(None))
                   .group_by(m.EvaluationRow.defender_id))
    offers = (select(m.AssignmentOfferRow.defender_id, m.AssignmentOfferRow.result, func.count())
              .where(m.AssignmentOfferRow.result != "open")  # not answered yet: neither for nor against
              .group_by(m.AssignmentOfferRow.defender_id, m.AssignmentOfferRow.result))
    last = (select(m.AssignmentOfferRow.defender_id, func.max(m.AssignmentOfferRow.offered_at))
            .where(m.AssignmentOfferRow.result == "accepted").group_by(m.AssignmentOfferRow.defender_id))
    started = (select(m.StageChangeRow.case_id, func.min(m.StageChangeRow.entered_at).label("at"))
               .where(m.StageChangeRow.stage == "ASSIGNMENT").group_by(m.StageChangeRow.case_id).subquery())
    reported = (select(m.ReportRow.case_id, func.min(m.ReportRow.submitted_at).label("at"))
                .where(m.ReportRow.submitted_at.is_not(None)).group_by(m.ReportRow.case_id).subquery())
    spans = (select(m.CaseRow.defender_id.label("defender_id"),
                    _days_between(engine, started.c.at, reported.c.at).label("days"))
             .join(started, started.c.case_id == m.CaseRow.case_id)
             .join(reported, reported.c.case_id == m.CaseRow.case_id)
             .where(m.CaseRow.defender_id.is_not(None)).subquery())
    # The median in the database (the middle row, or the mean of the two middle rows, per Defender), so one
    # row per Defender comes back instead of one per case.
    ranked = select(spans.c.defender_id, spans.c.days,
                    func.row_number().over(partition_by=spans.c.defender_id, order_by=spans.c.days).label("rn"),
                    func.count().over(partition_by=spans.c.defender_id).label("n")).subquery()
    medians = (select(ranked.c.defender_id, func.avg(ranked.c.days))
               .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
               .group_by(ranked.c.defender_id))
    with engine.connect() as c:
        for defender_id, count, mean in c.execute(evaluations):
            found[defender_id] |= {"evaluations": count, "mean_overall": float(mean)}
        for defender_id, result, count in c.execute(offers):
            entry = found[defender_id]
            entry["offers"] = int(entry.get("offers", 0)) + count  # type: ignore[call-overload]
            key = {"accepted": "accepted", "declined": "declined", "no_answer": "lapsed"}.get(result)
            if key:
                entry[key] = count
        for defender_id, at in c.execute(last):
            found[defender_id]["last_assigned_at"] = utc(at)
        for defender_id, median in c.execute(medians):
            found[defender_id]["median_report_days"] = max(0.0, float(median))
    return {d: History(defender_id=d, **fields) for d, fields in found.items()}  # type: ignore[arg-type]
