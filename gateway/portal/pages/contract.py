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
from casefac.contract_draft import system_text
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
                   lambda s: translate(visit.lang, f"service.{s}"),
                   lambda text: system_text(text, visit.lang)) if previous else []
    can_approve = visit.action.role is Role.DEFENDER and Role.DEFENDER not in current.approvals
    form = values or _values(current, visit.lang)
    fields = ["terms.scope", "terms.special_terms", "note", "base_revision", "revision",
              *(f"terms.tasks[{i}].description" for i in range(len(current.terms.tasks)))]
    return {"rev": current, "previous": previous, "diff": diff, "can_approve": can_approve, "form": form,
            "is_advocate": visit.action.role is Role.ADVOCATE, "completed": status.advocate_completed,
            "fields": fields, "labels": _labels(visit, current), "readonly": False}


def _labels(visit: Visit, rev: ContractRevision) -> dict[str, tuple[str, str]]:
    """Each editable field's element id and label, for the error summary's links."""
    lang = visit.lang
    out = {"terms.scope": ("scope", translate(lang, "contract.scope")),
           "terms.special_terms": ("special", translate(lang, "contract.special_terms")),
           "note": ("note", translate(lang, "contract.note"))}
    for i, task in enumerate(rev.terms.tasks):
        out[f"terms.tasks[{i}].description"] = (
            f"task-{i}", f"{task.id} · {translate(lang, f'service.{task.service.value}')}")
    return out


async def signed_contract(visit: Visit) -> Response:
    """The signed revision, read-only: a party's contract links keep showing what they signed."""
    current = visit.status.contract
    assert current is not None  # pending.contract_signed guarantees it
    return render(visit, TEMPLATE, rev=current, previous=None, diff=[], can_approve=False, form={},
                  is_advocate=visit.action.role is Role.ADVOCATE, completed=True, fields=[], labels={},
                  readonly=True)


def _stored(rev: ContractRevision) -> dict[str, str]:
    """The editable fields as stored (system text in English)."""
    terms = rev.terms
    return {"terms.scope": terms.scope, "terms.special_terms": terms.special_terms, "note": "",
            **{f"terms.tasks[{i}].description": t.description for i, t in enumerate(terms.tasks)}}


def _values(rev: ContractRevision, lang: str) -> dict[str, Any]:
    """The edit form's values in the reader's language: system text translated, people's words as written."""
    return {key: system_text(value, lang) for key, value in _stored(rev).items()}


def _kept_system_text(form: FormData, rev: ContractRevision, lang: str) -> FormData:
    """The posted form, with each field sent back unchanged from its translated system text restored to the
    stored text: saving the page as shown must not turn a generated sentence into one person's French,
    which every other reader would then see untranslated."""
    stored = _stored(rev)
    items = [(key, stored[key] if key in stored and isinstance(value, str)
              and value.strip() == system_text(stored[key], lang).strip() else value)
             for key, value in form.multi_items()]
    return FormData(items)


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, **_context(visit))


async def post(visit: Visit, form: FormData) -> Response:
    current = visit.status.contract
    assert current is not None
    if text(form, "op", 20) == "approve":
        return await _approve(visit, form)
    values = {key: text(form, key, 4000) for key in _stored(current)}
    form = _kept_system_text(form, current, visit.lang)
    try:
        terms = edited_terms(form, current.terms)
    except ValidationError as exc:
        errors = {f"terms.{k}" if k else FORM: v for k, v in validation_errors(exc, lang=visit.lang).items()}
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
