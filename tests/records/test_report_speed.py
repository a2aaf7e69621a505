"""The report over a synthetic record agrees with what the generator built, on SQLite and PostgreSQL.

The generator counts what it inserts as it goes (:class:`records.reports.synthetic.Totals`); every figure
of the report is held against those counts. No timing is asserted here: the timings come from the
benchmark (``python -m bench.records_report --cases 10000``), run and reported by hand. 2,000 cases keep
this test quick; the benchmark uses 10,000.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from casefac.keyring import KeyRing
from records import models as m
from records.reports.build import build_report
from records.reports.money import major
from records.reports.names import name_where
from records.reports.stats import ratio
from records.reports.synthetic import FIRST, LAST, Totals, generate
from records.reports.tables import Report
from records.sealing import Sealer

CASES = 2_000
RING = KeyRing.generate("k-synthetic")


@pytest.fixture
def built(records_engine: Engine) -> tuple[Report, Totals, Engine]:
    totals = generate(records_engine, CASES, Sealer(RING), batch_size=700)
    return build_report(records_engine, totals.period), totals, records_engine


def _by(report: Report, key: str, column: str, index: int) -> dict[str, int]:
    return {str(row[column]): int(row[("opened", "closed", "open")[index]])  # type: ignore[arg-type]
            for row in report.table(key).records() if row[("opened", "closed", "open")[index]]}


def test_generator_built_what_it_says(built: tuple[Report, Totals, Engine]) -> None:
    _report, totals, engine = built
    assert totals.cases == totals.rows["cases"] == CASES
    with engine.connect() as c:
        assert c.scalar(select(m.CaseRow.case_id).order_by(m.CaseRow.case_id).limit(1)) is not None
        defender_id, sealed = c.execute(select(m.DefenderRow.defender_id, m.DefenderRow.name_sealed).limit(1)).one()
        stages = set(c.scalars(select(m.CaseRow.stage).distinct()))
        currencies = set(c.scalars(select(m.PayoutRow.currency).distinct()))
    first, *_rest, last = Sealer(RING).open(sealed, where=name_where("defenders"), case_id=defender_id).split()
    assert first in FIRST and last in LAST  # real Sealer output of a fake name
    assert {"CLOSED", "DECLINED", "CANCELLED", "REVIEW", "ASSIGNMENT"} <= stages  # open cases too
    assert {"USD", "MXN", "GTQ"} <= currencies


DIMENSIONS = (("cases_by_country", "country"), ("cases_by_matter_type", "matter_type"),
              ("cases_by_service", "service"), ("cases_by_problem_code", "problem_code"))


def test_every_figure_matches_the_generator(built: tuple[Report, Totals, Engine]) -> None:
    report, totals, _ = built
    assert set(totals.opened("country")) == {"MX", "GT", "SV", "HN", "NI"}
    for key, dimension in DIMENSIONS:
        assert _by(report, key, dimension, 0) == totals.opened(dimension), key
        assert _by(report, key, dimension, 1) == totals.closed(dimension), key
        assert _by(report, key, dimension, 2) == totals.open_at_end(dimension), key
    assert report.table("cases_by_country").totals[0][2:] == tuple(totals.by["all"]["all"])

    stage_days = report.table("stage_days")
    assert {r["stage"]: r["stages"] for r in stage_days.records()} == dict(totals.timed_stages)
    assert stage_days.totals[0][:2] == ("Request to close", totals.closed_cases)
    assert f"{totals.stages_in_progress} stage(s) entered in the period are still in progress and not counted." \
        in stage_days.notes

    hours = report.table("defender_hours")
    assert hours.totals[0][-2:] == (totals.approved_reports, Decimal(totals.approved_hours_tenths) / 10)
    assert {r["defender_id"]: r["hours"] for r in hours.records()} == {
        d: Decimal(tenths) / 10 for d, tenths in totals.hours_by_defender.items()}

    fees = {r["currency"]: r for r in report.table("fees_by_country").records(totals=True)}
    for currency, count in totals.payouts_paid.items():
        assert (fees[currency]["payouts"], fees[currency]["amount"]) == (
            count, major(totals.payout_amounts[currency], currency))
    assert (fees["all (USD)"]["amount_usd"], fees["all (USD)"]["without_usd"]) == (
        major(totals.payout_usd), totals.payouts_without_usd)

    invoices = {r["currency"]: r for r in report.table("invoices_by_organization").records(totals=True)}
    for currency, count in totals.invoices.items():
        row = invoices[currency]
        assert (row["invoices"], row["invoiced"], row["paid"]) == (
            count, major(totals.invoiced[currency]), major(totals.invoice_paid[currency]))
    everything = invoices["all (USD)"]
    assert (everything["invoiced_usd"], everything["paid_usd"], everything["without_usd"]) == (
        major(totals.invoiced_usd), major(totals.invoice_paid_usd), totals.invoices_without_usd)
    assert set(totals.invoices) == {"USD", "CAD"}

    outcomes = Counter({(r["ended_as"], None if r["outcome"] == "—" else r["outcome"]): r["cases"]
                        for r in report.table("outcomes").records()})
    assert outcomes == totals.outcomes
    codes = Counter({None if r["closing_code"] == "—" else r["closing_code"]: r["cases"]
                     for r in report.table("closing_codes").records()})
    assert codes == totals.closing_codes

    (everyone,) = report.table("evaluations").records(totals=True)
    assert everyone["evaluations"] == totals.evaluations
    assert everyone["overall"] == ratio(totals.evaluation_overall, totals.evaluations)
    assert everyone["would_work_again"] == ratio(totals.would_work_again, totals.evaluations, Decimal("0.001"))
