"""The update validators' rules as pure functions: who may do what, when, with which input.

Kept apart from the workflow class so they are unit-testable and so a rejection's wording (field and
rule) is one place. Each raises ``ValueError("field: rule")``; the caller sees it, history sees nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from casefac.case import CaseRequest, CaseStage
from casefac.contract import REQUIRED_APPROVALS
from casefac.eligibility import CaseNeeds, exclusion
from casefac.messages import (
    ApproveContract,
    CancelCase,
    EditContract,
    RecordPayout,
    ReportOutcome,
    RespondToAssignment,
    RetryStep,
    ReviewCase,
    ReviewReport,
    SubmitEvaluation,
    SubmitReport,
    UpdateTask,
)
from casefac.money import EXPONENT, MAX_MINOR
from casefac.parties import Actor, Role
from casefac.pricing import missing_rates
from casefac.state import CaseState

M = TypeVar("M", bound=BaseModel)

#: A day's hours beyond this across a report's lines for one date is a typo, not work.
MAX_HOURS_PER_DAY = 24


def parse(model: type[M], payload: Any) -> M:
    """Validate a raw update payload; errors read ``report.hours[0].hours: Input should be greater than 0``.

    Updates take raw JSON objects so that a malformed payload is refused by the validator with the field and
    the rule named, instead of the SDK's bare "Failed decoding arguments".
    """
    if isinstance(payload, model):
        return payload
    try:
        return model.model_validate(payload)
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False)[:5]:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{_clip(str(p), 40)}" for p in e["loc"])
            problems.append(f"{_clip(path.lstrip('.').strip(), 120) or 'payload'}: {_clip(e['msg'], 200)}")
        raise ValueError(_clip("; ".join(problems), MAX_MESSAGE)) from None


#: A refusal names the field and the rule; it never echoes a hostile input back at length.
MAX_MESSAGE = 1000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _stage(state: CaseState, *allowed: CaseStage) -> None:
    _require(state.stage in allowed,
             f"stage: the case is in {state.stage.value}; this is possible only in "
             f"{' or '.join(s.value for s in allowed)}")


def _staff(actor: Actor, *roles: Role) -> None:
    roles = roles or (Role.STAFF,)
    _require(actor.role in roles, f"actor: only {' or '.join(r.value for r in roles)} may do this")


def _party(actor: Actor, req: CaseRequest, state: CaseState, *roles: Role) -> None:
    _require(actor.role in roles, f"actor: only the case's {' or '.join(r.value for r in roles)} may do this")
    if actor.role is Role.ADVOCATE:
        _require(actor.id == req.advocate.id, "actor: this is not the Advocate of this case")
    if actor.role is Role.DEFENDER:
        _require(state.defender is not None and actor.id == state.defender.id,
                 "actor: this is not the Defender assigned to this case")


def case_needs(req: CaseRequest, state: CaseState) -> CaseNeeds:
    """What this case asks of a Defender, for the eligibility rules ``casefac suggest`` applies too."""
    return CaseNeeds(country=req.country, region=req.region, services=list(req.services),
                     advocate_language=req.advocate.language, declined=list(state.declined_defenders))


def review_case(req: CaseRequest, state: CaseState, msg: ReviewCase, today: date) -> None:
    _staff(msg.actor)
    _stage(state, CaseStage.REVIEW)
    _require(state.review is None, "decision: this case was already reviewed; waiting for the Defender's answer")
    if msg.decision == "accept":
        defender = next((d for d in state.roster if d.id == msg.defender_id), None)
        _require(defender is not None, f"defender_id: {msg.defender_id} is not in the roster for {req.country}")
        assert defender is not None
        why_not = exclusion(defender, case_needs(req, state), today)
        if why_not is not None and not why_not.overridable:
            _require(False, f"defender_id: {why_not.reason}; choose another")
        if why_not is not None:
            _require(bool(msg.override.strip()),
                     f"defender_id: {why_not.reason}; to offer the case all the same, say why (override)")


def respond_to_assignment(req: CaseRequest, state: CaseState, msg: RespondToAssignment) -> None:
    _stage(state, CaseStage.REVIEW)
    _require(state.defender is not None and state.defender_accepted is None,
             "assignment: there is no open assignment offer")
    _party(msg.actor, req, state, Role.DEFENDER)
    _require(msg.accept or bool(msg.reason.strip()), "reason: say briefly why you decline")


def _contract_open(state: CaseState) -> None:
    _stage(state, CaseStage.AGREEMENT)
    _require(bool(state.revisions), "contract: the draft is not ready yet")
    _require(state.envelope is None or state.envelope.status in ("declined", "voided"),
             "contract: it is out for signature; it can change only if a signer declines")


def edit_contract(req: CaseRequest, state: CaseState, msg: EditContract) -> None:
    _party(msg.actor, req, state, Role.ADVOCATE, Role.DEFENDER, Role.STAFF)
    _contract_open(state)
    current = state.revisions[-1].number
    _require(msg.base_revision == current,
             f"base_revision: revision {current} is current; reload it before editing (you sent "
             f"{msg.base_revision})")
    invoice = req.advocate.billing_currency
    _require(msg.terms.hourly_rate.currency in ("USD", invoice),
             f"terms.hourly_rate: must be in USD or {invoice}")
    if req.budget_cap and msg.terms.expense_cap:
        _require(msg.terms.expense_cap.currency == req.budget_cap.currency,
                 "terms.expense_cap: must be in the budget cap's currency")


def approve_contract(req: CaseRequest, state: CaseState, msg: ApproveContract) -> None:
    _party(msg.actor, req, state, Role.DEFENDER, Role.STAFF)
    _contract_open(state)
    current = state.revisions[-1]
    _require(msg.revision == current.number,
             f"revision: revision {current.number} is current; you approved {msg.revision}")
    _require(msg.actor.role not in current.approvals, f"revision: already approved by {msg.actor.role.value}")
    _require(msg.actor.role in REQUIRED_APPROVALS, "actor: this role does not approve contracts")


def update_task(req: CaseRequest, state: CaseState, msg: UpdateTask) -> None:
    _party(msg.actor, req, state, Role.DEFENDER)
    _stage(state, CaseStage.ASSIGNMENT, CaseStage.PAYMENT)
    _require(any(t.id == msg.task_id for t in state.tasks), f"task_id: no task {msg.task_id} in this case")


def submit_report(req: CaseRequest, state: CaseState, msg: SubmitReport, today: date) -> None:
    _party(msg.actor, req, state, Role.DEFENDER)
    _stage(state, CaseStage.ASSIGNMENT)
    _require(not any(r.status == "submitted" for r in state.reports),
             "report: a report is already waiting for review")
    _require(not state.final_approved, "report: the final report was already approved")
    opened = state.opened_at.date()
    per_day: dict[date, object] = {}
    for i, line in enumerate(msg.report.hours):
        _require(opened <= line.date <= today,
                 f"hours[{i}].date: must be between the case's opening ({opened}) and today ({today})")
        per_day[line.date] = per_day.get(line.date, 0) + line.hours  # type: ignore[operator]
    for day, hours in per_day.items():
        _require(hours <= MAX_HOURS_PER_DAY, f"hours: {hours} hours on {day} is more than a day holds")  # type: ignore[operator]
    totals: dict[str, int] = {}
    for exp in msg.report.expenses:
        totals[exp.amount.currency] = totals.get(exp.amount.currency, 0) + exp.amount.amount
    for currency, amount in totals.items():
        _require(amount <= MAX_MINOR, f"expenses: the {currency} expenses add up to more than a case can bill")
    for i, exp in enumerate(msg.report.expenses):
        _require(opened <= exp.date <= today,
                 f"expenses[{i}].date: must be between the case's opening ({opened}) and today ({today})")
        _require(exp.amount.currency in EXPONENT, f"expenses[{i}].amount.currency: unknown currency")


def review_report(req: CaseRequest, state: CaseState, msg: ReviewReport) -> None:
    _staff(msg.actor)
    _stage(state, CaseStage.PAYMENT)
    report = next((r for r in state.reports if r.number == msg.report_number), None)
    _require(report is not None, f"report_number: no report {msg.report_number}")
    assert report is not None
    _require(report.status == "submitted", f"report_number: report {msg.report_number} is {report.status}")
    if msg.decision == "approve":
        assert state.defender is not None and state.revisions
        hourly = state.revisions[-1].terms.hourly_rate
        missing = missing_rates(report.report, msg.exchange_rates, hourly, req.advocate.billing_currency,
                                state.defender.hourly_rate.currency)
        _require(not missing, f"exchange_rates: missing rate {', '.join(missing)}")
        for i, adj in enumerate(msg.adjustments):
            _require(adj.amount.currency == req.advocate.billing_currency,
                     f"adjustments[{i}].amount.currency: must be the invoice currency "
                     f"{req.advocate.billing_currency}")


def record_payout(req: CaseRequest, state: CaseState, msg: RecordPayout) -> None:
    _staff(msg.actor, Role.FINANCE, Role.STAFF)
    payout = next((p for p in state.payouts if p.report_number == msg.report_number), None)
    _require(payout is not None, f"report_number: no payout for report {msg.report_number}")
    assert payout is not None
    _require(payout.method == "manual", "report_number: this payout went by Stripe Connect; nothing to record")
    _require(payout.status == "pending", "report_number: this payout was already recorded")
    _require(msg.amount == payout.amount,
             f"amount: the approved payout is {payout.amount.format()}, not {msg.amount.format()}")


def submit_evaluation(req: CaseRequest, state: CaseState, msg: SubmitEvaluation) -> None:
    _party(msg.actor, req, state, Role.ADVOCATE, Role.DEFENDER)
    _stage(state, CaseStage.EVALUATION)
    _require(msg.actor.role.value not in state.evaluations, "evaluation: you already evaluated this case")


def report_outcome(req: CaseRequest, state: CaseState, msg: ReportOutcome) -> None:
    _party(msg.actor, req, state, Role.ADVOCATE)
    _stage(state, CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION)
    _require(state.outcome is None, "outcome: already reported")


def cancel_case(req: CaseRequest, state: CaseState, msg: CancelCase) -> None:
    _staff(msg.actor)
    _require(not state.stage.terminal, f"stage: the case is already {state.stage.value}")
    _require(state.cancel is None, "stage: cancellation is already under way")


def retry_step(req: CaseRequest, state: CaseState, msg: RetryStep) -> None:
    _staff(msg.actor)
    _require(state.attention is not None, "step: nothing is waiting for a retry")
