"""Evaluation of the facilitation by either party: four ratings 1-5, would work again, comments."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import Response

from casefac.evaluation import Evaluation
from casefac.messages import Receipt, SubmitEvaluation, Update
from gateway.portal.access import Visit
from gateway.portal.catalog import translate
from gateway.portal.forms import text
from gateway.portal.pages.common import invalid, place, receipt, render
from gateway.portal.updates import send_update

TEMPLATE = "evaluate.html"
CRITERIA = ("communication", "quality", "timeliness", "overall")
FIELDS = (*CRITERIA, "would_work_again", "comments")


def _labels(lang: str) -> dict[str, tuple[str, str]]:
    """Each question's first input and its wording, for the error summary's links."""
    out = {c: (f"{c}-1", translate(lang, f"evaluate.{c}")) for c in CRITERIA}
    out["would_work_again"] = ("would_work_again-yes", translate(lang, "evaluate.again"))
    out["comments"] = ("comments", translate(lang, "evaluate.comments"))
    return out


async def show(visit: Visit) -> Response:
    return render(visit, TEMPLATE, criteria=CRITERIA, form={}, labels=_labels(visit.lang))


async def post(visit: Visit, form: FormData) -> Response:
    entered = {name: text(form, name, 4000) for name in FIELDS}
    errors: dict[str, str] = {}
    for name in CRITERIA:
        if entered[name] not in ("1", "2", "3", "4", "5"):
            errors[name] = translate(visit.lang, "error.rating")
    if entered["would_work_again"] not in ("yes", "no"):
        errors["would_work_again"] = translate(visit.lang, "error.choose")
    if errors:
        return invalid(visit, TEMPLATE, errors, criteria=CRITERIA, form=entered, labels=_labels(visit.lang))
    evaluation = Evaluation(**{name: int(entered[name]) for name in CRITERIA},
                            would_work_again=entered["would_work_again"] == "yes", comments=entered["comments"])
    result = await send_update(visit, Update.SUBMIT_EVALUATION,
                               SubmitEvaluation(actor=visit.actor, evaluation=evaluation))
    if not isinstance(result, Receipt):
        return invalid(visit, TEMPLATE, place(result, FIELDS), criteria=CRITERIA, form=entered,
                       labels=_labels(visit.lang))
    return receipt(visit, "receipt.evaluation", result)
