"""LEDES 1998B: an approved hour & expense report as the pipe-delimited file law-firm e-billing imports.

Pure and sandbox-safe (standard library and casefac models only), so the workflow can render the file
deterministically and attach it to the invoice email. Amounts come from the approved, priced report in
the invoice currency (integer minor units, never float) and are written as major units with two places.

Layout (LEDES 1998B): line 1 ``LEDES1998B[]``, line 2 the 24 field names joined by ``|`` and ending in
``[]``, then one line per fee (``F``), expense (``E``) and staff adjustment (``IF``), each ending in ``[]``.
Every line satisfies ``LINE_ITEM_TOTAL = round(LINE_ITEM_NUMBER_OF_UNITS x LINE_ITEM_UNIT_COST) +
LINE_ITEM_ADJUSTMENT_AMOUNT``: a fee priced through an exchange rate can differ from ``hours x rounded
converted rate`` by a cent, and that cent goes in the adjustment so the lines add up to the invoice exactly.
Staff adjustments (discounts) become invoice-level fee adjustments (``IF``) with no units.

``LINE_ITEM_DESCRIPTION`` is neutral (the UTBMS codes' labels, and for an expense what was spent): what the
Defender typed appears only on the lines staff opted in when approving (``ApprovedReport.line_text``), so a
file that travels by email to a law firm's accounting carries no interview subjects or places (security M4).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from casefac.money import EXPONENT, MONEY_CONTEXT, Money
from casefac.pricing import PricedLine, rate_for
from casefac.report import HourExpenseReport
from casefac.state import ApprovedReport
from casefac.utbms import label

HEADER = "LEDES1998B[]"
FIELDS: tuple[str, ...] = (
    "INVOICE_DATE", "INVOICE_NUMBER", "CLIENT_ID", "LAW_FIRM_MATTER_ID", "INVOICE_TOTAL", "BILLING_START_DATE",
    "BILLING_END_DATE", "INVOICE_DESCRIPTION", "LINE_ITEM_NUMBER", "EXP/FEE/INV_ADJ_TYPE",
    "LINE_ITEM_NUMBER_OF_UNITS", "LINE_ITEM_ADJUSTMENT_AMOUNT", "LINE_ITEM_TOTAL", "LINE_ITEM_DATE",
    "LINE_ITEM_TASK_CODE", "LINE_ITEM_EXPENSE_CODE", "LINE_ITEM_ACTIVITY_CODE", "TIMEKEEPER_ID",
    "LINE_ITEM_DESCRIPTION", "LAW_FIRM_ID", "LINE_ITEM_UNIT_COST", "TIMEKEEPER_NAME", "TIMEKEEPER_CLASSIFICATION",
    "CLIENT_MATTER_ID",
)
LINE_END = "[]"
#: CRLF, as the 1998B specification's examples and most e-billing importers expect.
NEWLINE = "\r\n"
CONTENT_TYPE = "text/plain"
MAX_TEXT = 500

Text = Annotated[str, Field(max_length=500)]


class LedesInvoice(BaseModel):
    """Everything one LEDES file needs; the workflow has all of it when the Stripe invoice is issued.

    ``hourly_rate`` is the contract's rate (the unit cost of fee lines before conversion); ``client_id`` is
    the Advocate's id (JiM bills the Advocate's firm); ``timekeeper_id`` the Defender's id. Names are
    optional because a LEDES file travels by email: ids are enough for the e-billing import.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    invoice_number: Annotated[str, Field(min_length=1, max_length=100)]
    invoice_date: date
    client_id: str
    report: HourExpenseReport
    approved: ApprovedReport
    hourly_rate: Money
    timekeeper_id: str
    timekeeper_name: Text = ""
    #: LEDES classifications: PT partner, AS associate, OC of counsel, LA legal assistant, OT other.
    timekeeper_classification: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "OT"
    law_firm_id: Text = "JUSTICE-IN-MOTION"
    client_matter_id: Text = ""
    description: Text = ""


class LedesFile(NamedTuple):
    """An email attachment's fields (``casefac.activity_io.Attachment(**file._asdict())``)."""

    filename: str
    content_type: str
    content_base64: str


def attachment(invoice: LedesInvoice) -> LedesFile:
    """The rendered file as an attachment: deterministic, so the workflow can build it in its own code."""
    text = render(invoice)
    return LedesFile(filename(invoice.case_id, invoice.approved.number), CONTENT_TYPE,
                     base64.b64encode(text.encode("ascii")).decode("ascii"))


def filename(case_id: str, report_number: int) -> str:
    """``JIM-2026-0042-report-1.ledes.txt``: ids only, safe as an attachment name."""
    return f"{_field(case_id)}-report-{report_number}.ledes.txt"


@dataclass(frozen=True)
class _Row:
    """One line item before formatting; money in minor units of the invoice currency."""

    kind: str
    units: str
    adjustment: int
    total: int
    day: date
    description: str
    unit_cost: int
    task: str = ""
    expense: str = ""
    activity: str = ""


