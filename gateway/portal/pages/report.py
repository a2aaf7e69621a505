"""The hour & expense report: lines added and removed by re-posting, checked, then ``submit_report``."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.messages import Receipt, SubmitReport, Update
from gateway.portal import utbms_text
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import text
from gateway.portal.pages.common import invalid, place, receipt, render
from gateway.portal.report_form import EXPENSE_CURRENCIES, ReportForm
from gateway.portal.updates import send_update

TEMPLATE = "report.html"


def _context(visit: Visit, form: ReportForm) -> dict[str, Any]:
    hours, money = form.totals()
    changes = [r for r in visit.status.reports if r.status == "changes_requested"]
    return {"form": form, "total_hours": hours, "totals": money, "currencies": EXPENSE_CURRENCIES,
            "tasks": utbms_text.options(utbms_text.TASKS, visit.lang),
            "activities": utbms_text.options(utbms_text.ACTIVITIES, visit.lang),
            "expense_codes": utbms_text.options(utbms_text.EXPENSES, visit.lang),
            "change_reasons": changes[-1].change_reasons if changes else [],
            "has_reports": bool(visit.status.reports), "labels": _labels(visit.lang, form)}


_HOUR_FIELDS = {"date": "report.date", "hours": "report.hours_field", "task_code": "report.task",
                "activity_code": "report.activity", "description": "report.description"}
_EXPENSE_FIELDS = {"date": "report.date", "amount": "report.amount", "amount.currency": "report.currency",
                   "expense_code": "report.category", "description": "report.expense_note"}


def _labels(lang: str, form: ReportForm) -> dict[str, tuple[str, str]]:
    """Every input's id and label ("Hours, line 1 · Date"), for the error summary's links."""
    out: dict[str, tuple[str, str]] = {"kind": ("kind-interim", translate(lang, "report.kind")),
                                       "note": ("note", translate(lang, "report.note"))}
    for i in range(len(form.hours)):
        line = translate(lang, "report.hour_line", n=i + 1)
        for name, key in _HOUR_FIELDS.items():
            out[f"hours[{i}].{name}"] = (f"hours[{i}].{name}", f"{line} · {translate(lang, key)}")
    for i in range(len(form.expenses)):
        line = translate(lang, "report.expense_line", n=i + 1)
        for name, key in _EXPENSE_FIELDS.items():
            out[f"expenses[{i}].{name}"] = (f"expenses[{i}].{name}", f"{line} · {translate(lang, key)}")
    return out


def _added(op: str, form: ReportForm) -> str | None:
    """After "add a line", the new line's first field takes the focus (``autofocus``, no JavaScript)."""
    if op == "add_hour" and form.hours:
        return f"hours[{len(form.hours) - 1}].date"
    if op == "add_expense" and form.expenses:
        return f"expenses[{len(form.expenses) - 1}].date"
    return None


def _fields(form: ReportForm) -> list[str]:
    """Every input name on the page, so a validator message naming one is shown beside it."""
    names = ["kind", "note", "report", "hours", "expenses"]
    for i in range(len(form.hours)):
        names += [f"hours[{i}].{f}" for f in ("date", "hours", "task_code", "activity_code", "description")]
    for i in range(len(form.expenses)):
        names += [f"expenses[{i}].{f}" for f in ("date", "amount", "amount.currency", "expense_code",
                                                 "description")]
    return names


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, **_context(visit, ReportForm.fresh(visit.status.country)))


async def post(visit: Visit, form: FormData) -> Response:
    entered = ReportForm.from_form(form, visit.status.country)
    op = text(form, "op", 40)
    if entered.apply(op):
        return render(visit, TEMPLATE, focus=_added(op, entered), **_context(visit, entered))
    report, errors = entered.build(visit.lang)
    if report is None:
        return invalid(visit, TEMPLATE, errors, **_context(visit, entered))
    result = await send_update(visit, Update.SUBMIT_REPORT, SubmitReport(actor=visit.actor, report=report))
    if not isinstance(result, Receipt):
        return invalid(visit, TEMPLATE, place(result, _fields(entered)), **_context(visit, entered))
    return receipt(visit, "receipt.report", result, kind_label=translate(visit.lang, f"kind.{report.kind.value}"))
