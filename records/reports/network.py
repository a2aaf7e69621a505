"""``casefac report --network``: the Defender network report, for JiM's training and support of Defenders.

Per Defender and per country: offers taken, declined and left to lapse, how fast Defenders answer, how
long from assignment to the first report, hours, fees (the funders' report's own fee tables), evaluations,
and each Defender's load month by month. Built by :func:`records.reports.build.build_sections` into the
same :class:`~records.reports.tables.Report`, so every exporter renders it unchanged.

Load is a wide table (one column per month): a row reads as that Defender's year, the way staff plan
support, and a period has at most a few dozen months; a long format would be easier to pivot but
unreadable on the terminal and in the HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Engine

from records.reports import network_queries as nq
from records.reports import queries as q
from records.reports.build import (
    COUNTRY_NAMES,
    NONE,
    Section,
    _evaluation_cells,
    _maybe,
    _named,
    build_sections,
    evaluations_section,
    fees_sections,
)
from records.reports.money import major
from records.reports.names import NameBook
from records.reports.period import Period
from records.reports.stats import days, hours, median, tenths
from records.reports.tables import Cell, Column, Kind, Report, ReportTable, table
from records.sealing import Sealer

_C = Kind.COUNT


def months_of(period: Period) -> list[nq.Month]:
    """Each calendar month the period touches, clipped to the period (a period may start mid-month)."""
    out: list[nq.Month] = []
    first = date(period.start.year, period.start.month, 1)
    while first <= period.end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        start = max(datetime.combine(first, time(), UTC), period.starts_at)
        end = min(datetime.combine(following, time(), UTC), period.ends_before)
        out.append((f"{first:%Y-%m}", start, end))
        first = following
    return out


# -- offers, response, first report, hours and fees per Defender and per country ----------------------------

class _Figures:
    """One Defender's (or country's) figures, gathered from the several queries before they become a row."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.assigned = self.declined = self.lapsed = self.offers = 0
        self.responses: list[int] = []
        self.to_first_report: list[int] = []
        self.reports = self.hours_tenths = 0
        self.fees_usd: int | None = None
        self.payouts = 0
        self.defenders: set[str] = set()

    def add_fees(self, count: int, usd: int | None) -> None:
        self.payouts += count
        if usd is not None:
            self.fees_usd = (self.fees_usd or 0) + int(usd)

    def cells(self) -> tuple[Cell, ...]:
        return (self.assigned, self.declined, self.lapsed, self.offers, hours(median(self.responses)),
                days(median(self.to_first_report)), self.reports, tenths(self.hours_tenths), self.payouts,
                major(self.fees_usd))


FIGURE_COLUMNS = (Column("assigned", "Cases assigned", _C), Column("declined", "Declined", _C),
                  Column("lapsed", "Lapsed", _C), Column("offers", "Offers", _C),
                  Column("median_response_hours", "Median response h", Kind.HOURS),
                  Column("median_days_to_first_report", "Days to 1st report", Kind.DAYS),
                  Column("reports", "Approved reports", _C), Column("hours", "Hours", Kind.HOURS),
                  Column("payouts", "Payouts", _C), Column("fees_usd", "Fees USD", Kind.MONEY))


def _gather(conn: Connection, period: Period) -> tuple[dict[str, _Figures], dict[str, _Figures], _Figures]:
    """Per Defender, per country and in all: one pass over each query's rows, so the three always agree."""
    per_defender: dict[str, _Figures] = {}
    per_country: dict[str, _Figures] = {}
    everyone = _Figures("")

    def each(defender_id: str | None, country: str | None) -> list[_Figures]:
        key, where = defender_id or NONE, country or NONE
        d = per_defender.setdefault(key, _Figures(where))
        c = per_country.setdefault(d.country, _Figures(d.country))
        c.defenders.add(key)
        everyone.defenders.add(key)
        return [d, c, everyone]

    for defender_id, country, accepted, declined, lapsed, count in nq.offer_counts(conn, period):
        for f in each(defender_id, country):
            f.assigned += int(accepted)
            f.declined += int(declined)
            f.lapsed += int(lapsed)
            f.offers += int(count)
    for defender_id, country, seconds in nq.response_seconds(conn, period):
        for f in each(defender_id, country):
            f.responses.append(seconds)
    for defender_id, country, seconds in nq.first_report_seconds(conn, period):
        for f in each(defender_id, country):
            f.to_first_report.append(seconds)
    for defender_id, country, count, tenths_ in q.defender_hours(conn, period):
        for f in each(defender_id, country):
            f.reports += int(count)
            f.hours_tenths += int(tenths_)
    for country, defender_id, count, _amount, usd, _missing in q.fees_paid(
            conn, period, [q._defender_country(), q.payouts.c.defender_id]):
        for f in each(defender_id, country):
            f.add_fees(int(count), usd)
    return per_defender, per_country, everyone


NOTES = ("Offers made in the period: assigned = accepted, lapsed = no answer in time. Response: from the offer to "
         "the Defender's answer (answered offers only). Days to 1st report: from entering ASSIGNMENT to the first "
         "report submitted, of cases whose first report came in the period. Hours: reports approved in the "
         "period. Fees: payouts paid in the period, in USD at the rates staff approved (per currency in the fee "
         "tables).")


