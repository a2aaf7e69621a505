"""Step 1, Case Review: decline, Defender declines, Defender does not answer, and the review timers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.case import CaseStage
from casefac.messages import RespondToAssignment, ReviewCase, Update
from tests.workflow.harness import STAFF, Harness, mails_eventually


async def test_staff_decline_closes_the_case_and_tells_the_advocate(harness: Harness) -> None:
    case = await harness.open()
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    await case.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="decline", reason="Out of scope"))
    result = await case.handle.result()
    assert result.stage == CaseStage.DECLINED
    [mail] = await mails_eventually(harness, "case_declined", case_id=case.case_id)
    assert mail.to.role.value == "advocate" and mail.context["reason"] == "Out of scope"


async def test_defender_declines_then_staff_assign_another(harness: Harness) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.update(Update.RESPOND_TO_ASSIGNMENT,
                      RespondToAssignment(actor=case.defender, accept=False, reason="Conflict of interest"))
    s = await case.until(lambda s: s.defender_id is None and s.waiting is not None and s.waiting.role == "staff",
                         "back to review")
    assert s.stage == CaseStage.REVIEW
    await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    # the Defender who declined cannot be offered the same case again
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="accept", defender_id="DEF-GT-001"))
    assert "already declined" in str(err.value.cause)
    await case.assign("DEF-GT-003")
    await case.accept()
    assert (await case.status()).defender_id == "DEF-GT-003"


async def test_no_answer_within_the_window_returns_to_review(harness: Harness) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    offered = await case.status()
    assert offered.offer_deadline is not None  # the Defender's local end of day, business days (M8)
    await harness.env.sleep(offered.offer_deadline - offered.offers[-1].offered_at + timedelta(minutes=1))
    s = await case.until(lambda s: s.defender_id is None, "offer lapsed")
    assert s.stage == CaseStage.REVIEW
    assert any("did not answer" in e.event for e in s.timeline)
    # the lapsed offer can no longer be accepted
    with pytest.raises(WorkflowUpdateFailedError):
        await case.update(Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=case.defender, accept=True))


async def test_review_reminders_then_escalation(harness: Harness) -> None:
    case = await harness.open()
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    await harness.env.sleep(harness.policy.review_reminder_every + timedelta(minutes=1))
    await mails_eventually(harness, "review_reminder", case_id=case.case_id)
    await harness.env.sleep(harness.policy.review_escalate_after)
    [escalation] = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert escalation.to.role.value == "staff"
    assert len(harness.fakes.mails("review_reminder")) >= 2
