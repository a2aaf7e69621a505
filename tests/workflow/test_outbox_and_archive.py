"""Notices of one workflow task go out in one mail activity; the signed contract is archived beside the work.

Both are ``workflow.patched`` changes: cases recorded before them (``tests/histories``) still replay, and
these tests pin the new behaviour.
"""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.report import ReportKind
from tests.workflow.harness import Harness, history_events


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

    number = await case.submit(case.report(ReportKind.FINAL))
    await case.approve(number)
    await case.evaluate_and_report()
    await case.pay_invoices()
    await case.handle.result()

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
    assert sorted(patches) == ["mail-outbox", "store-documents-beside"]  # each recorded once


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
    number = await case.submit(case.report(ReportKind.FINAL))
    await case.approve(number)
    await case.evaluate_and_report()
    await case.pay_invoices()
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED
