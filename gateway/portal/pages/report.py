"""The hour & expense report: lines added and removed by re-posting, checked, then ``submit_report``."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.messages import Receipt, SubmitReport, Update
from casefac.utbms import ACTIVITY_CODES, EXPENSE_CODES, TASK_CODES
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import text
from gateway.portal.pages.common import invalid, place, receipt, render
from gateway.portal.report_form import EXPENSE_CURRENCIES, ReportForm
from gateway.portal.updates import send_update

TEMPLATE = "report.html"


def _context(visit: Visit, form: ReportForm) -> dict[str, Any]:
    hours, money = form.totals()
    index = 0 if visit.lang == "en" else 1
    changes = [r for r in visit.status.reports if r.status == "changes_requested"]
    return {"form": form, "total_hours": hours, "totals": money, "currencies": EXPENSE_CURRENCIES,
            "tasks": [(code, labels[index]) for code, labels in TASK_CODES.items()],
            "activities": [(code, labels[index]) for code, labels in ACTIVITY_CODES.items()],
            "expense_codes": [(code, labels[index]) for code, labels in EXPENSE_CODES.items()],
            "change_reasons": changes[-1].change_reasons if changes else [],
            "has_reports": bool(visit.status.reports)}


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
        return render(visit, TEMPLATE, **_context(visit, entered))
    report, errors = entered.build(visit.lang)
    if report is None:
        return invalid(visit, TEMPLATE, errors, **_context(visit, entered))
    result = await send_update(visit, Update.SUBMIT_REPORT, SubmitReport(actor=visit.actor, report=report))
    if not isinstance(result, Receipt):
        return invalid(visit, TEMPLATE, place(result, _fields(entered)), **_context(visit, entered))
    return receipt(visit, "receipt.report", result, kind_label=translate(visit.lang, f"kind.{report.kind.value}"))