def render(invoice: LedesInvoice) -> str:
    """The LEDES 1998B text (ASCII, CRLF line ends). Raises ``ValueError`` if the report and its pricing
    disagree (a different number or order of lines than the approved pricing, or a missing exchange rate)."""
    rows = _line_items(invoice)
    priced_total = invoice.approved.priced.invoice_total
    total = sum(row.total for row in rows)
    if total != priced_total.amount:
        raise ValueError(f"LEDES lines add up to {total}, the approved invoice total is {priced_total.amount}")
    cur = priced_total.currency
    dates = [h.date for h in invoice.report.hours] + [e.date for e in invoice.report.expenses]
    start, end = (min(dates), max(dates)) if dates else (invoice.invoice_date, invoice.invoice_date)
    description = invoice.description or (f"Case Facilitation {invoice.case_id}, "
                                          f"{invoice.report.kind.value} report {invoice.approved.number}")
    lines = [HEADER, "|".join(FIELDS) + LINE_END]
    for number, row in enumerate(rows, start=1):
        values = (
            _day(invoice.invoice_date), _field(invoice.invoice_number), _field(invoice.client_id),
            _field(invoice.case_id), _amount(total, cur), _day(start), _day(end), _field(description),
            str(number), row.kind, row.units, _amount(row.adjustment, cur), _amount(row.total, cur), _day(row.day),
            row.task, row.expense, row.activity, _field(invoice.timekeeper_id), _field(row.description),
            _field(invoice.law_firm_id), _amount(row.unit_cost, cur), _field(invoice.timekeeper_name),
            invoice.timekeeper_classification, _field(invoice.client_matter_id),
        )
        lines.append("|".join(values) + LINE_END)
    return NEWLINE.join(lines) + NEWLINE


def _line_items(inv: LedesInvoice) -> list[_Row]:
    """Fees, then expenses, then staff adjustments: the order ``casefac.pricing.price_report`` prices them in."""
    report, priced = inv.report, inv.approved.priced.invoice_lines
    n_fees, n_exp = len(report.hours), len(report.expenses)
    expected = n_fees + n_exp + len(inv.approved.adjustments)
    if len(priced) != expected:
        raise ValueError(f"approved report {inv.approved.number} prices {len(priced)} lines; the report and "
                         f"its adjustments have {expected}")
    fees, expenses, adjustments = priced[:n_fees], priced[n_fees:n_fees + n_exp], priced[n_fees + n_exp:]
    unit_cost = _round(_converted_rate(inv, inv.approved.priced.invoice_total.currency))
    opted = set(inv.approved.line_text)

    def text(key: str, neutral: str, typed: str) -> str:
        return typed if key in opted else neutral

    rows: list[_Row] = []
    for i, (line, p) in enumerate(zip(report.hours, fees, strict=True), start=1):
        _same_code(p, line.task_code)
        rows.append(_Row(kind="F", units=_units(line.hours), total=p.amount.amount, unit_cost=unit_cost,
                         adjustment=p.amount.amount - _round(line.hours * unit_cost), day=line.date,
                         task=line.task_code, activity=line.activity_code,
                         description=text(f"h{i}", f"{label(line.task_code)} / {label(line.activity_code)}",
                                          line.description)))
    for i, (exp, p) in enumerate(zip(report.expenses, expenses, strict=True), start=1):
        _same_code(p, exp.expense_code)
        spent = "" if exp.amount.currency == p.amount.currency else f" (spent {exp.amount.format()})"
        rows.append(_Row(kind="E", units="1", total=p.amount.amount, unit_cost=p.amount.amount, adjustment=0,
                         day=exp.date, expense=exp.expense_code,
                         description=text(f"e{i}", label(exp.expense_code), exp.description) + spent))
    approved_on = inv.approved.approved_at.date()
    for i, (p, adj) in enumerate(zip(adjustments, inv.approved.adjustments, strict=True), start=1):
        rows.append(_Row(kind="IF", units="0", total=p.amount.amount, unit_cost=0, adjustment=p.amount.amount,
                         day=approved_on, description=text(f"a{i}", "Adjustment", f"Adjustment: {adj.description}")))
    return rows


def _converted_rate(inv: LedesInvoice, currency: str) -> Decimal:
    """The hourly rate in the invoice currency's minor units, at the rate staff approved (unrounded)."""
    if not inv.report.hours:
        return Decimal(0)
    rate = rate_for(inv.approved.exchange_rates, inv.hourly_rate.currency, currency)
    if rate is None:
        raise ValueError(f"no exchange rate {inv.hourly_rate.currency}->{currency} in approved report")
    ctx = MONEY_CONTEXT
    shift = ctx.power(Decimal(10), EXPONENT[currency] - EXPONENT[inv.hourly_rate.currency])
    return ctx.multiply(ctx.multiply(Decimal(inv.hourly_rate.amount), rate.rate), shift)


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), ROUND_HALF_EVEN, context=MONEY_CONTEXT))


def _same_code(line: PricedLine, code: str) -> None:
    if line.code != code:
        raise ValueError(f"approved line {line.code} does not match report line {code}")


def _amount(minor: int, currency: str) -> str:
    """Integer minor units as ``-12.50``: Decimal arithmetic on an int, never a float."""
    exponent = EXPONENT[currency]
    return str(Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))


def _units(hours: Decimal) -> str:
    """Hours as written by the Defender, normalised to one decimal (``3.5``, ``1.0``)."""
    return str(hours.quantize(Decimal("0.1")))


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


_UNSAFE = re.compile(r"[|\[\]]")
_SPACE = re.compile(r"\s+")


def _field(text: str) -> str:
    """Free text made safe for a 1998B field: ASCII (accents dropped), one line, no ``|``, ``[`` or ``]``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _SPACE.sub(" ", _UNSAFE.sub(lambda m: "/" if m.group() == "|" else "", ascii_text)).strip()
    return cleaned[:MAX_TEXT]
