"""Contract review: the current revision's terms, what changed since the previous one, edit and approve.

Both parties edit (scope, task descriptions, special terms) with ``EditContract(base_revision=shown)``,
so an edit made on a stale page is refused by the workflow rather than silently overwriting someone
else's. The Advocate "completes" the contract by saving it; only the Defender (and staff, by CLI)
approves, and an edit clears approvals (``workflows/rules.py``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.contract import ContractRevision
from casefac.messages import ApproveContract, EditContract, Receipt, Update
from casefac.parties import Role
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.contract_view import changes, edited_terms
from gateway.portal.forms import text
from gateway.portal.pages.common import FORM, invalid, place, receipt, render
from gateway.portal.render import formatters
from gateway.portal.updates import send_update, validation_errors

TEMPLATE = "contract.html"


def _context(visit: Visit, values: dict[str, Any] | None = None) -> dict[str, Any]:
    status = visit.status
    current = status.contract
    assert current is not None  # pending.still_open guarantees a draft
    previous = status.previous_contract
    diff = changes(previous.terms, current.terms, formatters(visit.lang),
                   lambda s: translate(visit.lang, f"service.{s}")) if previous else []
    can_approve = visit.action.role is Role.DEFENDER and Role.DEFENDER not in current.approvals
    form = values or _values(current)
    fields = ["terms.scope", "terms.special_terms", "note", "base_revision", "revision",
              *(f"terms.tasks[{i}].description" for i in range(len(current.terms.tasks)))]
    return {"rev": current, "previous": previous, "diff": diff, "can_approve": can_approve, "form": form,
            "is_advocate": visit.action.role is Role.ADVOCATE, "completed": status.advocate_completed,
            "fields": fields}


def _values(rev: ContractRevision) -> dict[str, Any]:
    terms = rev.terms
    return {"terms.scope": terms.scope, "terms.special_terms": terms.special_terms, "note": "",
            **{f"terms.tasks[{i}].description": t.description for i, t in enumerate(terms.tasks)}}


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, **_context(visit))


async def post(visit: Visit, form: FormData) -> Response:
    current = visit.status.contract
    assert current is not None
    if text(form, "op", 20) == "approve":
        return await _approve(visit, form)
    values = {key: text(form, key, 4000) for key in _values(current)}
    try:
        terms = edited_terms(form, current.terms)
    except ValidationError as exc:
        errors = {f"terms.{k}" if k else FORM: v for k, v in validation_errors(exc).items()}
        return invalid(visit, TEMPLATE, errors, **_context(visit, values))
    base = text(form, "base_revision", 10)
    result = await send_update(visit, Update.EDIT_CONTRACT, EditContract(
        actor=visit.actor, base_revision=int(base) if base.isdigit() and int(base) > 0 else current.number,
        terms=terms, note=text(form, "note", 2000)))
    if not isinstance(result, Receipt):
        ctx = _context(visit, values)
        return invalid(visit, TEMPLATE, place(result, ctx["fields"]), **ctx)
    key = "receipt.completed" if visit.action.role is Role.ADVOCATE else "receipt.edited"
    return receipt(visit, key, result, again=True)


async def _approve(visit: Visit, form: FormData) -> Response:
    current = visit.status.contract
    assert current is not None
    shown = text(form, "revision", 10)
    result = await send_update(visit, Update.APPROVE_CONTRACT, ApproveContract(
        actor=visit.actor, revision=int(shown) if shown.isdigit() and int(shown) > 0 else current.number))
    if not isinstance(result, Receipt):
        ctx = _context(visit)
        return invalid(visit, TEMPLATE, place(result, ctx["fields"]), **ctx)
    return receipt(visit, "receipt.approved", result, again=True)
