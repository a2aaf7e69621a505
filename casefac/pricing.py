"""Turning an approved report into invoice lines and a payout: pure arithmetic, shared by workflow and UI.

Expenses are recorded in the currency spent and converted with the rates staff approved; hours are
billed at the contract's hourly rate. Rounding is half-even per line, so lines add up to the total.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict

from casefac.money import ExchangeRate, Money, total
from casefac.report import Adjustment, HourExpenseReport
from casefac.utbms import label


class PricedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    amount: Money
    code: str
    source: Money | None = None  # the expense as spent, before conversion


class PricedReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    invoice_lines: list[PricedLine]
    invoice_total: Money
    payout_total: Money


def rate_for(rates: list[ExchangeRate], source: str, target: str) -> ExchangeRate | None:
    if source == target:
        return ExchangeRate(source=source, target=target, rate=Decimal(1))  # type: ignore[arg-type]
    return next((r for r in rates if r.source == source and r.target == target), None)


def missing_rates(report: HourExpenseReport, rates: list[ExchangeRate], hourly: Money, invoice: str,
                  payout: str) -> list[str]:
    """Every ``SRC->DST`` conversion the pricing needs and the rates do not give."""
    needed = {(c, invoice) for c in report.expense_currencies()} | {(c, payout) for c in
                                                                     report.expense_currencies()}
    if report.hours:
        needed |= {(hourly.currency, invoice), (hourly.currency, payout)}
    return sorted(f"{s}->{t}" for s, t in needed if rate_for(rates, s, t) is None)


def price_report(report: HourExpenseReport, rates: list[ExchangeRate], adjustments: list[Adjustment],
                 hourly: Money, invoice_currency: str, payout_currency: str) -> PricedReport:
    """Invoice lines (hours per line, converted expenses, adjustments) and the Defender's payout."""
    lines: list[PricedLine] = []
    payout: list[Money] = []
    for h in report.hours:
        cost = Money(amount=int((Decimal(hourly.amount) * h.hours).quantize(Decimal(1), ROUND_HALF_EVEN)),
                     currency=hourly.currency)
        lines.append(PricedLine(description=f"{h.date.isoformat()} {h.hours}h {label(h.task_code)} / "
                                f"{label(h.activity_code)}: {h.description}",
                                amount=_convert(rates, cost, invoice_currency), code=h.task_code))
        payout.append(_convert(rates, cost, payout_currency))
    for e in report.expenses:
        lines.append(PricedLine(description=f"{e.date.isoformat()} {label(e.expense_code)}: {e.description}",
                                amount=_convert(rates, e.amount, invoice_currency), code=e.expense_code,
                                source=e.amount))
        payout.append(_convert(rates, e.amount, payout_currency))
    for a in adjustments:
        lines.append(PricedLine(description=f"Adjustment: {a.description}", amount=a.amount, code="ADJ"))
    return PricedReport(invoice_lines=lines, invoice_total=total([ln.amount for ln in lines], invoice_currency),
                        payout_total=total(payout, payout_currency))


def _convert(rates: list[ExchangeRate], money: Money, target: str) -> Money:
    rate = rate_for(rates, money.currency, target)
    if rate is None:
        raise ValueError(f"no exchange rate {money.currency}->{target}")
    return rate.convert(money)
