"""LEDES 1998B rendering, field by field: header, 24 fields per line, totals, dates, codes, sanitising."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from casefac import ledes
from casefac.ledes import FIELDS, LedesInvoice, render
from casefac.money import ExchangeRate, Money
from casefac.pricing import price_report
from casefac.report import Adjustment, ExpenseLine, HourExpenseReport, HourLine, ReportKind
from casefac.state import ApprovedReport

RATE_USD = Money(amount=3500, currency="USD")
GTQ_USD = ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))


def _report() -> HourExpenseReport:
    return HourExpenseReport(kind=ReportKind.FINAL, hours=[
        HourLine(date=date(2026, 5, 4), hours=Decimal("3.5"), task_code="L110", activity_code="A106",
                 description="Llamada | con [la] clienta\nen Cobán"),
        HourLine(date=date(2026, 5, 6), hours=Decimal("0.1"), task_code="L330", activity_code="A103",
                 description="Revisión de la declaración"),
    ], expenses=[
        ExpenseLine(date=date(2026, 5, 5), amount=Money(amount=25050, currency="GTQ"), expense_code="E109",
                    description="Bus a Cobán"),
        ExpenseLine(date=date(2026, 5, 3), amount=Money(amount=4000, currency="USD"), expense_code="E105",
                    description="Saldo telefónico"),
    ])


#: Staff opted every line's typed text in (``ReviewReport.line_text``); the default is neutral (security M4).
ALL_TEXT = ("h1", "h2", "h3", "e1", "e2", "e3", "a1", "a2")


def _invoice(report: HourExpenseReport, *, rates: list[ExchangeRate], currency: str = "USD",
             adjustments: list[Adjustment] | None = None, rate: Money = RATE_USD,
             line_text: tuple[str, ...] = ALL_TEXT) -> LedesInvoice:
    priced = price_report(report, rates, adjustments or [], rate, currency, "USD")
    approved = ApprovedReport(number=2, priced=priced, exchange_rates=rates, adjustments=adjustments or [],
                              approved_by="staff:coord.ana", approved_at=datetime(2026, 5, 10, 15, tzinfo=UTC),
                              line_text=list(line_text))
    return LedesInvoice(case_id="JIM-2026-0042", invoice_number="JIM-0007", invoice_date=date(2026, 5, 11),
                        client_id="ADV-WHITFIELD", report=report, approved=approved, hourly_rate=rate,
                        timekeeper_id="DEF-GT-001", timekeeper_name="Ana Lucía Pérez Xol")


def _rows(text: str) -> list[dict[str, str]]:
    lines = text.split("\r\n")
    assert lines[0] == "LEDES1998B[]"
    assert lines[1] == "|".join(FIELDS) + "[]"
    assert lines[-1] == ""  # CRLF after the last line too
    rows = []
    for line in lines[2:-1]:
        assert line.endswith("[]") and line.count("[]") == 1
        values = line.removesuffix("[]").split("|")
        assert len(values) == 24
        rows.append(dict(zip(FIELDS, values, strict=True)))
    return rows


def test_header_is_the_standard_24_fields_in_order() -> None:
    assert len(FIELDS) == 24
    assert FIELDS[:5] == ("INVOICE_DATE", "INVOICE_NUMBER", "CLIENT_ID", "LAW_FIRM_MATTER_ID", "INVOICE_TOTAL")
    assert FIELDS[9] == "EXP/FEE/INV_ADJ_TYPE" and FIELDS[-1] == "CLIENT_MATTER_ID"


def test_fee_expense_and_adjustment_lines_field_by_field() -> None:
    discount = Adjustment(description="Courtesy | discount", amount=Money(amount=-1000, currency="USD"))
    text = render(_invoice(_report(), rates=[GTQ_USD], adjustments=[discount]))
    rows = _rows(text)
    assert [r["EXP/FEE/INV_ADJ_TYPE"] for r in rows] == ["F", "F", "E", "E", "IF"]
    assert [r["LINE_ITEM_NUMBER"] for r in rows] == ["1", "2", "3", "4", "5"]
    for row in rows:  # invoice-level fields repeat on every line
        assert row["INVOICE_DATE"] == "20260511" and row["INVOICE_NUMBER"] == "JIM-0007"
        assert row["CLIENT_ID"] == "ADV-WHITFIELD" and row["LAW_FIRM_MATTER_ID"] == "JIM-2026-0042"
        assert row["BILLING_START_DATE"] == "20260503" and row["BILLING_END_DATE"] == "20260506"
        assert row["INVOICE_DESCRIPTION"] == "Case Facilitation JIM-2026-0042, final report 2"
        assert row["TIMEKEEPER_ID"] == "DEF-GT-001" and row["TIMEKEEPER_NAME"] == "Ana Lucia Perez Xol"
        assert row["TIMEKEEPER_CLASSIFICATION"] == "OT" and row["LAW_FIRM_ID"] == "JUSTICE-IN-MOTION"
        assert row["CLIENT_MATTER_ID"] == ""

    fee = rows[0]
    assert fee["LINE_ITEM_NUMBER_OF_UNITS"] == "3.5" and fee["LINE_ITEM_UNIT_COST"] == "35.00"
    assert fee["LINE_ITEM_TOTAL"] == "122.50" and fee["LINE_ITEM_ADJUSTMENT_AMOUNT"] == "0.00"
    assert fee["LINE_ITEM_DATE"] == "20260504"
    assert (fee["LINE_ITEM_TASK_CODE"], fee["LINE_ITEM_ACTIVITY_CODE"], fee["LINE_ITEM_EXPENSE_CODE"]) == (
        "L110", "A106", "")
    assert fee["LINE_ITEM_DESCRIPTION"] == "Llamada / con la clienta en Coban"  # no | [ ] newline, ASCII
    assert rows[1]["LINE_ITEM_NUMBER_OF_UNITS"] == "0.1" and rows[1]["LINE_ITEM_TOTAL"] == "3.50"

    gtq = rows[2]
    assert gtq["LINE_ITEM_EXPENSE_CODE"] == "E109" and gtq["LINE_ITEM_TASK_CODE"] == ""
    assert gtq["LINE_ITEM_ACTIVITY_CODE"] == "" and gtq["LINE_ITEM_NUMBER_OF_UNITS"] == "1"
    assert gtq["LINE_ITEM_TOTAL"] == "32.56" and gtq["LINE_ITEM_UNIT_COST"] == "32.56"  # 250.50 x 0.13, half-even
    assert gtq["LINE_ITEM_DESCRIPTION"] == "Bus a Coban (spent GTQ 250.50)" and gtq["LINE_ITEM_DATE"] == "20260505"
    assert rows[3]["LINE_ITEM_TOTAL"] == "40.00" and rows[3]["LINE_ITEM_DESCRIPTION"] == "Saldo telefonico"

    adj = rows[4]
    assert adj["LINE_ITEM_TOTAL"] == "-10.00" and adj["LINE_ITEM_ADJUSTMENT_AMOUNT"] == "-10.00"
    assert adj["LINE_ITEM_NUMBER_OF_UNITS"] == "0" and adj["LINE_ITEM_DATE"] == "20260510"
    assert adj["LINE_ITEM_DESCRIPTION"] == "Adjustment: Courtesy / discount"

    # totals add up, in integer cents, to the approved invoice total
    cents = [int(r["LINE_ITEM_TOTAL"].replace(".", "")) for r in rows]
    assert sum(cents) == 12250 + 350 + 3256 + 4000 - 1000
    assert {r["INVOICE_TOTAL"] for r in rows} == {"188.56"}
    assert text.isascii()


def test_converted_rate_rounding_goes_to_the_adjustment_so_each_line_balances() -> None:
    report = HourExpenseReport(kind=ReportKind.INTERIM, hours=[
        HourLine(date=date(2026, 5, 4), hours=Decimal("3.5"), task_code="L110", activity_code="A106",
                 description="Call")])
    usd_cad = ExchangeRate(source="USD", target="CAD", rate=Decimal("1.3712"))
    row = _rows(render(_invoice(report, rates=[usd_cad], currency="CAD")))[0]
    # 3.5 h x USD 35.00 = USD 122.50 -> CAD 167.972 -> 167.97; unit cost CAD 47.99 (35 x 1.3712 = 47.992)
    assert row["LINE_ITEM_TOTAL"] == "167.97" and row["LINE_ITEM_UNIT_COST"] == "47.99"
    units, unit_cost = Decimal(row["LINE_ITEM_NUMBER_OF_UNITS"]), Decimal(row["LINE_ITEM_UNIT_COST"])
    adjustment = Decimal(row["LINE_ITEM_ADJUSTMENT_AMOUNT"])
    assert (units * unit_cost).quantize(Decimal("0.01")) + adjustment == Decimal(row["LINE_ITEM_TOTAL"])
    assert row["INVOICE_TOTAL"] == "167.97" and "interim report 2" in row["INVOICE_DESCRIPTION"]


def test_a_report_that_does_not_match_its_pricing_is_refused() -> None:
    invoice = _invoice(_report(), rates=[GTQ_USD])
    shorter = _report().model_copy(update={"expenses": _report().expenses[:1]})
    with pytest.raises(ValueError, match="prices 4 lines"):
        render(invoice.model_copy(update={"report": shorter}))
    swapped = _report().model_copy(update={"hours": list(reversed(_report().hours))})
    with pytest.raises(ValueError, match="does not match"):
        render(invoice.model_copy(update={"report": swapped}))


def test_attachment_is_the_rendered_file_in_base64() -> None:
    invoice = _invoice(_report(), rates=[GTQ_USD])
    file = ledes.attachment(invoice)
    assert file.filename == "JIM-2026-0042-report-2.ledes.txt" and file.content_type == "text/plain"
    assert base64.b64decode(file.content_base64).decode("ascii") == render(invoice)
    assert ledes.attachment(invoice) == file  # deterministic: safe inside the workflow


def test_descriptions_are_neutral_unless_staff_opted_the_line_in() -> None:
    """Security M4: the Defender's typed text stays out of the file that travels by email, line by line."""
    discount = Adjustment(description="Courtesy | discount", amount=Money(amount=-1000, currency="USD"))
    text = render(_invoice(_report(), rates=[GTQ_USD], adjustments=[discount], line_text=("e2",)))
    rows = _rows(text)
    assert rows[0]["LINE_ITEM_DESCRIPTION"] == "Fact investigation / development / Communicate (with client)"
    assert rows[2]["LINE_ITEM_DESCRIPTION"] == "Local travel (spent GTQ 250.50)"
    assert rows[3]["LINE_ITEM_DESCRIPTION"] == "Saldo telefonico"  # the one line staff opted in
    assert rows[4]["LINE_ITEM_DESCRIPTION"] == "Adjustment"
    assert "Coban" not in text and "Llamada" not in text and "Courtesy" not in text
