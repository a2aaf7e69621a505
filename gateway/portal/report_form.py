"""The hour & expense report form: rows as typed, add/remove without JavaScript, totals, and the model.

The whole form is re-posted for every "add line" / "remove line N" button, so rows are kept exactly as
typed (strings) until the final submit parses them. Input names are the workflow's field paths
(``hours[0].date``, ``expenses[1].amount.currency``) so a validator message lands beside its input.
Blank rows are ignored: adding a line and leaving it empty is not an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import TypeVar

from pydantic import ValidationError
from starlette.datastructures import FormData

from casefac.money import EXPONENT, Money
from casefac.report import MAX_RECEIPTS_PER_LINE, ExpenseLine, HourExpenseReport, HourLine, ReportKind
from casefac.utbms import ACTIVITY_CODES, EXPENSE_CODES, TASK_CODES
from gateway.portal import receipts
from gateway.portal.catalog import translate
from gateway.portal.forms import FieldError, parse_amount, parse_day, parse_hours, text
from gateway.portal.updates import validation_errors

#: Currencies a Defender spends in (the region's, plus USD and CAD).
EXPENSE_CURRENCIES = ("MXN", "GTQ", "HNL", "NIO", "USD", "CAD")
DEFAULT_CURRENCY = {"MX": "MXN", "GT": "GTQ", "HN": "HNL", "NI": "NIO", "SV": "USD"}
MAX_ROWS = 50
T = TypeVar("T")


@dataclass
class HourRow:
    date: str = ""
    hours: str = ""
    task_code: str = ""
    activity_code: str = ""
    description: str = ""


@dataclass
class ExpenseRow:
    date: str = ""
    amount: str = ""
    currency: str = ""
    expense_code: str = ""
    description: str = ""
    #: Receipts already stored, each encoded as one hidden field (``gateway.portal.receipts.encode``).
    receipts: list[str] = field(default_factory=list)


_TYPED = ("date", "amount", "expense_code", "description")


def _blank(row: HourRow | ExpenseRow, defaults: dict[str, str]) -> bool:
    return all(not getattr(row, f.name) or getattr(row, f.name) == defaults.get(f.name) for f in fields(row)
               if f.name != "receipts")


@dataclass
class ReportForm:
    kind: str = ""
    note: str = ""
    hours: list[HourRow] = field(default_factory=list)
    expenses: list[ExpenseRow] = field(default_factory=list)
    currency: str = "USD"
    case_id: str = ""

    @classmethod
    def fresh(cls, country: str, case_id: str = "") -> ReportForm:
        return cls(hours=[HourRow()], currency=DEFAULT_CURRENCY.get(country, "USD"), case_id=case_id)

    @classmethod
    def from_report(cls, report: HourExpenseReport, country: str, case_id: str = "") -> ReportForm:
        """The report being corrected, as the Defender typed it (after "request changes", issue 12 item 4)."""
        form = cls(kind=report.kind.value, note=report.note, currency=DEFAULT_CURRENCY.get(country, "USD"),
                   case_id=case_id)
        form.hours = [HourRow(date=h.date.isoformat(), hours=str(h.hours), task_code=h.task_code,
                              activity_code=h.activity_code, description=h.description) for h in report.hours]
        form.expenses = [ExpenseRow(date=e.date.isoformat(), amount=_plain(e.amount), currency=e.amount.currency,
                                    expense_code=e.expense_code, description=e.description,
                                    receipts=[receipts.encode(r) for r in e.receipts]) for e in report.expenses]
        if not form.hours and not form.expenses:
            form.hours = [HourRow()]
        return form

    @classmethod
    def from_form(cls, form: FormData, country: str, case_id: str = "") -> ReportForm:
        report = cls(kind=text(form, "kind", 20), note=text(form, "note", 2000),
                     currency=DEFAULT_CURRENCY.get(country, "USD"), case_id=case_id)
        for i in range(MAX_ROWS):
            if f"hours[{i}].date" not in form:
                break
            report.hours.append(HourRow(**{f.name: text(form, f"hours[{i}].{f.name}", 500)
                                           for f in fields(HourRow)}))
        for i in range(MAX_ROWS):
            if f"expenses[{i}].date" not in form:
                break
            row = {name: text(form, f"expenses[{i}].{name}", 500) for name in _TYPED}
            kept = [v for v in form.getlist(f"expenses[{i}].receipts") if isinstance(v, str)][:MAX_RECEIPTS_PER_LINE]
            report.expenses.append(ExpenseRow(currency=text(form, f"expenses[{i}].amount.currency", 10),
                                              receipts=kept, **row))
        return report

    def apply(self, op: str) -> bool:
        """Apply an add/remove/recalc button (``add_hour``, ``remove_expense_2``…); False if ``op`` is not one.

        ``recalc`` is the form's first (off-screen) button, so Enter in a text field recomputes the totals
        instead of pressing "remove line 1".
        """
        if op == "add_hour":
            if len(self.hours) < MAX_ROWS:
                self.hours.append(HourRow())
        elif op == "add_expense":
            if len(self.expenses) < MAX_ROWS:
                self.expenses.append(ExpenseRow(currency=self.currency))
        elif op.startswith(("remove_hour_", "remove_expense_")):
            rows: list[HourRow] | list[ExpenseRow] = self.hours if op.startswith("remove_hour_") else self.expenses
            index = op.rpartition("_")[2]
            if index.isdigit() and int(index) < len(rows):
                del rows[int(index)]
        elif op != "recalc":
            return False
        return True

    def totals(self) -> tuple[Decimal, dict[str, int]]:
        """Running totals of what parses so far: hours, and expenses per currency (minor units)."""
        hours = Decimal(0)
        for h in self.hours:
            with contextlib.suppress(FieldError):
                hours += parse_hours(h.hours)
        money: dict[str, int] = {}
        for e in self.expenses:
            if e.currency in EXPENSE_CURRENCIES:
                with contextlib.suppress(FieldError):
                    money[e.currency] = money.get(e.currency, 0) + parse_amount(e.amount, e.currency)
        return hours, dict(sorted(money.items()))

    def build(self, lang: str) -> tuple[HourExpenseReport | None, dict[str, str]]:
        """The report to submit, or the errors keyed by field path (values kept by the caller)."""
        errors: dict[str, str] = {}
        read = _Reader(errors, lang)
        kind = read("kind", lambda: _code(self.kind, ("interim", "final")))
        hour_lines = [line for i, h in enumerate(self.hours) if not _blank(h, {})
                      and (line := _hour_line(read, f"hours[{i}]", h, lang)) is not None]
        expense_lines = [line for i, e in enumerate(self.expenses) if not _blank(e, {"currency": self.currency})
                         and (line := _expense_line(read, f"expenses[{i}]", e, lang, self.case_id)) is not None]
        if not errors and not hour_lines and not expense_lines:
            errors["report"] = translate(lang, "error.report_empty")
        if errors or kind is None:
            return None, errors
        try:
            report = HourExpenseReport(kind=ReportKind(kind), hours=hour_lines, expenses=expense_lines,
                                       note=self.note)
        except ValidationError as exc:
            return None, validation_errors(exc)
        return report, {}


class _Reader:
    """Collects one error per field path while reading; a failed read returns ``None``."""

    def __init__(self, errors: dict[str, str], lang: str) -> None:
        self.errors = errors
        self.lang = lang

    def __call__(self, path: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except FieldError as exc:
            self.errors[path] = translate(self.lang, exc.key, **exc.values)
            return None


def _hour_line(read: _Reader, p: str, h: HourRow, lang: str) -> HourLine | None:
    day = read(f"{p}.date", lambda: parse_day(h.date, lang))
    hours = read(f"{p}.hours", lambda: parse_hours(h.hours))
    task = read(f"{p}.task_code", lambda: _code(h.task_code, TASK_CODES))
    activity = read(f"{p}.activity_code", lambda: _code(h.activity_code, ACTIVITY_CODES))
    desc = read(f"{p}.description", lambda: _required(h.description))
    if day is None or hours is None or task is None or activity is None or desc is None:
        return None
    return HourLine(date=day, hours=hours, task_code=task, activity_code=activity, description=desc)


def _expense_line(read: _Reader, p: str, e: ExpenseRow, lang: str, case_id: str = "") -> ExpenseLine | None:
    day = read(f"{p}.date", lambda: parse_day(e.date, lang))
    currency = read(f"{p}.amount.currency", lambda: _code(e.currency, EXPENSE_CURRENCIES))
    amount = read(f"{p}.amount", lambda: parse_amount(e.amount, e.currency or "USD"))
    code = read(f"{p}.expense_code", lambda: _code(e.expense_code, EXPENSE_CODES))
    desc = read(f"{p}.description", lambda: _required(e.description))
    if day is None or currency is None or amount is None or code is None or desc is None:
        return None
    refs = [ref for raw in e.receipts if (ref := receipts.decode(raw, case_id)) is not None]
    return ExpenseLine(date=day, amount=Money(amount=amount, currency=currency),  # type: ignore[arg-type]
                       expense_code=code, description=desc, receipts=refs)


def _plain(amount: Money) -> str:
    """Minor units back to the digits a person types (``25050`` GTQ → ``250.50``)."""
    exponent = EXPONENT.get(amount.currency, 2)
    return f"{Decimal(amount.amount).scaleb(-exponent):.{exponent}f}"


def _code(value: str, allowed: Iterable[str]) -> str:
    if not value or value not in allowed:
        raise FieldError("error.choose")
    return value


def _required(value: str) -> str:
    if not value.strip():
        raise FieldError("error.required")
    return value.strip()
