"""The signed contract's caps and the case's budget cap, against what staff approved so far (review C2, issue 12.3).

Pure arithmetic, shared by the workflow (the validator of ``review_report``, the flag when a report
arrives), the ``status`` query (finance and the Defender's report form read ``CaseStatus.caps``) and the
CLI's preview. Caps are cumulative over *approved* reports:

- ``hours_cap``: hours (``ContractTerms.hours_cap``);
- ``expense_cap``: expenses, converted into the cap's currency with the rates staff approved for each
  report (an expense in a currency no approved rate converts is "unknown", never guessed);
- ``budget_cap``: what the Advocate is invoiced (``CaseRequest.budget_cap``, the invoice totals).

A report over a cap is accepted and flagged; approving it needs the staff's override reason, which is
recorded and shown to finance.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from casefac.money import ExchangeRate, Money
from casefac.pricing import PricedReport, hours_cost, rate_for
from casefac.report import HourExpenseReport


class _Approved(Protocol):
    number: int
    priced: PricedReport
    exchange_rates: list[ExchangeRate]


class CapsView(BaseModel):
    """Each cap, what approved reports used of it, and what is left of the budget (None: no such cap)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    hours_cap: Decimal | None = None
    hours_used: Decimal | None = None
    expense_cap: Money | None = None
    #: None with an expense cap: some expense could not be converted into the cap's currency.
    expense_used: Money | None = None
    budget_cap: Money | None = None
    budget_used: Money | None = None
    budget_remaining: Money | None = None
    #: One line per cap the approved reports exceed ("hours 42 of 40").
    over: list[str] = []
    #: Staff's recorded reasons for approving over a cap ("report 2: the court added a hearing").
    overrides: list[str] = []

    @property
    def any(self) -> bool:
        return self.hours_cap is not None or self.expense_cap is not None or self.budget_cap is not None


def _convert(money: Money, target: str, rates: Sequence[ExchangeRate]) -> Money | None:
    rate = rate_for(list(rates), money.currency, target)
    return None if rate is None else rate.convert(money)


def _expenses(report: HourExpenseReport, target: str, rates: Sequence[ExchangeRate]) -> Money | None:
    """The report's expenses in ``target`` (None: one of them has no rate into it)."""
    result = Money.zero(target)
    for e in report.expenses:
        converted = _convert(e.amount, target, rates)
        if converted is None:
            return None
        result = result + converted
    return result


def caps_view(*, hours_cap: int | None, expense_cap: Money | None, budget_cap: Money | None,
              approved: Sequence[tuple[HourExpenseReport, _Approved]],
              overrides: Sequence[str] = ()) -> CapsView:
    """The caps view after ``approved`` (each the submitted report with its approval, in order)."""
    hours_used = sum((r.total_hours() for r, _ in approved), Decimal(0)) if hours_cap is not None else None
    expense_used: Money | None = None
    if expense_cap is not None:
        expense_used = Money.zero(expense_cap.currency)
        for report, a in approved:
            part = _expenses(report, expense_cap.currency, a.exchange_rates)
            if part is None:
                expense_used = None
                break
            expense_used = expense_used + part
    budget_used = remaining = None
    if budget_cap is not None:
        budget_used = Money.zero(budget_cap.currency)
        for _, a in approved:
            inv = a.priced.invoice_total
            part = inv if inv.currency == budget_cap.currency else None
            if part is None:
                budget_used = None
                break
            budget_used = budget_used + part
        remaining = None if budget_used is None else Money(amount=budget_cap.amount - budget_used.amount,
                                                           currency=budget_cap.currency)
    view = CapsView(hours_cap=Decimal(hours_cap) if hours_cap is not None else None, hours_used=hours_used,
                    expense_cap=expense_cap, expense_used=expense_used, budget_cap=budget_cap,
                    budget_used=budget_used, budget_remaining=remaining, overrides=list(overrides))
    return view.model_copy(update={"over": breaches(view)})


def breaches(view: CapsView) -> list[str]:
    """Every cap the view exceeds, in words staff and finance read."""
    out: list[str] = []
    if view.hours_cap is not None and view.hours_used is not None and view.hours_used > view.hours_cap:
        out.append(f"hours cap: {view.hours_used} h of {view.hours_cap} h")
    if view.expense_cap is not None and view.expense_used is not None and \
            view.expense_used.amount > view.expense_cap.amount:
        out.append(f"expense cap: {view.expense_used.format()} of {view.expense_cap.format()}")
    if view.budget_cap is not None and view.budget_used is not None and \
            view.budget_used.amount > view.budget_cap.amount:
        out.append(f"budget cap: {view.budget_used.format()} of {view.budget_cap.format()}")
    return out


def prospective_breaches(view: CapsView, report: HourExpenseReport, *, hourly: Money,
                         rates: Sequence[ExchangeRate] = (), invoice_total: Money | None = None) -> list[str]:
    """The caps ``report`` would exceed on top of ``view`` (what can be told before staff give rates).

    Without ``invoice_total`` (at submission) the budget is estimated from the hours at the contract rate
    plus the expenses, where both are in the budget's currency; an amount that needs a rate nobody gave yet
    is left out rather than guessed.
    """
    out: list[str] = []
    if view.hours_cap is not None and view.hours_used is not None:
        hours = view.hours_used + report.total_hours()
        if hours > view.hours_cap:
            out.append(f"hours cap: {hours} h of {view.hours_cap} h")
    if view.expense_cap is not None and view.expense_used is not None:
        part = _expenses(report, view.expense_cap.currency, rates)
        if part is not None and view.expense_used.amount + part.amount > view.expense_cap.amount:
            out.append(f"expense cap: {(view.expense_used + part).format()} of {view.expense_cap.format()}")
    if view.budget_cap is not None and view.budget_used is not None:
        cur = view.budget_cap.currency
        if invoice_total is not None:
            extra: Money | None = invoice_total if invoice_total.currency == cur else None
        else:
            extra = Money.zero(cur)
            if report.hours:
                cost = hours_cost(report, hourly)
                extra = extra + cost if cost.currency == cur else extra
            extra = extra + Money(amount=sum(e.amount.amount for e in report.expenses
                                             if e.amount.currency == cur), currency=cur)  # type: ignore[arg-type]
        if extra is not None and view.budget_used.amount + extra.amount > view.budget_cap.amount:
            out.append(f"budget cap: {(view.budget_used + extra).format()} of {view.budget_cap.format()}")
    return out
