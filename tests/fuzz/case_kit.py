"""Parking a case at a stage, predicting what an update must do there, and checking what it did.

The prediction is a differential oracle: the payload goes through the same JSON encoding the workflow
sees, then ``rules.parse`` and the stage's rule run against a mirror of the case's state rebuilt from the
``status`` query (plus what the test itself submitted). So every refusal can be compared word for word,
and every acceptance is checked twice: against the oracle, and against an independent table of who may
do what in which stage (DESIGN §3–4), which does not come from ``workflows.rules``.

Updates the oracle says would be accepted AND would move the case off its stage (cancel, decline, submit
or review a report, the last contract approval) are not sent: the point is many examples against one
parked case. Their refusals are still sent and checked.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter

from casefac.case import CaseStage
from casefac.contract import REQUIRED_APPROVALS
from casefac.evaluation import Evaluation, Outcome, OutcomeResult
from casefac.messages import Receipt, ReviewCase, Update
from casefac.parties import Actor, Role
from casefac.pricing import price_report
from casefac.report import HourExpenseReport, SubmittedReport
from casefac.state import CaseState
from casefac.status import CaseStatus
from tests.conftest import eventually
from tests.fuzz.props import UPDATE_MODELS, rule_message_problem
from tests.fuzz.strategies import Json, day_resolver, resolve
from tests.workflow.fakes import ROSTER
from tests.workflow.harness import STAFF, Case, Harness, history_events
from workflows import rules

#: An update is answered in milliseconds; much longer means the workflow task failed and is retrying.
UPDATE_TIMEOUT = 15.0
#: Payloads the server would refuse for size before any workflow code runs are not this suite's subject.
MAX_WIRE_BYTES = 1_500_000

_DUMMY_EVALUATION = Evaluation(communication=3, quality=3, timeliness=3, overall=3, would_work_again=True)
#: A decline (with or without its reason) bars the Defender; a lapse no longer does (review M8: "may be offered
#: again"), except in histories from before that change, whose lapse line ends at "back to review".
_DECLINED = re.compile(r"^Defender (\S+) (?:declined(?:: .*)?|did not answer in time); back to review$", re.DOTALL)

#: Who may do what, in which stages (DESIGN §3–4), stated independently of ``workflows.rules``.
NON_TERMINAL = frozenset(s for s in CaseStage if not s.terminal)
PERMITTED: dict[str, tuple[frozenset[Role], frozenset[CaseStage]]] = {
    Update.REVIEW_CASE: (frozenset({Role.STAFF}), frozenset({CaseStage.REVIEW})),
    Update.RESPOND_TO_ASSIGNMENT: (frozenset({Role.DEFENDER}), frozenset({CaseStage.REVIEW})),
    Update.EDIT_CONTRACT: (frozenset({Role.ADVOCATE, Role.DEFENDER, Role.STAFF}), frozenset({CaseStage.AGREEMENT})),
    Update.APPROVE_CONTRACT: (frozenset({Role.DEFENDER, Role.STAFF}), frozenset({CaseStage.AGREEMENT})),
    Update.UPDATE_TASK: (frozenset({Role.DEFENDER}), frozenset({CaseStage.ASSIGNMENT, CaseStage.PAYMENT})),
    Update.SUBMIT_REPORT: (frozenset({Role.DEFENDER}), frozenset({CaseStage.ASSIGNMENT})),
    Update.REVIEW_REPORT: (frozenset({Role.STAFF}), frozenset({CaseStage.PAYMENT})),
    Update.RECORD_PAYOUT: (frozenset({Role.FINANCE, Role.STAFF}), NON_TERMINAL),
    Update.SUBMIT_EVALUATION: (frozenset({Role.ADVOCATE, Role.DEFENDER}), frozenset({CaseStage.EVALUATION})),
    Update.REPORT_OUTCOME: (frozenset({Role.ADVOCATE}),
                            frozenset({CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION})),
    Update.CANCEL_CASE: (frozenset({Role.STAFF}), NON_TERMINAL),
    Update.RETRY_STEP: (frozenset({Role.STAFF}), NON_TERMINAL),
}


@dataclass
class Parked:
    """One case held at ``stage`` for a whole test, with what the test knows that ``status`` does not."""

    h: Harness
    case: Case
    stage: CaseStage
    reports: dict[int, HourExpenseReport] = field(default_factory=dict)
    status: CaseStatus | None = None
    tally: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> str:
        self.tally[outcome] = self.tally.get(outcome, 0) + 1
        return outcome


async def park(h: Harness, stage: CaseStage) -> Parked:
    """Open one case and drive it to ``stage`` with the harness's happy-path helpers."""
    defender = "DEF-GT-002" if stage is CaseStage.EVALUATION else "DEF-GT-001"  # manual payout: record_payout
    case = await h.open(country="GT")
    parked = Parked(h=h, case=case, stage=stage)
    if stage is CaseStage.REVIEW:
        await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    elif stage is CaseStage.AGREEMENT:
        await case.assign(defender)
        await case.accept()
        await case.sign_advocate_agreement()
        await case.until(lambda s: s.waiting is not None and "contract" in s.waiting.what, "contract under review")
    else:
        await case.to_assignment(defender)
        if stage is not CaseStage.ASSIGNMENT:
            report = case.report()
            number = await case.submit(report)
            parked.reports[number] = report
            if stage is CaseStage.EVALUATION:
                await case.approve(number)
    parked.status = await settle(case)
    assert parked.status.stage is stage, parked.status.stage
    return parked


