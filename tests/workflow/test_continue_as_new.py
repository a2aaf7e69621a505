"""Review M2: continue-as-new from any stage, and a case that resumes mid-wait with the same deadlines."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.service import RPCError

from casefac import timezones
from casefac.case import CaseStage
from casefac.messages import ReviewCase, Update
from casefac.policy import CasePolicy
from casefac.status import CaseStatus
from tests.conftest import eventually
from tests.workflow.harness import STAFF, Case, Harness, mails_eventually


async def _status(case: Case) -> CaseStatus | None:
    """The status, or None while the case is between runs (a query may time out on the test server then)."""
    try:
        return await case.status()
    except RPCError:
        return None


async def test_a_long_wait_in_assignment_continues_as_new_and_resumes_mid_wait(harness: Harness) -> None:
    """Reminders grow the history past the limit while the case waits for the report: it starts a new run
    at the top of the wait (outside EVALUATION), with the same clock, and goes on to close."""
    policy = CasePolicy(continue_as_new_after_events=200, report_reminder_every=timedelta(days=1),
                        reminders_max_per_wait=20)
    case = await harness.open(policy=policy)
    await case.to_assignment()
    before = await case.until(lambda s: s.waiting is not None and "report" in s.waiting.what, "waiting for a report")
    assert before.runs == 1 and before.waiting is not None
    for _ in range(6):
        await harness.env.sleep(timedelta(days=1))
    s = await eventually(lambda: _status(case), lambda s: s is not None and s.runs >= 2 and s.waiting is not None,
                         what="a new run, waiting again")
    assert s is not None and s.waiting is not None
    assert s.stage == CaseStage.ASSIGNMENT and s.waiting.since == before.waiting.since  # the same wait, resumed
    assert len([m for m in harness.fakes.mails("assignment_started") if m.case_id == case.case_id]) == 2  # D + A
    reminders = [m for m in harness.fakes.mails("report_reminder") if m.case_id == case.case_id]
    assert len(reminders) >= 3
    result = await case.close_from_assignment()
    assert result.stage == CaseStage.CLOSED and result.runs >= 2


async def _offer_quietly(case: Case) -> None:
    """Staff offer the case; the case continues as new at once, so poll only with ``_status``."""
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    await case.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="accept", defender_id="DEF-GT-001"))
    case.defender_id = "DEF-GT-001"


async def test_a_case_resumes_mid_offer_after_continue_as_new_with_the_same_deadline(harness: Harness) -> None:
    case = await harness.open(policy=CasePolicy(continue_as_new_after_events=20))
    await _offer_quietly(case)
    s = await eventually(lambda: _status(case), lambda s: s is not None and s.runs >= 2 and s.waiting is not None
                         and s.waiting.role == "defender", what="a new run, waiting on the Defender",
                         timeout=60)  # a loaded CI machine: queries between runs answer late
    assert s is not None and s.waiting is not None and s.offer_deadline is not None
    [offer] = await mails_eventually(harness, "assignment_offer", case_id=case.case_id)  # not sent again
    deadline = s.offer_deadline
    assert offer.context["answer_by"] == timezones.local_date(deadline, "America/Guatemala").isoformat()
    assert s.waiting.since == s.offers[-1].offered_at  # the wait's clock came along
    await harness.env.sleep(deadline - s.offers[-1].offered_at + timedelta(minutes=1))
    s = await eventually(lambda: _status(case), lambda s: s is not None and s.defender_id is None,
                         what="the offer lapsed at the same deadline")
    assert s is not None
    lapsed = s.offers[-1]
    assert lapsed.result == "no_answer" and lapsed.answered_at is not None
    assert deadline <= lapsed.answered_at <= deadline + timedelta(minutes=1)
    await mails_eventually(harness, "assignment_offer", 2, case_id=case.case_id)  # the half-window reminder


async def test_the_summary_line_survives_continue_as_new_in_current_details(harness: Harness) -> None:
    """m15: ``continue_as_new`` takes no static summary; the current details carry the same line."""
    case = await harness.open(policy=CasePolicy(continue_as_new_after_events=20))
    await _offer_quietly(case)
    await eventually(lambda: _status(case), lambda s: s is not None and s.runs >= 2, what="a new run")

    async def details() -> str:
        try:
            metadata = await case.handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        except RPCError:
            return ""
        return str(metadata.current_details)

    text = await eventually(details, lambda d: "Case " in d, what="current details")
    assert f"Case {case.case_id} · GT · protection" in text
