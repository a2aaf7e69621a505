"""The paths whose histories make the replay corpus: each drives one case on the time-skipping server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from casefac.case import CaseStage
from casefac.messages import ApproveContract, RespondToAssignment, RetryStep, ReviewCase, ReviewReport, Update
from casefac.policy import CasePolicy
from casefac.report import ReportKind
from tests.workflow.harness import STAFF, Case, Harness

Scenario = Callable[[Harness], Awaitable[Case]]


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
    await h.env.sleep(h.policy.defender_answer_window + timedelta(minutes=1))
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
    await case.until(lambda s: s.history_events < 300 and s.stage == CaseStage.EVALUATION, "continued as new")
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
