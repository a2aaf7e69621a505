"""A staff retry of a failed money step goes out under fresh Stripe idempotency keys, recorded in history.

Stripe replays a failed request's result under its key for 24 h (see ``activities.billing``), so the retry
after NeedsAttention must not reuse the keys that failed: the activity input carries ``key_generation``.
"""

from __future__ import annotations

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import RetryStep, Update
from tests.workflow.harness import STAFF, Harness
from workflows.case_money import MONEY_RETRY_KEY_PATCH


async def test_each_staff_retry_of_the_invoice_and_payout_sends_a_new_key_generation(harness: Harness) -> None:
    case = await harness.open()
    harness.fakes.refuse[ActivityName.ISSUE_INVOICE] += ["StripeUnavailable", "StripeUnavailable"]
    harness.fakes.refuse[ActivityName.PAY_DEFENDER].append("StripeRejected")
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)

    for _ in range(3):  # payout once, invoice twice: they queue for staff one at a time
        await case.until(lambda s: s.attention is not None and s.attention.blocking, "needs attention")
        await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="topped up the balance"))
    s = await case.stage(CaseStage.EVALUATION)

    invoices = harness.fakes.calls[ActivityName.ISSUE_INVOICE]
    payouts = harness.fakes.calls[ActivityName.PAY_DEFENDER]
    assert [i.key_generation for i in invoices] == [0, 1, 2]
    assert [p.key_generation for p in payouts] == [0, 1]
    timeline = [e.event for e in s.timeline]
    assert "invoice for report 1: retried with fresh Stripe idempotency keys (generation 2)" in timeline
    assert "payout for report 1: retried with fresh Stripe idempotency keys (generation 1)" in timeline

    history = await case.handle.fetch_history()
    markers = [e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data for e in history.events
               if e.HasField("marker_recorded_event_attributes")]
    assert any(MONEY_RETRY_KEY_PATCH.encode() in m for m in markers)
