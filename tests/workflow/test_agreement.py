"""Step 2, Agreement: the one-time Advocate Agreement entity, contract revisions, approvals and signing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import CONTRACT_SIGNERS, ActivityName
from casefac.case import CaseStage
from casefac.messages import ApproveContract, EditContract, Update
from casefac.parties import Role
from tests.workflow.harness import STAFF, Harness, mails_eventually


async def _to_agreement(case, defender: str = "DEF-GT-001") -> None:  # type: ignore[no-untyped-def]
    await case.assign(defender)
    await case.accept()


async def test_two_cases_opened_at_once_for_a_new_advocate_make_one_agreement_envelope(harness: Harness) -> None:
    first = await harness.open(advocate_id="ADV-NEW-1")
    second = await harness.open(advocate_id="ADV-NEW-1")
    await asyncio.gather(_to_agreement(first, "DEF-GT-001"), _to_agreement(second, "DEF-GT-003"))
    await first.sign_advocate_agreement()
    await second.until(lambda s: s.agreement.status == "signed", "second case told")
    assert len(harness.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE]) == 1
    # a later case of the same Advocate never asks again
    third = await harness.open(advocate_id="ADV-NEW-1")
    await _to_agreement(third, "DEF-GT-001")
    await third.until(lambda s: s.agreement.status == "signed", "third case told at once")
    assert len(harness.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE]) == 1
    assert len(harness.fakes.mails("agreement_to_sign")) == 1


async def test_an_edit_makes_a_new_revision_and_clears_approvals(harness: Harness) -> None:
    case = await harness.open()
    await _to_agreement(case)
    s = await case.until(lambda s: s.contract is not None, "draft")
    assert s.contract is not None and s.contract.number == 1
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=1))
    assert (await case.status()).contract.approvals == ["staff"]  # type: ignore[union-attr]
    terms = s.contract.terms.model_copy(update={"special_terms": "Calls only on weekdays."})
    receipt = await case.update(Update.EDIT_CONTRACT, EditContract(actor=case.advocate, base_revision=1, terms=terms))
    assert receipt.number == 2
    s = await case.status()
    assert s.contract is not None and s.contract.approvals == [] and s.contract.number == 2
    assert s.previous_contract is not None and s.previous_contract.number == 1
    assert s.advocate_completed
    # an edit based on a stale revision is refused
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.EDIT_CONTRACT, EditContract(actor=STAFF, base_revision=1, terms=terms))
    assert "base_revision" in str(err.value.cause)
    # each new revision is sent to the parties for review
    await mails_eventually(harness, "contract_review", 6, case_id=case.case_id)


async def test_decline_returns_to_editing_and_a_fresh_envelope_goes_out(harness: Harness) -> None:
    case = await harness.open()
    await _to_agreement(case)
    await case.sign_advocate_agreement()
    revision = await case.complete_and_approve_contract()
    first = await case.envelope()
    await case.envelope_event(first, "recipient_completed", "1")
    await case.envelope_event(first, "recipient_declined", "2")
    s = await case.until(lambda s: s.envelope is not None and s.envelope.status == "declined"
                         and s.contract is not None and not s.contract.approvals, "declined, approvals cleared")
    assert s.stage == CaseStage.AGREEMENT
    await mails_eventually(harness, "contract_returned", 3, case_id=case.case_id)
    # approvals again (no edit needed), then a second envelope
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=case.defender, revision=revision))
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=revision))
    second = await case.envelope()
    assert second != first
    attempts = [c.attempt for c in harness.fakes.calls[ActivityName.SEND_CONTRACT_ENVELOPE]]
    assert attempts == [1, 2]
    await case.sign_all()


async def test_signers_are_asked_in_routing_order_with_reminders_and_escalation(harness: Harness) -> None:
    case = await harness.open()
    await _to_agreement(case)
    await case.sign_advocate_agreement()
    await case.complete_and_approve_contract()
    env = await case.envelope()
    [ask] = await mails_eventually(harness, "contract_to_sign", case_id=case.case_id)
    assert ask.to.role.value == "advocate" and ask.actions[0].action == "sign_contract"
    await case.envelope_event(env, "recipient_completed", "1")
    asks = await mails_eventually(harness, "contract_to_sign", 2, case_id=case.case_id)
    assert asks[1].to.role.value == "defender"
    s = await case.status()
    assert s.waiting is not None and s.waiting.role == "defender" and "sign" in s.waiting.what
    await harness.env.sleep(harness.policy.signature_reminder_every + timedelta(minutes=1))
    [reminder] = await mails_eventually(harness, "signature_reminder", case_id=case.case_id)
    assert reminder.to.role.value == "defender"
    await harness.env.sleep(harness.policy.signature_escalate_after)
    await mails_eventually(harness, "staff_escalation", case_id=case.case_id)


async def test_agreement_reminders_and_escalation_come_from_the_entity(harness: Harness) -> None:
    case = await harness.open()
    await _to_agreement(case)
    await mails_eventually(harness, "agreement_to_sign")
    await harness.env.sleep(harness.policy.agreement_reminder_every + timedelta(minutes=1))
    await mails_eventually(harness, "agreement_reminder")
    await harness.env.sleep(harness.policy.agreement_escalate_after)
    escalations = await mails_eventually(harness, "staff_escalation")
    assert any(m.context.get("step") == "Advocate Agreement" for m in escalations)


async def test_a_declined_agreement_is_sent_again_after_a_pause(harness: Harness) -> None:
    case = await harness.open()
    await _to_agreement(case)
    await mails_eventually(harness, "agreement_to_sign")
    from casefac.events import EnvelopeEvent, Signal
    from casefac.ids import advocate_workflow_id

    entity = harness.client.get_workflow_handle(advocate_workflow_id(case.req.advocate.id))
    first = harness.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE][0]
    await entity.signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(event_id="d1", envelope_id=f"agr-{first.advocate.id}-1",
                                                             kind="declined"))
    await mails_eventually(harness, "staff_escalation")
    await harness.env.sleep(harness.policy.agreement_reminder_every + timedelta(minutes=1))
    await mails_eventually(harness, "agreement_to_sign", 2)
    assert [c.attempt for c in harness.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE]] == [1, 2]
    await case.sign_advocate_agreement()


async def test_envelope_completed_before_the_last_signature_event_reads_the_same(harness: Harness) -> None:
    """Providers deliver in no set order: "completed" may overtake the last recipient's own event. The
    timeline then still names every signer once, and the late event adds nothing."""
    case = await harness.open()
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()
    await case.complete_and_approve_contract()
    env_id = await case.envelope()
    await case.envelope_event(env_id, "recipient_completed", CONTRACT_SIGNERS[Role.ADVOCATE])
    await case.envelope_event(env_id, "completed")  # overtakes the Defender's and staff's events
    await case.envelope_event(env_id, "recipient_completed", CONTRACT_SIGNERS[Role.DEFENDER])
    await case.envelope_event(env_id, "recipient_completed", CONTRACT_SIGNERS[Role.STAFF])
    status = await case.stage(CaseStage.ASSIGNMENT)
    signed = [e.event for e in status.timeline if e.event.startswith("contract signed by recipient")]
    assert sorted(signed) == [f"contract signed by recipient {rid}" for rid in sorted(CONTRACT_SIGNERS.values())]
    assert status.envelope is not None and sorted(status.envelope.signed) == sorted(CONTRACT_SIGNERS.values())
