"""The contract page's data: field-by-field differences between revisions, and the edit form's terms.

A diff by field, not by text, because terms are structured (``casefac.contract.ContractTerms``): a
Defender reading on a phone needs "Special terms: before … / now …", not a patch. The portal edits only
what the parties may change (scope, task descriptions, special terms); the hourly rate is shown, never
edited here (staff set it through the CLI).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import FormData

from casefac.contract import ContractTerms, TaskSpec
from gateway.portal.forms import text


@dataclass(frozen=True)
class Change:
    """One changed field: ``label`` is a catalog key, ``suffix`` a task id; values already formatted."""

    label: str
    before: str
    after: str
    suffix: str = ""


def changes(before: ContractTerms, after: ContractTerms, fmt: dict[str, Callable[..., str]],
            service_label: Callable[[str], str], localize: Callable[[str], str] = str) -> list[Change]:
    """Every field that differs, in the order the contract shows them (system text in the reader's
    language through ``localize``; what people wrote as written)."""
    out: list[Change] = []

    def add(label: str, old: str, new: str, suffix: str = "") -> None:
        if old != new:
            out.append(Change(label, old, new, suffix))

    add("contract.scope", localize(before.scope), localize(after.scope))
    old_tasks = {t.id: t for t in before.tasks}
    new_tasks = {t.id: t for t in after.tasks}
    for task_id in sorted(old_tasks.keys() | new_tasks.keys(), key=lambda i: int(i[1:])):
        old, new = old_tasks.get(task_id), new_tasks.get(task_id)
        add("contract.task", _task(old, fmt, service_label, localize), _task(new, fmt, service_label, localize),
            task_id)
    add("contract.hourly_rate", fmt["money"](before.hourly_rate), fmt["money"](after.hourly_rate))
    add("contract.expense_cap", fmt["money"](before.expense_cap), fmt["money"](after.expense_cap))
    add("contract.hours_cap", str(before.hours_cap or ""), str(after.hours_cap or ""))
    add("contract.deadline", fmt["day"](before.deadline), fmt["day"](after.deadline))
    add("contract.special_terms", before.special_terms, after.special_terms)
    return out


def _task(task: TaskSpec | None, fmt: dict[str, Callable[..., str]], service_label: Callable[[str], str],
          localize: Callable[[str], str]) -> str:
    if task is None:
        return ""
    due = f" ({fmt['day'](task.due)})" if task.due else ""
    return f"{service_label(task.service.value)}: {localize(task.description)}{due}"


def edited_terms(form: FormData, current: ContractTerms) -> ContractTerms:
    """The current terms with the form's scope, task descriptions and special terms (rate untouched).

    Construction errors (an emptied scope) surface as pydantic ``ValidationError`` for the caller to map.
    """
    tasks = [task.model_copy(update={"description": text(form, f"terms.tasks[{i}].description", 1000)})
             if f"terms.tasks[{i}].description" in form else task for i, task in enumerate(current.tasks)]
    data = current.model_dump()
    data.update(scope=text(form, "terms.scope", 4000), special_terms=text(form, "terms.special_terms", 4000),
                tasks=[t.model_dump() for t in tasks])
    return ContractTerms.model_validate(data)
