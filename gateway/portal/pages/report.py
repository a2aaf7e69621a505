"""The hour & expense report: lines added and removed by re-posting, checked, then ``submit_report``."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from casefac.documents import document_store
from casefac.messages import Receipt, SubmitReport, Update
from casefac.report import MAX_RECEIPTS_PER_LINE
from gateway.portal import receipts, utbms_text
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import text
from gateway.portal.pages.common import invalid, place, receipt, render
from gateway.portal.report_form import EXPENSE_CURRENCIES, ReportForm
from gateway.portal.updates import send_update

TEMPLATE = "report.html"


def _context(visit: Visit, form: ReportForm, refused: list[str] | None = None) -> dict[str, Any]:
    hours, money = form.totals()
    changes = [r for r in visit.status.reports if r.status == "changes_requested"]
    return {"form": form, "total_hours": hours, "totals": money, "currencies": EXPENSE_CURRENCIES,
            "caps": _caps(visit), "prefilled": visit.status.report_to_correct is not None,
            "refused_receipts": refused or [], "kept_names": _kept_names(form, visit.status.case_id),
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


def _caps(visit: Visit) -> list[str]:
    """What is left of the contract's caps and the case's budget, as lines for the Defender (W2's ``caps``)."""
    caps = getattr(visit.status, "caps", None)
    if caps is None:
        return []
    lines = []
    if caps.budget_remaining is not None:
        lines.append(translate(visit.lang, "report.budget_remaining", amount=caps.budget_remaining.format()))
    if caps.hours_cap is not None:
        lines.append(translate(visit.lang, "report.hours_left", used=str(caps.hours_used or 0),
                               cap=str(caps.hours_cap)))
    if caps.expense_cap is not None and caps.expense_used is not None:
        lines.append(translate(visit.lang, "report.expenses_left", used=caps.expense_used.format(),
                               cap=caps.expense_cap.format()))
    return lines


def _kept_names(form: ReportForm, case_id: str) -> dict[int, list[tuple[str, str]]]:
    """Per expense line, the receipts already attached: (hidden value, file name)."""
    out: dict[int, list[tuple[str, str]]] = {}
    for i, row in enumerate(form.expenses):
        out[i] = [(raw, ref.name) for raw in row.receipts if (ref := receipts.decode(raw, case_id)) is not None]
    return out


async def read_uploads(form: FormData) -> dict[int, list[tuple[str, bytes]]]:
    """The files posted per expense line (``expenses[N].receipt``): the router read the body within its limits."""
    files: dict[int, list[tuple[str, bytes]]] = {}
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile) or not name.startswith("expenses[") or not name.endswith("].receipt"):
            continue
        index = name[len("expenses["):-len("].receipt")]
        if index.isdigit():
            files.setdefault(int(index), []).append((value.filename or "receipt", await value.read()))
    return files


async def _attach(visit: Visit, entered: ReportForm, form: FormData) -> list[str]:
    """Store this post's files (encrypted, ``casefac.documents``) and add their references to their lines."""
    uploads = await read_uploads(form)
    if not uploads:
        return []
    store = document_store(visit.gw.settings)
    refused: list[str] = []
    for index, files in sorted(uploads.items()):
        if index >= len(entered.expenses):
            continue
        row = entered.expenses[index]
        already = sum(len(e.receipts) for e in entered.expenses)
        refs, said_no = receipts.take_uploads(store, visit.status.case_id, files, already)
        room = MAX_RECEIPTS_PER_LINE - len(row.receipts)
        row.receipts.extend(receipts.encode(r) for r in refs[:max(room, 0)])
        refused += [translate(visit.lang, r.key, name=r.name) for r in said_no]
        refused += [translate(visit.lang, "error.receipt_count", name=r.name) for r in refs[max(room, 0):]]
    return refused


async def show(visit: Visit) -> Response:
    correcting = visit.status.report_to_correct
    form = (ReportForm.from_report(correcting, visit.status.country, visit.status.case_id) if correcting is not None
            else ReportForm.fresh(visit.status.country, visit.status.case_id))
    return render(visit, TEMPLATE, **_context(visit, form))


async def post(visit: Visit, form: FormData) -> Response:
    entered = ReportForm.from_form(form, visit.status.country, visit.status.case_id)
    refused = await _attach(visit, entered, form)
    op = text(form, "op", 40)
    if entered.apply(op):
        return render(visit, TEMPLATE, focus=_added(op, entered), **_context(visit, entered, refused))
    if refused:  # the Defender sees which file was refused, and why, before anything is sent
        return render(visit, TEMPLATE, **_context(visit, entered, refused))
    report, errors = entered.build(visit.lang)
    if report is None:
        return invalid(visit, TEMPLATE, errors, **_context(visit, entered))
    result = await send_update(visit, Update.SUBMIT_REPORT, SubmitReport(actor=visit.actor, report=report))
    if not isinstance(result, Receipt):
        return invalid(visit, TEMPLATE, place(result, _fields(entered)), **_context(visit, entered))
    return receipt(visit, "receipt.report", result, kind_label=translate(visit.lang, f"kind.{report.kind.value}"))
