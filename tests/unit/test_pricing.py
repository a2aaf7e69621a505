"""An approved report priced into invoice lines and a payout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from casefac.money import ExchangeRate, Money
from casefac.pricing import missing_rates, price_report
from casefac.report import Adjustment, ExpenseLine, HourExpenseReport, HourLine, ReportKind

RATE = Money(amount=3500, currency="USD")


def _report() -> HourExpenseReport:
    return HourExpenseReport(
        kind=ReportKind.FINAL,
        hours=[HourLine(date=date(2026, 3, 2), hours=Decimal("1.5"), task_code="L110", activity_code="A106",
                        description="Call"),
               HourLine(date=date(2026, 3, 3), hours=Decimal("0.3"), task_code="L140", activity_code="A110",
                        description="Scan")],
        expenses=[ExpenseLine(date=date(2026, 3, 2), amount=Money(amount=33333, currency="MXN"),
                              expense_code="E109", description="Taxi")])


def test_missing_rates_names_each_conversion() -> None:
    assert missing_rates(_report(), [], RATE, "CAD", "USD") == ["MXN->CAD", "MXN->USD", "USD->CAD"]
    assert missing_rates(_report(), [], RATE, "USD", "USD") == ["MXN->USD"]


def test_lines_add_up_and_payout_excludes_adjustments() -> None:
    rates = [ExchangeRate(source="MXN", target="USD", rate=Decimal("0.055"))]
    priced = price_report(_report(), rates, [Adjustment(description="Courtesy", amount=Money(amount=-500,
                                                                                         currency="USD"))],
                          RATE, "USD", "USD")
    amounts = [ln.amount.amount for ln in priced.invoice_lines]
    assert amounts == [5250, 1050, 1833, -500]  # 333.33 MXN * 0.055 = 18.333 -> 18.33
    assert priced.invoice_total.amount == sum(amounts) == 7633
    assert priced.payout_total.amount == 5250 + 1050 + 1833
    assert priced.invoice_lines[2].source == Money(amount=33333, currency="MXN")
    assert "Local travel" in priced.invoice_lines[2].description
