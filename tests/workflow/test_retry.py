"""Review M3: ``retry`` re-runs what failed, with the inputs staff corrected (``amend_defender``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import AmendParty, RespondToAssignment, RetryStep, Update
from tests.workflow.harness import STAFF, Harness, mails_eventually

FIXED = "maria.lopez@defensoras.example.org"


async def test_a_failed_offer_email_pauses_the_offer_until_staff_fix_the_address_and_retry(harness: Harness) -> None:
    case = await harness.open()
    await mails_eventually(harness, "case_received", case_id=case.case_id)
    harness.fakes.refuse[ActivityName.SEND_MAIL].append("SendGridRejected")  # the offer's email
    await case.assign("DEF-GT-001")
    s = await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff" and s.failed_mails == 1,
                         "offer email failed")
    assert s.attention is not None and not s.attention.blocking
    first_deadline = s.offers[-1].answer_by
    assert first_deadline is not None
    await harness.env.sleep(timedelta(days=8))  # far past the window: the offer does not lapse unseen
    s = await case.status()
    assert s.defender_id == "DEF-GT-001" and s.offers[-1].result == "open"
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.AMEND_DEFENDER,
                          AmendParty(actor=STAFF, email=harness.fakes.mails("assignment_offer")[-1].to.email))
    assert "already these" in str(err.value.cause)
    await case.update(Update.AMEND_DEFENDER, AmendParty(actor=STAFF, email=FIXED, note="typo in the roster"))
    receipt = await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="fixed the address"))
    assert "again" in receipt.message
    offers = await mails_eventually(harness, "assignment_offer", 2, case_id=case.case_id)
    assert offers[-1].to.email == FIXED
    s = await case.until(lambda s: s.failed_mails == 0 and s.waiting is not None and s.waiting.role == "defender",
                         "offer out again")
    assert s.offer_deadline is not None and s.offer_deadline > first_deadline + timedelta(days=7)
    assert any("corrected by staff" in e.event for e in s.timeline)
    await case.update(Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=case.defender, accept=True))
    await case.stage(CaseStage.AGREEMENT)


async def test_a_failed_email_is_sent_again_on_retry(harness: Harness) -> None:
    harness.fakes.refuse[ActivityName.SEND_MAIL].append("SendGridRejected")  # the case_received mail
    case = await harness.open()
    await case.until(lambda s: s.attention is not None and s.failed_mails == 1, "flagged")
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF))
    sent = await mails_eventually(harness, "case_received", 2, case_id=case.case_id)
    assert sent[0].idempotency_key == sent[1].idempotency_key  # the same mail, not a new one
    s = await case.until(lambda s: s.attention is None and s.failed_mails == 0, "sent")
    assert s.stage == CaseStage.REVIEW


async def test_two_non_blocking_problems_are_both_kept_and_cleared_one_retry_at_a_time(harness: Harness) -> None:
    """m8: a second bounced/unsent email no longer replaces the first in the one attention slot."""
    harness.fakes.refuse[ActivityName.SEND_MAIL] += ["SendGridRejected", "SendGridRejected"]
    case = await harness.open()
    await case.until(lambda s: s.attention is not None, "first flagged")
    await case.assign("DEF-GT-001")  # its offer email fails too
    s = await case.until(lambda s: len(s.notices) == 1, "second kept")
    assert s.attention is not None and "case_received" in s.attention.step
    assert "assignment_offer" in s.notices[0].step
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF))
    s = await case.until(lambda s: not s.notices and s.attention is not None
                         and "assignment_offer" in s.attention.step, "the second in the slot")
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF))
    s = await case.until(lambda s: s.attention is None and s.failed_mails == 0, "all clear")
