"""The Advocate reports the case outcome (often months later): result, decision date, notes."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.evaluation import Outcome, OutcomeResult
from casefac.messages import Receipt, ReportOutcome, Update
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import FieldError, parse_day, text
from gateway.portal.pages.common import invalid, place, receipt, render
from gateway.portal.updates import send_update

TEMPLATE = "outcome.html"
#: ``unknown`` is the workflow's own answer when the wait runs out, not a choice for the Advocate.
RESULTS = tuple(r.value for r in OutcomeResult if r is not OutcomeResult.UNKNOWN)
FIELDS = ("result", "decided_on", "notes")


def _labels(lang: str) -> dict[str, tuple[str, str]]:
    return {name: (name, translate(lang, f"outcome.{name}")) for name in FIELDS}


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, results=RESULTS, form={}, labels=_labels(visit.lang))


async def post(visit: Visit, form: FormData) -> Response:
    entered = {name: text(form, name, 4000) for name in FIELDS}
    errors: dict[str, str] = {}
    if entered["result"] not in RESULTS:
        errors["result"] = translate(visit.lang, "error.choose")
    decided = None
    if entered["decided_on"]:
        try:
            decided = parse_day(entered["decided_on"], visit.lang)
            if decided > datetime.now(UTC).date():
                errors["decided_on"] = translate(visit.lang, "error.future")
        except FieldError as exc:
            errors["decided_on"] = translate(visit.lang, exc.key)
    if errors:
        return invalid(visit, TEMPLATE, errors, results=RESULTS, form=entered, labels=_labels(visit.lang))
    outcome = Outcome(result=OutcomeResult(entered["result"]), decided_on=decided, notes=entered["notes"])
    result = await send_update(visit, Update.REPORT_OUTCOME, ReportOutcome(actor=visit.actor, outcome=outcome))
    if not isinstance(result, Receipt):
        return invalid(visit, TEMPLATE, place(result, FIELDS), results=RESULTS, form=entered,
                       labels=_labels(visit.lang))
    return receipt(visit, "receipt.outcome", result, result_label=translate(visit.lang, f"result.{outcome.result}"))