def activity_sections(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    per_defender, per_country, everyone = _gather(conn, period)
    ordered = sorted(per_defender.items(), key=lambda kv: (kv[1].country, kv[0]))
    if names is not None:
        names.load(conn, "defenders", list(per_defender))
    columns = _named([Column("defender_id", "Defender"), Column("country", "Country"), *FIGURE_COLUMNS],
                     "defender_id", "defender_name", names)
    rows = [(key, *_maybe(names, names.defender(key) if names else None), f.country, *f.cells())
            for key, f in ordered]
    empty = "No offer, report or payout in the period."
    by_defender = table("network_defenders", "Defenders: offers, response, work and fees", columns, rows,
                        totals=[("All", *_maybe(names, ""), "", *everyone.cells())], notes=[NOTES],
                        empty_note=empty, short="Defenders")
    country_rows = [(code, COUNTRY_NAMES.get(code, code), len(f.defenders), *f.cells())
                    for code, f in sorted(per_country.items())]
    by_country = table("network_countries", "Countries: offers, response, work and fees",
                       [Column("country", "Code"), Column("country_name", "Country"),
                        Column("defenders", "Defenders", _C), *FIGURE_COLUMNS], country_rows,
                       totals=[("Total", "", len(everyone.defenders), *everyone.cells())],
                       notes=[NOTES, "Medians of a country are over all its answers, not a median of medians."],
                       empty_note=empty, short="Countries")
    return [by_defender, by_country]


# -- evaluations per country (per Defender: the funders' report's own table) ----------------------------------

def evaluations_sections(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    per_defender = evaluations_section(conn, period, names)
    score = Kind.SCORE
    columns = [Column("country", "Code"), Column("country_name", "Country"), Column("evaluations", "Evaluations", _C),
               Column("from_advocates", "From Advocates", _C), Column("from_defenders", "From Defenders", _C),
               Column("overall", "Overall", score), Column("communication", "Communication", score),
               Column("quality", "Quality", score), Column("timeliness", "Timeliness", score),
               Column("would_work_again", "Would work again", Kind.SHARE)]
    rows = [(r[0] or NONE, COUNTRY_NAMES.get(r[0], r[0] or NONE), *_evaluation_cells(r))
            for r in nq.evaluations_by_country(conn, period)]
    totals = [("All", "", *_evaluation_cells(r)) for r in q.evaluation_sums(conn, period, grouped=False)]
    by_country = table("evaluations_by_country", "Evaluations per country", columns, rows, totals=totals,
                       notes=["Evaluations submitted in the period, by the evaluated Defender's country; scores 1–5."],
                       empty_note="No evaluation was submitted in the period.")
    return [*per_defender, by_country]


# -- load: open cases per Defender per month ---------------------------------------------------------------

def _month_columns(months: Sequence[nq.Month]) -> list[Column]:
    return [Column(label, label, _C) for label, _s, _e in months]


def _month_totals(rows: Sequence[Any], skip: int) -> list[int]:
    """Open cases per month over all rows: each case has one Defender and one country, so these add up."""
    return [sum(int(r[i]) for r in rows) for i in range(skip, len(rows[0]))] if rows else []


LOAD_NOTE = ("Open cases per month: the case's Defender, assigned (ASSIGNMENT entered or an offer accepted) "
             "by the month's end and not closed before its start. The first and last months are clipped to the "
             "period. Peak: the most in any one month.")


def load_sections(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    months = months_of(period)
    found = nq.open_load(conn, period, months)
    if names is not None:
        names.load(conn, "defenders", [r[0] for r in found])
    peak = Column("peak", "Peak", _C)
    columns = _named([Column("defender_id", "Defender"), Column("country", "Country"), peak,
                      *_month_columns(months)], "defender_id", "defender_name", names)
    rows = [(r[0], *_maybe(names, names.defender(r[0]) if names else None), r[1] or NONE,
             max(int(v) for v in r[2:]), *(int(v) for v in r[2:])) for r in found]
    sums = _month_totals(found, 2)
    empty = "No case was open with a Defender in the period."
    by_defender = table("load_by_defender", "Open cases per Defender per month", columns, rows,
                        totals=[("Total", *_maybe(names, ""), "", max(sums, default=0), *sums)], notes=[LOAD_NOTE],
                        empty_note=empty, short="Load per Defender")
    per_country = nq.open_load(conn, period, months, by_country=True)
    country_rows = [(r[0] or NONE, COUNTRY_NAMES.get(r[0], r[0] or NONE), max(int(v) for v in r[1:]),
                     *(int(v) for v in r[1:])) for r in per_country]
    country_sums = _month_totals(per_country, 1)
    by_country = table("load_by_country", "Open cases per country per month",
                       [Column("country", "Code"), Column("country_name", "Country"), peak, *_month_columns(months)],
                       country_rows, totals=[("Total", "", max(country_sums, default=0), *country_sums)],
                       notes=[LOAD_NOTE], empty_note=empty, short="Load per country")
    return [by_defender, by_country]


NETWORK_SECTIONS: tuple[tuple[str, Section], ...] = (
    ("offers, response, hours", activity_sections),
    ("fees paid", fees_sections),
    ("evaluations", evaluations_sections),
    ("load per month", load_sections),
)


def build_network_report(source: Engine | Connection, period: Period, *, sealer: Sealer | None = None,
                         on_section: Callable[[str], None] | None = None) -> Report:
    """The network report over ``period``; Defender names only with a ``sealer`` (``--with-names``)."""
    return build_sections(source, period, NETWORK_SECTIONS, kind="network", sealer=sealer, on_section=on_section)


__all__ = ["NETWORK_SECTIONS", "build_network_report", "months_of"]
