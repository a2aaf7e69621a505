"""Turning an approved report into invoice lines and a payout: pure arithmetic, shared by workflow and UI.

Expenses are recorded in the currency spent and converted with the rates staff approved; hours are
billed at the contract's hourly rate. Rounding (``casefac.money.MONEY_CONTEXT``, half-even, i.e. a
half cent goes to the even cent) happens once per line and step: an hour line is rounded to the minor
unit in the contract's currency, then converted and rounded again; an expense is converted and rounded
once; the total is the sum of the rounded lines, so the lines always add up to it. The payout is priced
the same way in the Defender's currency, independently of the invoice (and without its adjustments).

Descriptions are neutral by default (date, hours, UTBMS codes and labels): what the Defender typed stays
in the case's encrypted history and reaches Stripe or the LEDES file only for the lines staff opt in
(``ReviewReport.line_text``; security review M4).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict

from casefac.money import MONEY_CONTEXT, ExchangeRate, Money, total
from casefac.report import Adjustment, HourExpenseReport
from casefac.utbms import label


class PricedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    description: str
    amount: Money
    code: str
    source: Money | None = None  # the expense as spent, before conversion
    #: The line's key in the report: ``h1`` (first hour line), ``e2`` (second expense), ``a1`` (adjustment).
    key: str = ""


class PricedReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

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


def hours_cost(report: HourExpenseReport, hourly: Money) -> Money:
    """The report's hours at the contract rate, per line rounded, in the rate's currency."""
    return total([_line_cost(h.hours, hourly) for h in report.hours], hourly.currency)


def _line_cost(hours: Decimal, hourly: Money) -> Money:
    ctx = MONEY_CONTEXT
    value = ctx.multiply(Decimal(hourly.amount), hours).quantize(Decimal(1), ROUND_HALF_EVEN, context=ctx)
    return Money(amount=int(value), currency=hourly.currency)


def price_report(report: HourExpenseReport, rates: list[ExchangeRate], adjustments: list[Adjustment],
                 hourly: Money, invoice_currency: str, payout_currency: str, *,
                 with_text: Collection[str] | None = None) -> PricedReport:
    """Invoice lines (hours per line, converted expenses, adjustments) and the Defender's payout.

    ``with_text``: the keys of lines whose typed text goes on the invoice (``h1``, ``e2``, ``a1``); None
    keeps every typed text (cases approved before neutral descriptions, replayed as they ran).
    """
    def text(key: str, typed: str) -> str:
        return f": {typed}" if with_text is None or key in with_text else ""

    lines: list[PricedLine] = []
    payout: list[Money] = []
    for i, h in enumerate(report.hours, start=1):
        cost = _line_cost(h.hours, hourly)
        task = f"{h.task_code} {label(h.task_code)}" if with_text is not None else label(h.task_code)
        act = f"{h.activity_code} {label(h.activity_code)}" if with_text is not None else label(h.activity_code)
        lines.append(PricedLine(description=f"{h.date.isoformat()} {h.hours}h {task} / {act}"
                                f"{text(f'h{i}', h.description)}",
                                amount=_convert(rates, cost, invoice_currency), code=h.task_code, key=f"h{i}"))
        payout.append(_convert(rates, cost, payout_currency))
    for i, e in enumerate(report.expenses, start=1):
        code = f"{e.expense_code} {label(e.expense_code)}" if with_text is not None else label(e.expense_code)
        lines.append(PricedLine(description=f"{e.date.isoformat()} {code}{text(f'e{i}', e.description)}",
                                amount=_convert(rates, e.amount, invoice_currency), code=e.expense_code,
                                source=e.amount, key=f"e{i}"))
        payout.append(_convert(rates, e.amount, payout_currency))
    for i, a in enumerate(adjustments, start=1):
        lines.append(PricedLine(description=f"Adjustment{text(f'a{i}', a.description)}", amount=a.amount,
                                code="ADJ", key=f"a{i}"))
    return PricedReport(invoice_lines=lines, invoice_total=total([ln.amount for ln in lines], invoice_currency),
                        payout_total=total(payout, payout_currency))


def _convert(rates: list[ExchangeRate], money: Money, target: str) -> Money:
    rate = rate_for(rates, money.currency, target)
    if rate is None:
        raise ValueError(f"no exchange rate {money.currency}->{target}")
    return rate.convert(money)
