"""The paths whose histories make the replay corpus, each driven on the time-skipping server.

``SCENARIOS`` drive one case each (the recorder keeps the case workflow's history); ``ENTITY_SCENARIOS`` drive
the cases of one Advocate and hand back the Advocate entity, whose history the recorder keeps (review M11:
the entity never ends, so a change to its loop breaks every running Advocate). Only APIs of the harness that
every generation's tree has are used, so the same file records an older tree too (see ``record.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from casefac.activity_io import TaskQueue
from casefac.case import CaseStage
from casefac.events import EnvelopeEvent, Signal
from casefac.ids import advocate_workflow_id
from casefac.messages import ApproveContract, RespondToAssignment, RetryStep, ReviewCase, ReviewReport, Update
from casefac.policy import CasePolicy
from casefac.report import ReportKind
from casefac.state import AdvocateInput, AdvocateState
from tests.conftest import eventually
from tests.workflow.harness import STAFF, Case, Harness, advocate, mails_eventually


@dataclass
class Entity:
    """What an entity scenario hands the recorder: the Advocate entity (``handle``, not pinned to a run)."""

    handle: WorkflowHandle[Any, Any]


Scenario = Callable[[Harness], Awaitable[Case]]
EntityScenario = Callable[[Harness], Awaitable[Entity]]

#: The entity continues as new past this many events once no case waits; low, so a recording shows it.
ENTITY_CONTINUE_AS_NEW_AFTER = 40


async def happy_path(h: Harness) -> Case:
    case = await h.open()
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.evaluate_and_report()
    await case.pay_invoices()
    await case.handle.result()
    return case


async def review_declined(h: Harness) -> Case:
    case = await h.open()
    await case.until(lambda s: s.waiting is not None, "review")
    await case.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="decline", reason="Out of scope"))
    await case.handle.result()
    return case


async def reassigned_after_decline_and_lapse(h: Harness) -> Case:
    case = await h.open()
    await case.assign("DEF-GT-001")
    await case.update(Update.RESPOND_TO_ASSIGNMENT,
                      RespondToAssignment(actor=case.defender, accept=False, reason="Conflict"))
    await case.until(lambda s: s.defender_id is None and s.waiting is not None, "back to review")
    await case.assign("DEF-GT-003")
    # The window ends at the Defender's local end of its last business day (issue 12, M8): sleep past it.
    offered = await case.until(lambda s: s.offer_deadline is not None, "the offer's deadline")
    assert offered.offer_deadline is not None
    await h.env.sleep(offered.offer_deadline - await h.env.get_current_time() + timedelta(minutes=1))
    await case.until(lambda s: s.defender_id is None and s.waiting is not None, "lapsed")
    await case.assign("DEF-GT-002")
    await case.accept()
    return case


async def contract_loop(h: Harness) -> Case:
    case = await h.open()
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()
    revision = await case.complete_and_approve_contract()
    first = await case.envelope()
    await case.envelope_event(first, "recipient_declined", "1")
    await case.until(lambda s: s.envelope is not None and s.envelope.status == "declined"
                     and s.contract is not None and not s.contract.approvals, "returned")
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=case.defender, revision=revision))
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=revision))
    await case.sign_all()
    return case


async def report_changes(h: Harness) -> Case:
    case = await h.open()
    await case.to_assignment()
    interim = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(interim)
    await case.stage(CaseStage.ASSIGNMENT)
    final = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=final, decision="request_changes",
                                                         reasons=["Split the travel line"]))
    await case.stage(CaseStage.ASSIGNMENT)
    again = await case.submit(case.report())
    await case.approve(again)
    await case.stage(CaseStage.EVALUATION)
    return case


async def needs_attention_retry(h: Harness) -> Case:
    case = await h.open()
    h.fakes.refuse["billing.issue_invoice"].append("StripeRejected")
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.until(lambda s: s.attention is not None, "needs attention")
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF))
    await case.stage(CaseStage.EVALUATION)
    return case


async def cancelled_in_payment(h: Harness) -> Case:
    case = await h.open()
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(number)
    await case.until(lambda s: bool(s.invoices), "invoiced")
    await case.cancel()
    await case.handle.result()
    return case


async def long_outcome_wait(h: Harness) -> Case:
    policy = CasePolicy(outcome_reminder_every=timedelta(days=30), continue_as_new_after_events=300)
    case = await h.open(policy=policy)
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.pay_invoices()
    await case.stage(CaseStage.EVALUATION)
    await h.env.sleep(timedelta(days=2 * 365))
    # Continued as new at least once (``runs`` counts them; today's cases may also continue at a stage change).
    await case.until(lambda s: s.runs >= 2 and s.stage == CaseStage.EVALUATION, "continued as new")
    await case.evaluate_and_report()
    await case.handle.result()
    return case


SCENARIOS: dict[str, Scenario] = {
    "happy_path": happy_path,
    "review_declined": review_declined,
    "reassigned_after_decline_and_lapse": reassigned_after_decline_and_lapse,
    "contract_loop": contract_loop,
    "report_changes": report_changes,
    "needs_attention_retry": needs_attention_retry,
    "cancelled_in_payment": cancelled_in_payment,
    "long_outcome_wait": long_outcome_wait,
}


async def _entity_state(entity: WorkflowHandle[Any, Any], until: Callable[[AdvocateState], bool],
                        what: str) -> AdvocateState:
    async def state() -> AdvocateState:
        return await entity.query("agreement", result_type=AdvocateState)
    return await eventually(state, until, what=what)


async def advocate_agreement(h: Harness) -> Entity:
    """One Advocate's agreement: pending, a reminder, declined, sent again to two waiting cases, signed, both
    told, continue-as-new (nobody waits), and a later case answered at once by the new run."""
    adv = advocate(f"ADV-{h.run}-E")
    entity = await h.client.start_workflow(
        "AdvocateWorkflow", AdvocateInput(advocate=adv, policy=CasePolicy(
            continue_as_new_after_events=ENTITY_CONTINUE_AS_NEW_AFTER)),
        id=advocate_workflow_id(adv.id), task_queue=TaskQueue.MAIN)
    first = await h.open(advocate_id=adv.id)
    await first.assign("DEF-GT-001")
    await first.accept()
    pending = await _entity_state(entity, lambda s: s.status == "pending", "agreement envelope sent")
    await h.env.sleep(h.policy.agreement_reminder_every + timedelta(minutes=1))
    await mails_eventually(h, "agreement_reminder")
    assert pending.envelope_id
    await entity.signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(event_id=f"{pending.envelope_id}:declined",
                                                             envelope_id=pending.envelope_id, kind="declined"))
    await _entity_state(entity, lambda s: s.status == "declined", "declined")
    second = await h.open(advocate_id=adv.id)
    await second.assign("DEF-GT-003")
    await second.accept()
    await h.env.sleep(h.policy.agreement_reminder_every + timedelta(minutes=1))
    await _entity_state(entity, lambda s: s.status == "pending" and s.attempts == 2, "sent again")
    await first.sign_advocate_agreement()
    await second.until(lambda s: s.agreement.status == "signed", "second case told")
    await eventually(entity.describe, lambda d: d.run_id != entity.first_execution_run_id,
                     what="entity continued as new")
    third = await h.open(advocate_id=adv.id)
    await third.assign("DEF-GT-002")
    await third.accept()
    await third.until(lambda s: s.agreement.status == "signed", "a later case told at once")
    return Entity(handle=entity)


ENTITY_SCENARIOS: dict[str, EntityScenario] = {
    "advocate_agreement": advocate_agreement,
}
