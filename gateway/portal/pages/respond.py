"""The Defender accepts or declines the case offered to them (a decline needs a reason)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.messages import Receipt, RespondToAssignment, Update
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import text
from gateway.portal.pages.common import invalid, place, receipt, render
from gateway.portal.updates import send_update

TEMPLATE = "respond.html"
FIELDS = ("reason",)


def _context(visit: Visit, reason: str = "") -> dict[str, object]:
    status = visit.status
    # services/deadline are shown when the status query carries them (see the portal's report to the lead).
    return {"status": status, "reason": reason, "services": getattr(status, "services", None) or [],
            "deadline": getattr(status, "deadline", None),
            "labels": {"reason": ("reason", translate(visit.lang, "respond.reason"))}}


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, **_context(visit))


async def post(visit: Visit, form: FormData) -> Response:
    accept = text(form, "op", 20) == "accept"
    reason = text(form, "reason", 2000)
    result = await send_update(visit, Update.RESPOND_TO_ASSIGNMENT,
                               RespondToAssignment(actor=visit.actor, accept=accept, reason=reason))
    if not isinstance(result, Receipt):
        return invalid(visit, TEMPLATE, place(result, FIELDS), **_context(visit, reason))
    if accept:
        return receipt(visit, "receipt.accepted", result)
    return receipt(visit, "receipt.declined", result, next_key="next.declined")
