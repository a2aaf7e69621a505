"""Work that needs no waiting goes side by side: one mail activity per workflow task, the signed contract
archived beside the Assignment stage, the payout and the invoice issued together.

All three are ``workflow.patched`` changes: cases recorded before them (``tests/histories``) still
replay, and these tests pin the new behaviour, its failures and its cancel included.
"""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import RetryStep, Update
from casefac.report import ReportKind
from tests.workflow.harness import STAFF, Case, Harness, history_events


def _kinds(batch: object) -> list[str]:
    return [m.kind.value for m in batch.messages]  # type: ignore[attr-defined]


async def test_the_notices_of_one_workflow_task_share_one_mail_activity(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    await case.stage(CaseStage.ASSIGNMENT)
    batches = [_kinds(b) for b in harness.fakes.calls[ActivityName.SEND_MAILS] if b.messages[0].case_id == case.case_id]
    # "signed by all three" and "your assignment starts" are written in the same workflow task: one batch,
    # the three contract_signed messages first, in the order they were written.
    signed = next(k for k in batches if "contract_signed" in k)
    assert signed == ["contract_signed"] * 3 + ["assignment_started"] * 2

    await case.close_from_assignment()

    # Every mail activity in the history is one the fakes saw, and no notice was sent twice.
    events = await history_events(case.handle)
    mail_activities = [e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                       and e.activity_task_scheduled_event_attributes.activity_type.name
                       in (ActivityName.SEND_MAIL, ActivityName.SEND_MAILS)]
    mine = [m for m in harness.fakes.mails() if m.case_id == case.case_id]
    keys = [m.idempotency_key for m in mine]
    assert len(keys) == len(set(keys))
    assert len(mail_activities) < len(mine)  # fewer activities than messages: notices were coalesced
    patches = [json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
               for e in events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    # each marker once (the patches of later releases join the list; none may be written twice)
    assert len(patches) == len(set(patches))
    assert {"case-record", "mail-outbox", "money-view", "payout-beside-invoice",
            "store-documents-beside"} <= set(patches)


async def test_assignment_starts_while_the_signed_contract_is_archived_and_a_failed_archive_is_flagged(
        harness: Harness) -> None:
    harness.fakes.refuse[ActivityName.STORE_SIGNED_DOCUMENTS].append("DocuSignRejected")
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    status = await case.until(lambda s: s.attention is not None, "the failed archive flagged for staff")
    # The Defender is already at work: a failed archive does not hold the case (it is flagged, not blocking).
    assert status.stage == CaseStage.ASSIGNMENT
    assert status.attention is not None and not status.attention.blocking
    assert status.attention.step == "store signed contract"
    assert len(harness.fakes.calls[ActivityName.STORE_SIGNED_DOCUMENTS]) == 1
    result = await case.close_from_assignment()
    assert result.stage == CaseStage.CLOSED


async def _to_payment(harness: Harness) -> Case:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    number = await case.submit(case.report(ReportKind.FINAL))
    await case.approve(number)
    return case


async def test_payout_and_invoice_are_scheduled_in_the_same_workflow_task(harness: Harness) -> None:
    case = await _to_payment(harness)
    result = await case.close_from_payment()
    assert result.stage == CaseStage.CLOSED
    events = await history_events(case.handle)
    attributes = [e.activity_task_scheduled_event_attributes for e in events
                  if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    scheduled = {a.activity_type.name: a.workflow_task_completed_event_id for a in attributes}
    assert scheduled[ActivityName.PAY_DEFENDER] == scheduled[ActivityName.ISSUE_INVOICE]


async def test_both_money_calls_refused_queue_for_staff_one_at_a_time(harness: Harness) -> None:
    harness.fakes.refuse[ActivityName.PAY_DEFENDER].append("StripeRejected")
    harness.fakes.refuse[ActivityName.ISSUE_INVOICE].append("StripeRejected")
    case = await _to_payment(harness)
    first = await case.until(lambda s: s.attention is not None and s.attention.blocking, "the first attention")
    assert first.attention is not None and first.waiting is not None and "retry" in first.waiting.what
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="fixed"))
    second = await case.until(lambda s: s.attention is not None and s.attention.blocking
                              and first.attention is not None and s.attention.step != first.attention.step,
                              "the other step's attention")
    assert second.attention is not None
    assert {first.attention.step, second.attention.step} == {"payout for report 1", "invoice for report 1"}
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="fixed too"))
    result = await case.close_from_payment()
    assert result.stage == CaseStage.CLOSED and result.attention is None
    assert len(harness.fakes.calls[ActivityName.PAY_DEFENDER]) == 2  # refused once, then paid
    assert len(harness.fakes.calls[ActivityName.ISSUE_INVOICE]) == 2
    assert len(result.invoices) == 1 and result.invoices[0].status == "paid"


async def test_a_cancel_while_the_payout_waits_for_staff_still_voids_the_invoice_issued_beside_it(
        harness: Harness) -> None:
    harness.fakes.refuse[ActivityName.PAY_DEFENDER].append("StripeRejected")
    case = await _to_payment(harness)
    await case.until(lambda s: s.attention is not None and bool(s.invoices), "payout flagged, invoice issued")
    await case.cancel()
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED
    assert [i.status for i in result.invoices] == ["void"]
    assert len(harness.fakes.calls[ActivityName.VOID_INVOICE]) == 1
    assert len(harness.fakes.calls[ActivityName.PAY_DEFENDER]) == 1  # the refused attempt only
