"""Turning query results into the report's tables: labels, money in major units, medians, totals, notes.

One function per section, run in order inside one read transaction (so every table describes the same
moment of the record). Nothing here formats for a medium: that is the exporters' job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from records.reports import queries as q
from records.reports.money import major
from records.reports.names import UNREADABLE, NameBook
from records.reports.period import Period
from records.reports.stats import days, median, percentile, ratio, share, tenths
from records.reports.tables import Cell, Column, Kind, Report, ReportTable, Row, table
from records.sealing import Sealer
from records.vocabulary import CLOSING_CODES, PROBLEM_CODES

COUNTRY_NAMES = {"MX": "Mexico", "GT": "Guatemala", "SV": "El Salvador", "HN": "Honduras", "NI": "Nicaragua"}
#: Stages with a duration, in the order a case goes through them.
TIMED_STAGES = ("REVIEW", "AGREEMENT", "ASSIGNMENT", "PAYMENT", "EVALUATION")
NONE = "—"
ALL_CURRENCIES = "all (USD)"

Section = Callable[[Connection, Period, NameBook | None], Sequence[ReportTable]]


def _count(key: str, label: str) -> Column:
    return Column(key, label, Kind.COUNT)


def _money(key: str, label: str) -> Column:
    return Column(key, label, Kind.MONEY)


NO_CASES = "No cases opened, closed or open in the period."
COUNT_COLUMNS = (_count("opened", "Opened"), _count("closed", "Closed"), _count("open", "Open at end"))


def _case_notes(period: Period) -> tuple[str, ...]:
    return (f"Opened and closed: in the period. Open at end: opened by {period.end.isoformat()} and not closed "
            "(CLOSED, DECLINED or CANCELLED) by then.",)


def _counts(row: Any) -> tuple[int, int, int]:
    return int(row[-3]), int(row[-2]), int(row[-1])


def _named(columns: list[Column], after: str, key: str, names: NameBook | None) -> list[Column]:
    """The columns with a name column after ``after`` when names were asked for."""
    if names is None:
        return columns
    at = next(i for i, c in enumerate(columns) if c.key == after) + 1
    return [*columns[:at], Column(key, "Name"), *columns[at:]]


def _maybe(names: NameBook | None, value: Cell) -> tuple[Cell, ...]:
    return () if names is None else (value,)


# -- cases -------------------------------------------------------------------------------------------------

def cases_sections(conn: Connection, period: Period, _names: NameBook | None) -> list[ReportTable]:
    total = ("Total", *q.case_totals(conn, period))
    notes = _case_notes(period)
    by_country = table(
        "cases_by_country", "Cases by country",
        [Column("country", "Code"), Column("country_name", "Country"), *COUNT_COLUMNS],
        [(r[0], COUNTRY_NAMES.get(r[0], r[0]), *_counts(r)) for r in q.cases_by_country(conn, period)],
        totals=[(total[0], "", *total[1:])], notes=notes, empty_note=NO_CASES)
    by_matter = table(
        "cases_by_matter_type", "Cases by matter type", [Column("matter_type", "Matter type"), *COUNT_COLUMNS],
        [(r[0], *_counts(r)) for r in q.cases_by_matter_type(conn, period)], totals=[total], notes=notes,
        empty_note=NO_CASES)
    by_service = table(
        "cases_by_service", "Cases by service", [Column("service", "Service"), *COUNT_COLUMNS],
        [(r[0], *_counts(r)) for r in q.cases_by_service(conn, period)],
        notes=(*notes, "A case may ask for several services, so these add up to more than the cases."),
        empty_note=NO_CASES)
    by_problem = table(
        "cases_by_problem_code", "Cases by LSC problem code",
        [Column("problem_code", "Code"), Column("problem", "Problem"), *COUNT_COLUMNS],
        [(r[0], PROBLEM_CODES.get(r[0], "(not an LSC code)"), *_counts(r))
         for r in q.cases_by_problem_code(conn, period)],
        totals=[(total[0], "", *total[1:])], notes=notes, empty_note=NO_CASES, short="Cases by problem code")
    return [by_country, by_matter, by_service, by_problem]


# -- time ----------------------------------------------------------------------------------------------------

def _spread(label: str, seconds: Sequence[int]) -> Row:
    return (label, len(seconds), days(median(seconds)), days(percentile(seconds, 90)))


def stage_days_section(conn: Connection, period: Period, _names: NameBook | None) -> list[ReportTable]:
    per_stage: dict[str, list[int]] = {}
    for stage, seconds in q.stage_seconds(conn, period):
        per_stage.setdefault(stage, []).append(seconds)
    ordered = [s for s in TIMED_STAGES if s in per_stage] + sorted(set(per_stage) - set(TIMED_STAGES))
    to_close = q.request_to_close_seconds(conn, period)
    in_progress = q.stages_in_progress(conn, period)
    notes = ["Stages entered in the period and since left; CLOSED, DECLINED and CANCELLED have no duration. "
             "Median: the middle value; p90: nearest rank (90% of stages took at most that long)."]
    if in_progress:
        notes.append(f"{in_progress} stage(s) entered in the period are still in progress and not counted.")
    if to_close:
        notes.append("Request to close: from opening to CLOSED, DECLINED or CANCELLED, of cases closed in the period.")
    columns = [Column("stage", "Stage"), _count("stages", "Stages"), Column("median_days", "Median days", Kind.DAYS),
               Column("p90_days", "p90 days", Kind.DAYS)]
    rows = [_spread(stage, per_stage[stage]) for stage in ordered]
    totals = [_spread("Request to close", to_close)] if to_close else []
    if not rows and totals:  # cases closed, but no stage entered in the period: still worth showing
        rows, totals = totals, []
    return [table("stage_days", "Days per stage", columns, rows, totals=totals, notes=notes,
                  empty_note="No stage was entered and left in the period.")]


# -- Defenders: hours and fees ---------------------------------------------------------------------------------

def hours_section(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    found = q.defender_hours(conn, period)
    if names is not None:
        names.load(conn, "defenders", [r[0] for r in found])
    columns = _named([Column("defender_id", "Defender"), Column("country", "Country"),
                      _count("reports", "Approved reports"), Column("hours", "Hours", Kind.HOURS)],
                     "defender_id", "defender_name", names)
    rows = [(r[0] or NONE, *_maybe(names, names.defender(r[0]) if names else None), r[1], int(r[2]), tenths(r[3]))
            for r in found]
    (count, hours), = [(int(r[0]), int(r[1])) for r in q.defender_hours(conn, period, grouped=False)]
    totals = [("Total", *_maybe(names, ""), "", count, tenths(hours))]
    return [table("defender_hours", "Defender hours", columns, rows, totals=totals,
                  notes=["Hours of the Defenders' reports approved in the period (kept to the tenth of an hour)."],
                  empty_note="No report was approved in the period.")]


def _usd_note(missing: int, what: str) -> list[str]:
    if not missing:
        return []
    return [f"{missing} {what} had no approved USD rate: not in the USD figures."]


def _fee_cells(r: Any, currency: str) -> tuple[Cell, ...]:
    """(payouts, amount, amount USD, without a USD rate) from the last four columns of a fees query."""
    return int(r[-4]), major(r[-3], currency), major(r[-2]), int(r[-1])


FEE_COLUMNS = (Column("currency", "Currency"), _count("payouts", "Payouts"), _money("amount", "Amount"),
               _money("amount_usd", "USD"), _count("without_usd", "No USD rate"))


def _fee_totals(conn: Connection, period: Period) -> tuple[list[Row], int]:
    """Per currency, then all currencies in USD (the cells from the currency on), and the payouts without USD."""
    per_currency = [(r[0], *_fee_cells(r, r[0])) for r in q.fees_by_currency(conn, period)]
    count, _amount, usd, missing = _fee_cells(q.fees_total(conn, period), "USD")
    return [*per_currency, (ALL_CURRENCIES, count, None, usd, missing)], int(missing or 0)


def _led(lead: tuple[Cell, ...], rows: Sequence[Row]) -> list[Row]:
    return [(*lead, *row) for row in rows]


def fees_sections(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    by_defender = q.fees_by_defender(conn, period)
    if names is not None:
        names.load(conn, "defenders", [r[1] for r in by_defender])
    lead_columns = _named([Column("country", "Country"), Column("defender_id", "Defender")], "defender_id",
                          "defender_name", names)
    rows = [(r[0], r[1] or NONE, *_maybe(names, names.defender(r[1]) if names else None), r[2],
             *_fee_cells(r, r[2])) for r in by_defender]
    totals, missing = _fee_totals(conn, period)
    notes = ["Payouts to Defenders paid in the period, per currency (amounts in different currencies never add "
             "up); the USD column converts at the rate staff approved.", *_usd_note(missing, "payout(s)")]
    empty = "No payout was paid in the period."
    per_defender = table("fees_by_defender", "Fees paid per Defender", [*lead_columns, *FEE_COLUMNS], rows,
                         totals=_led(("Total", "", *_maybe(names, "")), totals), notes=notes, empty_note=empty)
    country_rows = [(r[0], COUNTRY_NAMES.get(r[0], r[0]), r[1], *_fee_cells(r, r[1]))
                    for r in q.fees_by_country(conn, period)]
    per_country = table("fees_by_country", "Fees paid per country",
                        [Column("country", "Code"), Column("country_name", "Country"), *FEE_COLUMNS], country_rows,
                        totals=_led(("Total", ""), totals), notes=notes, empty_note=empty)
    return [per_defender, per_country]


# -- invoices ------------------------------------------------------------------------------------------------

INVOICE_COLUMNS = (Column("currency", "Currency"), _count("invoices", "Invoices"), _money("invoiced", "Invoiced"),
                   _money("paid", "Paid"), _money("outstanding", "Outstanding"),
                   _money("invoiced_usd", "Invoiced USD"), _money("paid_usd", "Paid USD"),
                   _money("outstanding_usd", "Outstanding USD"), _count("without_usd", "No USD rate"))


def _invoice_cells(r: Any, currency: str) -> tuple[Cell, ...]:
    """The last eight columns of an invoice query, money in major units."""
    return (int(r[-8]), major(r[-7], currency), major(r[-6], currency), major(r[-5], currency),
            major(r[-4]), major(r[-3]), major(r[-2]), int(r[-1]))


def _invoice_totals(conn: Connection, period: Period) -> tuple[list[Row], int]:
    """Per currency, then all currencies in USD (the cells from the currency on), and the invoices without USD."""
    per_currency = [(r[0], *_invoice_cells(r, r[0])) for r in q.invoices_by_currency(conn, period)]
    count, _i, _p, _o, usd_i, usd_p, usd_o, missing = _invoice_cells(q.invoices_total(conn, period), "USD")
    return [*per_currency, (ALL_CURRENCIES, count, None, None, None, usd_i, usd_p, usd_o, missing)], int(missing or 0)


def invoices_sections(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    totals, missing = _invoice_totals(conn, period)
    notes = ["Invoices issued in the period, void ones left out: paid = status paid, outstanding = every other "
             "status (open, draft, payment_failed, uncollectible).", *_usd_note(missing, "invoice(s)")]
    empty = "No invoice was issued in the period."
    by_org = table("invoices_by_organization", "Invoiced, paid and outstanding by Advocate organisation",
                   [Column("organization", "Organisation"), *INVOICE_COLUMNS],
                   [(r[0], r[1], *_invoice_cells(r, r[1])) for r in q.invoices_by_organization(conn, period)],
                   totals=_led(("Total",), totals), notes=notes, empty_note=empty, short="Invoices by organisation")
    per_advocate = q.invoices_by_advocate(conn, period)
    if names is not None:
        names.load(conn, "advocates", [r[1] for r in per_advocate])
    columns = _named([Column("organization", "Organisation"), Column("advocate_id", "Advocate"), *INVOICE_COLUMNS],
                     "advocate_id", "advocate_name", names)
    rows = [(r[0], r[1], *_maybe(names, names.advocate(r[1]) if names else None), r[2], *_invoice_cells(r, r[2]))
            for r in per_advocate]
    by_advocate = table("invoices_by_advocate", "Invoiced, paid and outstanding by Advocate", columns, rows,
                        totals=_led(("Total", "", *_maybe(names, "")), totals), notes=notes, empty_note=empty,
                        short="Invoices by Advocate")
    return [by_org, by_advocate]


# -- how cases ended -----------------------------------------------------------------------------------------

def endings_sections(conn: Connection, period: Period, _names: NameBook | None) -> list[ReportTable]:
    ended = q.outcomes(conn, period)
    closed_total = sum(int(r[2]) for r in ended)  # the groups partition the closed cases: a count, not a figure
    outcomes = table("outcomes", "Outcomes of cases closed in the period",
                     [Column("ended_as", "Ended as"), Column("outcome", "Outcome"), _count("cases", "Cases")],
                     [(r[0], r[1] or NONE, int(r[2])) for r in ended], totals=[("Total", "", closed_total)],
                     notes=["The outcome the Advocate reported; declined and cancelled cases have none."],
                     empty_note="No case was closed in the period.", short="Outcomes")
    codes = q.closing_codes(conn, period)
    closing = table("closing_codes", "LSC closing codes of cases closed in the period",
                    [Column("closing_code", "Code"), Column("closing", "Closing"), _count("cases", "Cases"),
                     _count("set_by_staff", "Set by staff")],
                    [(r[0] or NONE, CLOSING_CODES.get(r[0], "(not an LSC code)") if r[0] else "none (declined)",
                      int(r[1]), int(r[2])) for r in codes],
                    totals=[("Total", "", sum(int(r[1]) for r in codes), sum(int(r[2]) for r in codes))],
                    notes=["The code staff set, else the one the outcome suggests."],
                    empty_note="No case was closed in the period.", short="LSC closing codes")
    return [outcomes, closing]


# -- evaluations ---------------------------------------------------------------------------------------------

def _evaluation_cells(r: Any) -> tuple[Cell, ...]:
    count, from_advocates = int(r[-7]), int(r[-6])
    return (count, from_advocates, count - from_advocates, ratio(r[-5], count), ratio(r[-4], count),
            ratio(r[-3], count), ratio(r[-2], count), share(r[-1], count))


def evaluations_section(conn: Connection, period: Period, names: NameBook | None) -> list[ReportTable]:
    found = q.evaluation_sums(conn, period)
    if names is not None:
        names.load(conn, "defenders", [r[0] for r in found])
    score = Kind.SCORE
    columns = _named([Column("defender_id", "Defender"), Column("country", "Country"),
                      _count("evaluations", "Evaluations"), _count("from_advocates", "From Advocates"),
                      _count("from_defenders", "From Defenders"), Column("overall", "Overall", score),
                      Column("communication", "Communication", score), Column("quality", "Quality", score),
                      Column("timeliness", "Timeliness", score),
                      Column("would_work_again", "Would work again", Kind.SHARE)],
                     "defender_id", "defender_name", names)
    rows = [(r[0] or NONE, *_maybe(names, names.defender(r[0]) if names else None), r[1] or NONE,
             *_evaluation_cells(r)) for r in found]
    totals = [("All", *_maybe(names, ""), "", *_evaluation_cells(r)) for r in q.evaluation_sums(conn, period,
                                                                                              grouped=False)]
    return [table("evaluations", "Evaluations per Defender", columns, rows, totals=totals,
                  notes=["Evaluations submitted in the period about each Defender's cases, by the Advocate and by "
                         "the Defender; scores 1–5."],
                  empty_note="No evaluation was submitted in the period.")]


SECTIONS: tuple[tuple[str, Section], ...] = (
    ("cases", cases_sections),
    ("days per stage", stage_days_section),
    ("Defender hours", hours_section),
    ("fees paid", fees_sections),
    ("invoices", invoices_sections),
    ("outcomes and closing codes", endings_sections),
    ("evaluations", evaluations_section),
)


def build_report(source: Engine | Connection, period: Period, *, sealer: Sealer | None = None,
                 on_section: Callable[[str], None] | None = None) -> Report:
    """Every section over ``period``; names only when a ``sealer`` is given (staff's ``--with-names``).

    ``on_section`` is told each section's name before it runs (the CLI's progress bar).
    """
    return build_sections(source, period, SECTIONS, sealer=sealer, on_section=on_section)


def build_sections(source: Engine | Connection, period: Period, sections: Sequence[tuple[str, Section]], *,
                   kind: str = "funders", sealer: Sealer | None = None,
                   on_section: Callable[[str], None] | None = None) -> Report:
    """A report of ``sections``: shared by the funders' report and the network one, so both read alike.

    Given an engine, the sections read in one transaction, repeatable-read on PostgreSQL, so every table
    describes the same moment of a record the worker keeps writing.
    """
    if isinstance(source, Engine):
        with source.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                return build_sections(conn, period, sections, kind=kind, sealer=sealer, on_section=on_section)
    names = NameBook(sealer) if sealer is not None else None
    tables: list[ReportTable] = []
    for label, section in sections:
        if on_section is not None:
            on_section(label)
        tables.extend(section(source, period, names))
    notes: tuple[str, ...] = ()
    if names is not None and names.unreadable:
        notes = (f"{names.unreadable} name(s) could not be opened with this key ring: they show as {UNREADABLE}.",)
    return Report(period=period, generated_at=datetime.now(UTC), tables=tuple(tables),
                  with_names=names is not None, notes=notes, kind=kind)
