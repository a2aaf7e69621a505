"""Task updates: one small form per task (status + note), repeatable while the assignment runs."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.messages import Receipt, Update, UpdateTask
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import text
from gateway.portal.pages.common import FORM, invalid, receipt, render
from gateway.portal.updates import send_update

TEMPLATE = "tasks.html"
STATUSES = ("open", "in_progress", "done", "blocked")


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, tasks=visit.status.tasks, statuses=STATUSES, entered={})


async def post(visit: Visit, form: FormData) -> Response:
    task_id, status, note = text(form, "task_id", 10), text(form, "status", 20), text(form, "note", 2000)
    ctx = {"tasks": visit.status.tasks, "statuses": STATUSES,
           "entered": {"task_id": task_id, "status": status, "note": note},
           "labels": {"status": (f"status-{task_id}", translate(visit.lang, "tasks.status")),
                      "note": (f"note-{task_id}", translate(visit.lang, "tasks.note"))}}
    if status not in STATUSES:
        return invalid(visit, TEMPLATE, {"status": translate(visit.lang, "error.choose")}, **ctx)
    try:
        message = UpdateTask(actor=visit.actor, task_id=task_id, status=status, note=note)  # type: ignore[arg-type]
    except ValidationError:
        return invalid(visit, TEMPLATE, {FORM: translate(visit.lang, "error.task")}, **ctx)
    result = await send_update(visit, Update.UPDATE_TASK, message)
    if not isinstance(result, Receipt):
        # Errors show in the form of the task that was posted; every task form has the same fields.
        field = result.field if result.field in ("status", "note") else FORM
        return invalid(visit, TEMPLATE, {field: result.message}, **ctx)
    return receipt(visit, "receipt.task", result, again=True, task=task_id,
                   status_label=translate(visit.lang, f"task_status.{status}"))