# ------------------------------------------------------------------------------------------ history
def task_failures(events: list[Any]) -> list[str]:
    """The failure messages of every WORKFLOW_TASK_FAILED event (a workflow code bug, never a refusal)."""
    return [e.workflow_task_failed_event_attributes.failure.message or "(failure message encoded)"
            for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]


def settled(events: list[Any]) -> bool:
    """Every scheduled activity finished and the last workflow task completed: nothing is in flight."""
    done = {EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
            EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED}
    scheduled = {e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    for e in events:
        if e.event_type in done:
            scheduled.discard(getattr(e, e.WhichOneof("attributes")).scheduled_event_id)
    tasks = [e.event_type for e in events if EventType.Name(e.event_type).startswith("EVENT_TYPE_WORKFLOW_TASK_")]
    return not scheduled and bool(tasks) and tasks[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED


async def settle(case: Case) -> CaseStatus:
    """The status once nothing is in flight and the case waits on someone; fails on a failed workflow task."""
    async def probe() -> tuple[list[Any], CaseStatus]:
        events = await history_events(case.handle)
        failures = task_failures(events)
        assert not failures, f"{case.case_id}: workflow task failed: {failures}"
        return events, await case.status()

    _, status = await eventually(probe, lambda p: settled(p[0]) and (p[1].waiting is not None or p[1].stage.terminal),
                                 what="case settled")
    return status


# --------------------------------------------------------------------------------------- the oracle
def refs(p: Parked, s: CaseStatus, today: date) -> dict[str, Callable[[int], Json]]:
    """What the strategies' ``Ref`` placeholders mean for this case right now."""
    pending = next((x.amount for x in s.payouts if x.status == "pending"), None)
    return {
        "advocate_id": lambda k: p.case.req.advocate.id,
        "defender_id": lambda k: s.defender_id or "DEF-GT-001",
        "revision": lambda k: (s.contract.number if s.contract else 1) + k,
        "report_number": lambda k: (s.reports[-1].number if s.reports else 1) + k,
        "task_id": lambda k: s.tasks[k % len(s.tasks)].id if s.tasks else f"T{1 + abs(k)}",
        "payout_amount": lambda k: pending.model_dump(mode="json") if pending else {"amount": 100, "currency": "USD"},
        **day_resolver(today, s.timeline[0].at.date()),
    }


def on_the_wire(payload: Json) -> tuple[bool, Json]:
    """``(True, payload as the workflow decodes it)`` (pydantic JSON both ways), or ``(False, None)`` when the
    client could not send it at all."""
    converter = pydantic_data_converter.payload_converter
    try:
        [wire] = converter.to_payloads([payload])
    except Exception:  # e.g. nesting beyond the encoder's depth: refused before anything is sent
        return False, None
    if wire.ByteSize() > MAX_WIRE_BYTES:
        return False, None
    return True, converter.from_payloads([wire], [Any])[0]  # type: ignore[list-item]


def mirror(p: Parked, s: CaseStatus) -> CaseState:
    """The workflow's ``CaseState`` as far as the update rules read it, rebuilt from ``status``."""
    roster = [d for d in ROSTER.defenders if d.country == p.case.req.country]
    defender = next((d for d in roster if d.id == s.defender_id), None)
    placeholder = p.case.report()
    return CaseState(
        stage=s.stage, opened_at=s.timeline[0].at, roster=roster, defender=defender,
        review=(ReviewCase(actor=STAFF, decision="accept", defender_id=s.defender_id)
                if s.stage is CaseStage.REVIEW and s.defender_id else None),
        declined_defenders=[m[1] for e in s.timeline if (m := _DECLINED.match(e.event))],
        agreement=s.agreement, revisions=[r for r in (s.previous_contract, s.contract) if r is not None],
        advocate_completed=s.advocate_completed, envelope=s.envelope, tasks=s.tasks,
        reports=[SubmittedReport(number=r.number, report=p.reports.get(r.number, placeholder),
                                 submitted_by=Actor(role=Role.DEFENDER, id=s.defender_id or "DEF-GT-001"),
                                 status=r.status) for r in s.reports],  # type: ignore[arg-type]
        payouts=s.payouts, final_approved=s.stage is CaseStage.EVALUATION,
        evaluations=dict.fromkeys(s.evaluations_from, _DUMMY_EVALUATION),
        outcome=Outcome(result=OutcomeResult(s.outcome)) if s.outcome else None, attention=s.attention,
    )


@dataclass(frozen=True)
class Prediction:
    accept: bool
    message: str = ""
    msg: BaseModel | None = None


def predict(p: Parked, name: str, wire: Json, s: CaseStatus, today: date) -> Prediction:
    """What the validator must answer: ``rules.parse``, then the rule, then (for approvals) pricing."""
    try:
        msg: Any = rules.parse(UPDATE_MODELS[name], wire)
    except ValueError as err:
        return Prediction(False, str(err))
    req, state = p.case.req, mirror(p, s)
    check: dict[str, Callable[[], None]] = {
        Update.REVIEW_CASE: lambda: rules.review_case(req, state, msg, today),
        Update.RESPOND_TO_ASSIGNMENT: lambda: rules.respond_to_assignment(req, state, msg),
        Update.EDIT_CONTRACT: lambda: rules.edit_contract(req, state, msg),
        Update.APPROVE_CONTRACT: lambda: rules.approve_contract(req, state, msg),
        Update.UPDATE_TASK: lambda: rules.update_task(req, state, msg),
        Update.SUBMIT_REPORT: lambda: rules.submit_report(req, state, msg, today),
        Update.REVIEW_REPORT: lambda: _review_report(req, state, msg),
        Update.RECORD_PAYOUT: lambda: rules.record_payout(req, state, msg),
        Update.SUBMIT_EVALUATION: lambda: rules.submit_evaluation(req, state, msg),
        Update.REPORT_OUTCOME: lambda: rules.report_outcome(req, state, msg),
        Update.CANCEL_CASE: lambda: rules.cancel_case(req, state, msg),
        Update.RETRY_STEP: lambda: rules.retry_step(req, state, msg),
    }
    try:
        check[name]()
    except Exception as err:  # the SDK turns any exception raised in a validator into a refusal
        return Prediction(False, str(err), msg)
    return Prediction(True, "", msg)


def _review_report(req: Any, state: CaseState, msg: Any) -> None:
    from casefac.policy import CasePolicy

    rules.review_report(req, state, msg, req.policy or CasePolicy())  # with the money guardrails (W2)
    if msg.decision == "approve":
        report = next(r for r in state.reports if r.number == msg.report_number)
        assert state.defender is not None
        price_report(report.report, list(msg.exchange_rates), list(msg.adjustments),
                     state.revisions[-1].terms.hourly_rate, req.advocate.billing_currency,
                     state.defender.hourly_rate.currency)


def moves_the_case_on(name: str, msg: Any, s: CaseStatus) -> bool:
    """An accepted update that would take the case off its parked stage (or lock its contract)."""
    if name in (Update.CANCEL_CASE, Update.SUBMIT_REPORT, Update.REVIEW_REPORT):
        return True
    if name == Update.REVIEW_CASE:
        return msg.decision == "decline"
    if name == Update.RESPOND_TO_ASSIGNMENT:
        return bool(msg.accept)
    if name == Update.APPROVE_CONTRACT:
        assert s.contract is not None
        others = REQUIRED_APPROVALS - {msg.actor.role}
        return s.advocate_completed and s.agreement.status == "signed" and others <= set(s.contract.approvals)
    return False


def permitted(p: Parked, name: str, msg: Any, s: CaseStatus) -> str | None:
    """Why DESIGN forbids this accepted update (wrong role, party or stage), or None."""
    roles, stages = PERMITTED[name]
    actor: Actor = msg.actor
    if actor.role not in roles:
        return f"{actor.role.value} may not {name}"
    if s.stage not in stages:
        return f"{name} is not possible in {s.stage.value}"
    if actor.role is Role.ADVOCATE and actor.id != p.case.req.advocate.id:
        return f"{actor} is not this case's Advocate"
    if actor.role is Role.DEFENDER and actor.id != s.defender_id:
        return f"{actor} is not this case's Defender"
    return None


# ------------------------------------------------------------------------------------ postconditions
def check_moved_consistently(name: str, msg: Any, before: CaseStatus, after: CaseStatus, receipt: Receipt) -> None:
    """The accepted update did what it says, to the right thing, and nothing else moved the stage."""
    assert after.stage == before.stage and receipt.stage == before.stage.value, (receipt, after.stage)
    noop_task = name == Update.UPDATE_TASK and not msg.note and msg.status == next(
        t.status for t in before.tasks if t.id == msg.task_id)
    if noop_task:  # saving a task unchanged records nothing (workflow patch "no-op-task-save")
        assert after.timeline == before.timeline, "an unchanged task save reached the timeline"
    elif name != Update.RESPOND_TO_ASSIGNMENT:  # the Defender's answer is logged by the stage, by Defender id
        assert any(e.actor == str(msg.actor) for e in after.timeline[-6:]), "the timeline does not name the actor"
    if name == Update.REVIEW_CASE:
        assert after.defender_id == msg.defender_id and after.waiting is not None
        assert after.waiting.role == "defender"
    elif name == Update.RESPOND_TO_ASSIGNMENT:
        assert after.defender_id is None and any(e.event.startswith(f"Defender {msg.actor.id} declined")
                                                 for e in after.timeline[-6:])
    elif name == Update.EDIT_CONTRACT:
        assert before.contract is not None and after.contract is not None
        assert after.contract.number == before.contract.number + 1 == receipt.number
        assert after.contract.terms == msg.terms and after.contract.approvals == []
        assert after.contract.author == msg.actor and after.contract.note == msg.note
        assert after.advocate_completed == (before.advocate_completed or msg.actor.role is Role.ADVOCATE)
    elif name == Update.APPROVE_CONTRACT:
        assert before.contract is not None and after.contract is not None
        assert after.contract.number == before.contract.number == msg.revision
        assert set(after.contract.approvals) == {*before.contract.approvals, msg.actor.role}
    elif name == Update.UPDATE_TASK:
        old = next(t for t in before.tasks if t.id == msg.task_id)
        new = next(t for t in after.tasks if t.id == msg.task_id)
        assert new.status == msg.status
        assert new.notes == ([*old.notes, msg.note][-20:] if msg.note else old.notes)
    elif name == Update.REPORT_OUTCOME:
        assert after.outcome == msg.outcome.result.value
    elif name == Update.SUBMIT_EVALUATION:
        assert after.evaluations_from == sorted({*before.evaluations_from, msg.actor.role.value})
    elif name == Update.RECORD_PAYOUT:
        payout = next(x for x in after.payouts if x.report_number == msg.report_number)
        assert payout.status == "paid" and payout.reference == msg.reference and payout.amount == msg.amount
    elif name == Update.RETRY_STEP:
        assert after.attention is None or after.attention.blocking


def fingerprint(s: CaseStatus) -> dict[str, Any]:
    """Everything a refused update must leave untouched (all of ``status`` but the history length)."""
    return s.model_dump(mode="json", exclude={"history_events"})


# ------------------------------------------------------------------------------------ one example
async def exercise(p: Parked, name: str, raw: Json) -> str:
    """Send one fuzzed update to the parked case and check every property on the answer and the case.

    Returns what happened (for Hypothesis' statistics, recorded by the caller's thread)."""
    case = p.case
    before = p.status or await settle(case)
    today = (await p.h.env.get_current_time()).date()
    payload = resolve(raw, refs(p, before, today))
    sendable, wire = on_the_wire(payload)
    if not sendable:
        return p.count("not sendable (client-side encoding limit)")
    expected = predict(p, name, wire, before, today)
    if expected.accept and moves_the_case_on(name, expected.msg, before):
        return p.count("valid but would move the case on: not sent")
    receipt: Receipt | None = None
    try:
        async with asyncio.timeout(UPDATE_TIMEOUT):
            receipt = await case.handle.execute_update(name, payload, result_type=Receipt)
    except WorkflowUpdateFailedError as err:
        message = getattr(err.cause, "message", None) or str(err.cause)
    except TimeoutError:
        events = await history_events(case.handle)
        raise AssertionError(f"{name} got no answer in {UPDATE_TIMEOUT}s; workflow task failures: "
                             f"{task_failures(events)}") from None
    after = await settle(case)  # fails if any workflow task failed
    p.status = after
    if receipt is None:
        outcome = p.count(f"refused: {name}")
        problem = rule_message_problem(message)
        assert problem is None, problem
        assert not expected.accept, f"a valid {name} was refused: {message[:500]}"
        assert message == expected.message, f"refusal differs from the rules: {message[:300]!r} != " \
                                            f"{expected.message[:300]!r}"
        assert after.stage == before.stage, f"a refused {name} moved the case to {after.stage}"
        assert fingerprint(after) == fingerprint(before), f"a refused {name} changed the case"
        return outcome
    outcome = p.count(f"accepted: {name}")
    assert expected.accept, f"{name} accepted although the rules refuse it: {expected.message[:500]}"
    forbidden = permitted(p, name, expected.msg, before)
    assert forbidden is None, f"{name} accepted although DESIGN forbids it: {forbidden}"
    check_moved_consistently(name, expected.msg, before, after, receipt)
    return outcome
