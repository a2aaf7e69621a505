"""What every action page shares: rendering with the visit's context, receipts, and placing errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from casefac.messages import Receipt
from gateway.portal.access import Visit
from gateway.portal.render import page
from gateway.portal.updates import Rejected

#: Key of errors that belong to no single field; shown at the top of the form.
FORM = "_form"


def render(visit: Visit, template: str, *, status_code: int = 200, **context: Any) -> Response:
    values = {**visit.common(), "errors": {}, **context}
    return page(template, visit.lang, status_code=status_code, **values)


def invalid(visit: Visit, template: str, errors: dict[str, str], **context: Any) -> Response:
    """The form again with the entered values and the errors beside their fields (400: not accepted).

    Focus goes to the first error without JavaScript: its field gets ``autofocus`` when it is one the
    summary links to (``labels``), else the error summary itself does.
    """
    focus = next(iter(errors), None)
    labels = context.get("labels", {})
    if "focus" not in context:
        context["focus"] = focus if focus in labels else "error-summary"
    return render(visit, template, status_code=400, errors=errors, **context)


def place(rejected: Rejected, fields: Iterable[str]) -> dict[str, str]:
    """The validator's message beside the field it names, or at the top when no input has that name."""
    if rejected.field and rejected.field in set(fields):
        return {rejected.field: rejected.message}
    return {FORM: rejected.message}


def receipt(visit: Visit, message_key: str, got: Receipt, *, again: bool = False, next_key: str | None = None,
            **values: Any) -> Response:
    """The page after an accepted update: what was recorded, what happens next, and (for repeatable
    actions) a link back to the page."""
    return render(visit, "receipt.html", message_key=message_key, values={"number": got.number, **values},
                  next_key=next_key or f"next.{visit.action.action}", again=again)
