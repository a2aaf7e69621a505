"""Every update's validator: a person's bad input is refused at once, names the field and the rule, leaves
nothing in history and never fails a workflow task."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from casefac.case import CaseStage
from casefac.evaluation import Evaluation, Outcome, OutcomeResult
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
    Update,
    UpdateTask,
)
from casefac.money import Money
from casefac.parties import Actor, Role
from casefac.report import HourExpenseReport, HourLine, ReportKind
from tests.conftest import eventually
from tests.workflow.harness import FINANCE, STAFF, Case, Harness, history_events

STRANGER = Actor(role=Role.DEFENDER, id="DEF-MX-001")
OTHER_ADVOCATE = Actor(role=Role.ADVOCATE, id="ADV-SOMEONE-ELSE")


async def rejected(case: Case, name: str, payload: Any, *expected: str) -> str:
    """Assert the update is refused with ``expected`` in its message and left nothing in history.

    The time-skipping server does not drop the (speculative) workflow task of a rejected update, so its three
    WorkflowTask* events may appear; no update, activity, timer or signal event may.
    """
    await eventually(lambda: history_events(case.handle), _settled,
                     what="no task in flight")  # e.g. mail still going out from the last step
    before = await history_events(case.handle)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.handle.execute_update(name, payload)
    message = str(err.value.cause)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    added = [e for e in (await history_events(case.handle))[len(before):]
             if not EventType.Name(e.event_type).startswith("EVENT_TYPE_WORKFLOW_TASK_")]
    assert not added, f"a rejected update left {[EventType.Name(e.event_type) for e in added]} in history"
    return message


def _settled(events: list[Any]) -> bool:
    """Every scheduled activity has finished and no workflow task is open: nothing is in flight.

    Judged from history because the time-skipping server does not report pending activities in ``describe``.
    """
    done = {"EVENT_TYPE_ACTIVITY_TASK_COMPLETED", "EVENT_TYPE_ACTIVITY_TASK_FAILED",
            "EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT", "EVENT_TYPE_ACTIVITY_TASK_CANCELED"}
    scheduled = {e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    for e in events:
        if EventType.Name(e.event_type) in done:
            attrs = getattr(e, e.WhichOneof("attributes"))
            scheduled.discard(attrs.scheduled_event_id)
    tasks = [e.event_type for e in events if EventType.Name(e.event_type).startswith("EVENT_TYPE_WORKFLOW_TASK_")]
    return not scheduled and tasks[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED


async def test_review_rejections(harness: Harness) -> None:
    case = await harness.open(country="GT")
    await case.until(lambda s: s.waiting is not None, "review")
    accept = {"actor": STAFF, "decision": "accept"}
    await rejected(case, Update.REVIEW_CASE, ReviewCase(**accept, defender_id="DEF-XX-999"), "defender_id",
                   "not in the roster")
    await rejected(case, Update.REVIEW_CASE, ReviewCase(**accept, defender_id="DEF-MX-001"), "defender_id",
                   "not in the roster for GT")
    await rejected(case, Update.REVIEW_CASE,
                   ReviewCase(actor=Actor(role=Role.ADVOCATE, id=case.req.advocate.id), decision="decline",
                              reason="x"), "actor", "only staff")
    await rejected(case, Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=STRANGER, accept=True),
                   "no open assignment offer")
    await rejected(case, Update.SUBMIT_REPORT, SubmitReport(actor=STRANGER, report=case.report()), "actor")
    await rejected(case, Update.RETRY_STEP, RetryStep(actor=STAFF), "nothing is waiting")
    await case.assign("DEF-GT-001")
    await rejected(case, Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=STRANGER, accept=True),
                   "not the Defender assigned")
    await rejected(case, Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=case.defender, accept=False),
                   "reason")
    await rejected(case, Update.REVIEW_CASE, ReviewCase(**accept, defender_id="DEF-GT-003"), "already reviewed")


async def test_an_inactive_defender_cannot_be_assigned(harness: Harness) -> None:
    case = await harness.open(country="SV")
    await case.until(lambda s: s.waiting is not None, "review")
    await rejected(case, Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="accept", defender_id="DEF-SV-003"),
                   "defender_id", "DEF-SV-003 is not active")
    await case.assign("DEF-SV-001")


async def test_hostile_payloads_never_fail_a_workflow_task(harness: Harness) -> None:
    case = await harness.open()
    await case.until(lambda s: s.waiting is not None, "review")
    staff = {"role": "staff", "id": "coord.ana"}
    hostile: list[dict[str, Any]] = [
        {"actor": staff, "decision": "maybe"},
        {"actor": {"role": "root", "id": "x"}, "decision": "decline", "reason": "r"},
        {"actor": staff, "decision": "accept"},  # no Defender
        {"actor": staff},
        {"actor": staff, "decision": "decline", "reason": "x" * 100_000},
        {"decision": "accept", "defender_id": "DEF-GT-001"},
        {"actor": staff, "decision": "accept", "defender_id": "DEF-GT-001", "extra": True},
    ]
    for payload in hostile:
        with pytest.raises(WorkflowUpdateFailedError):
            await case.handle.execute_update(Update.REVIEW_CASE, payload)
    s = await case.status()
    assert s.stage == CaseStage.REVIEW and s.defender_id is None
    await case.assign("DEF-GT-001")  # the case is healthy


async def test_agreement_and_assignment_rejections(harness: Harness) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    s = await case.until(lambda s: s.waiting is not None and "contract" in s.waiting.what, "settled on the contract")
    assert s.contract is not None
    terms = s.contract.terms
    await rejected(case, Update.APPROVE_CONTRACT, ApproveContract(actor=case.advocate, revision=1), "actor")
    await rejected(case, Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=7), "revision 1 is current")
    await rejected(case, Update.EDIT_CONTRACT, EditContract(actor=OTHER_ADVOCATE, base_revision=1, terms=terms),
                   "not the Advocate")
    await rejected(case, Update.EDIT_CONTRACT,
                   EditContract(actor=STAFF, base_revision=1,
                                terms=terms.model_copy(update={"hourly_rate": Money(amount=100, currency="MXN")})),
                   "terms.hourly_rate")
    await rejected(case, Update.UPDATE_TASK, UpdateTask(actor=case.defender, task_id="T1", status="done"), "stage")
    await rejected(case, Update.SUBMIT_EVALUATION, SubmitEvaluation(
        actor=case.advocate, evaluation=Evaluation(communication=5, quality=5, timeliness=5, overall=5,
                                                   would_work_again=True)), "stage")
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=1))
    await rejected(case, Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=1), "already approved")


async def test_report_and_money_rejections(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    await case.until(lambda s: s.waiting is not None and "report" in s.waiting.what, "settled on the report")
    today = date.today()
    line = {"task_code": "L110", "activity_code": "A106", "description": "Call"}

    def report(**hour: Any) -> dict[str, Any]:
        return {"actor": case.defender.model_dump(mode="json"),
                "report": {"kind": "final", "hours": [{"date": today.isoformat(), **line, **hour}]}}

    await rejected(case, Update.SUBMIT_REPORT, report(hours="-1"), "hours")
    await rejected(case, Update.SUBMIT_REPORT, report(hours="0.15"), "hours")
    await rejected(case, Update.SUBMIT_REPORT, report(hours="30"), "hours")
    await rejected(case, Update.SUBMIT_REPORT, report(hours="1", task_code="L999"), "task code")
    await rejected(case, Update.SUBMIT_REPORT,
                   {"actor": case.defender.model_dump(mode="json"), "report": {"kind": "final"}},
                   "at least one hour line or expense")
    tomorrow = HourLine(date=today + timedelta(days=1), hours=Decimal("1"), task_code="L110", activity_code="A106",
                        description="x")
    await rejected(case, Update.SUBMIT_REPORT, SubmitReport(actor=case.defender, report=HourExpenseReport(
        kind=ReportKind.FINAL, hours=[tomorrow])), "hours[0].date")
    many = [HourLine(date=today, hours=Decimal("9"), task_code="L110", activity_code="A106", description="x")] * 3
    await rejected(case, Update.SUBMIT_REPORT, SubmitReport(actor=case.defender, report=HourExpenseReport(
        kind=ReportKind.FINAL, hours=many)), "more than a day holds")
    expense = {"date": today.isoformat(), "expense_code": "E109", "description": "Bus"}
    for amount, fragment in (({"amount": 100, "currency": "XYZ"}, "currency"),
                             ({"amount": -100, "currency": "GTQ"}, "positive"),
                             ({"amount": 10**15, "currency": "GTQ"}, "amount"),
                             ({"amount": 1.5, "currency": "GTQ"}, "amount")):
        await rejected(case, Update.SUBMIT_REPORT, {"actor": case.defender.model_dump(mode="json"), "report": {
            "kind": "final", "expenses": [{**expense, "amount": amount}]}}, fragment)
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await rejected(case, Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve"),
                   "exchange_rates", "GTQ->USD")
    await rejected(case, Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=9, decision="approve"),
                   "report_number")
    await rejected(case, Update.REVIEW_REPORT, ReviewReport(actor=case.defender, report_number=number,
                                                            decision="approve"), "actor")
    await rejected(case, Update.RECORD_PAYOUT, RecordPayout(actor=FINANCE, report_number=number,
                                                            amount=Money(amount=1, currency="USD"),
                                                            reference="x", paid_on=today), "no payout")
    await rejected(case, Update.SUBMIT_REPORT, SubmitReport(actor=case.defender, report=case.report()), "stage")
    await case.approve(number)
    await case.until(lambda s: s.stage == CaseStage.EVALUATION and s.waiting is not None, "settled on evaluations")
    bad_score = {"actor": case.advocate.model_dump(mode="json"), "evaluation": {
        "communication": 6, "quality": 5, "timeliness": 5, "overall": 5, "would_work_again": True}}
    await rejected(case, Update.SUBMIT_EVALUATION, bad_score, "communication")
    await rejected(case, Update.REPORT_OUTCOME, ReportOutcome(actor=case.defender,
                                                              outcome=Outcome(result=OutcomeResult.GRANTED)), "actor")
    await rejected(case, Update.CANCEL_CASE, CancelCase(actor=case.advocate, reason="no"), "actor")
