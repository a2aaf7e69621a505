"""The Advocate Agreement entity works only for cases that still wait (issue 12 item 1; review M4, m16;
security C2 §4, m8): a cancelled first case never strands the second, reminders end, staff can re-send,
a forged "completed" does nothing, and changed contact details never silently redirect the Agreement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError

from activities.agreement import AgreementActivities
from casefac.activity_io import ActivityName, EnvelopeTruth
from casefac.case import CaseStage
from casefac.events import AgreementSigned, EnvelopeEvent, Signal
from casefac.ids import advocate_workflow_id
from casefac.messages import Receipt, ResendAgreement, Update
from casefac.parties import Actor, Role
from casefac.policy import CasePolicy
from casefac.state import AdvocateState
from casefac.status import SignerView
from tests.conftest import eventually
from tests.workflow.harness import STAFF, Case, Harness, mails_eventually
from workflows.advocate import MAX_AGREEMENT_REMINDERS


async def _to_agreement(case: Case, defender: str = "DEF-GT-001") -> None:
    await case.assign(defender)
    await case.accept()


def _entity(h: Harness, advocate_id: str) -> Any:
    return h.client.get_workflow_handle(advocate_workflow_id(advocate_id))


async def _state(h: Harness, advocate_id: str, until: Any, what: str) -> AdvocateState:
    async def probe() -> AdvocateState | None:
        try:
            return await _entity(h, advocate_id).query("agreement", result_type=AdvocateState)
        except Exception:  # not started yet
            return None
    state = await eventually(probe, lambda s: s is not None and until(s), what=what)
    assert state is not None
    return state


async def test_a_cancelled_first_case_does_not_strand_the_second(harness: Harness) -> None:
    """Issue 12 item 1: the second case gets a live Agreement link and signs; the first is forgotten."""
    adv = f"ADV-STRAND-{harness.run}"
    first = await harness.open(advocate_id=adv)
    await _to_agreement(first)
    [mail] = await mails_eventually(harness, "agreement_to_sign")
    assert mail.actions[0].case_id == first.case_id
    await first.cancel()
    await first.stage(CaseStage.CANCELLED)
    await _state(harness, adv, lambda s: not s.waiters, "the cancelled case withdrew")

    second = await harness.open(advocate_id=adv)
    await _to_agreement(second, "DEF-GT-003")
    mails = await mails_eventually(harness, "agreement_to_sign", 2)
    assert mails[-1].actions[0].action == "sign_agreement" and mails[-1].actions[0].case_id == second.case_id
    assert len(harness.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE]) == 1  # the same envelope, still out
    state = await _state(harness, adv, lambda s: s.status == "pending", "envelope out")
    assert state.waiters == [f"case-{second.case_id}"]
    await second.sign_advocate_agreement()
    assert (await second.status()).agreement.status == "signed"


async def test_an_agreement_nobody_waits_for_stops_reminding(harness: Harness) -> None:
    adv = f"ADV-ALONE-{harness.run}"
    case = await harness.open(advocate_id=adv)
    await _to_agreement(case)
    await mails_eventually(harness, "agreement_to_sign")
    await case.cancel()
    await case.stage(CaseStage.CANCELLED)
    before = await _state(harness, adv, lambda s: not s.waiters, "withdrawn")
    await harness.env.sleep(harness.policy.agreement_reminder_every * 4)
    after = await _state(harness, adv, lambda s: True, "entity state")
    assert after.mail_seq == before.mail_seq
    assert harness.fakes.mails("agreement_reminder") == []


async def test_reminders_are_capped_then_staff_hear_once(harness: Harness) -> None:
    adv = f"ADV-CAP-{harness.run}"
    case = await harness.open(advocate_id=adv)
    await _to_agreement(case)
    await mails_eventually(harness, "agreement_to_sign")
    every = harness.policy.agreement_reminder_every
    await harness.env.sleep(every * (MAX_AGREEMENT_REMINDERS + 6))
    state = await _state(harness, adv, lambda s: s.stalled, "reminders stopped")
    assert state.reminders == MAX_AGREEMENT_REMINDERS
    reminders = await mails_eventually(harness, "agreement_reminder", MAX_AGREEMENT_REMINDERS)
    assert len(reminders) == MAX_AGREEMENT_REMINDERS
    escalations = await mails_eventually(harness, "staff_escalation", 2)
    assert any("reminders stopped" in str(m.context.get("reason")) for m in escalations)
    # the entity reconciled with DocuSign on each reminder tick (review M7)
    asks = [c.reason for c in harness.fakes.calls[ActivityName.GET_ENVELOPE_STATUS]]
    assert asks.count("reminder") == MAX_AGREEMENT_REMINDERS


async def test_staff_resend_a_declined_agreement_at_once_and_parties_cannot(harness: Harness) -> None:
    adv = f"ADV-RESEND-{harness.run}"
    case = await harness.open(advocate_id=adv)
    await _to_agreement(case)
    state = await _state(harness, adv, lambda s: s.status == "pending", "envelope out")
    entity = _entity(harness, adv)
    advocate = Actor(role=Role.ADVOCATE, id=adv)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await entity.execute_update(Update.RESEND_AGREEMENT, ResendAgreement(actor=advocate), result_type=Receipt)
    assert "only staff" in str(err.value.cause)
    await entity.signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(event_id="decl-1", envelope_id=state.envelope_id or "",
                                                             kind="declined"))
    await _state(harness, adv, lambda s: s.status == "declined", "declined")
    receipt = await entity.execute_update(Update.RESEND_AGREEMENT, ResendAgreement(actor=STAFF), result_type=Receipt)
    assert "fresh envelope" in receipt.message
    await mails_eventually(harness, "agreement_to_sign", 2)  # at once, not after the pause
    assert [c.attempt for c in harness.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE]] == [1, 2]
    state = await _state(harness, adv, lambda s: s.status == "pending", "fresh envelope out")
    assert state.link_epochs.get(f"advocate:{adv}") == 1  # links minted before the re-send stop working
    await case.sign_advocate_agreement()


async def test_a_forged_completed_event_at_the_entity_does_nothing(harness: Harness) -> None:
    """Security C2 §4: DocuSign is asked before the Agreement is in force."""
    adv = f"ADV-FORGE-{harness.run}"
    case = await harness.open(advocate_id=adv)
    await _to_agreement(case)
    state = await _state(harness, adv, lambda s: s.status == "pending", "envelope out")
    assert state.envelope_id
    harness.fakes.envelope_truth[state.envelope_id] = EnvelopeTruth(envelope_id=state.envelope_id, status="sent")
    await _entity(harness, adv).signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(
        event_id="forged-1", envelope_id=state.envelope_id, kind="completed"))
    await eventually(lambda: _calls(harness), lambda n: n >= 1, what="DocuSign asked")
    state = await _state(harness, adv, lambda s: s.to_confirm is None, "confirmation done")
    assert state.status == "pending"
    assert (await case.status()).agreement.status == "pending"


async def _calls(h: Harness) -> int:
    return len([c for c in h.fakes.calls[ActivityName.GET_ENVELOPE_STATUS] if c.reason == "confirm completed"])


async def test_a_forged_agreement_signed_signal_at_the_case_does_nothing(harness: Harness) -> None:
    """Security C2 §4: the case asks the Advocate's entity, which has not seen a signature."""
    case = await harness.open()
    await _to_agreement(case)
    await _state(harness, case.req.advocate.id, lambda s: s.status == "pending", "envelope out")
    await case.handle.signal(Signal.AGREEMENT_SIGNED, AgreementSigned(envelope_id="forged",
                                                                      signed_at=datetime.now(UTC)))
    s = await case.until(lambda s: any("not confirmed" in e.event for e in s.timeline), "forged signal ignored")
    assert s.agreement.status == "pending"
    await case.sign_advocate_agreement()  # the real one still works


async def test_changed_contact_details_do_not_redirect_the_agreement_out(harness: Harness) -> None:
    """Security m8 and review m16: the envelope's signer stays; staff and the old address are told."""
    adv = f"ADV-MOVE-{harness.run}"
    first = await harness.open(advocate_id=adv)
    await _to_agreement(first)
    await _state(harness, adv, lambda s: s.status == "pending", "envelope out")
    old_email = str(first.req.advocate.email)
    req = harness.request(advocate_id=adv)
    req = req.model_copy(update={"advocate": req.advocate.model_copy(update={"email": "someone@elsewhere.example"})})
    from starters.cases import open_case

    handle = await open_case(harness.client, req, harness.policy)
    second = Case(h=harness, handle=handle, req=req)
    await _to_agreement(second, "DEF-GT-003")
    escalations = await mails_eventually(harness, "staff_escalation")
    assert any("other contact details" in str(m.context.get("reason")) for m in escalations)
    [notice] = await mails_eventually(harness, "agreement_contact_changed")
    assert str(notice.to.email) == old_email and notice.actions == []
    s = await second.until(lambda s: any("other contact details" in e.event for e in s.timeline), "on the timeline")
    assert s.stage == CaseStage.AGREEMENT
    view = await _entity(harness, adv).query("signer", result_type=SignerView)
    assert view is not None and view.email == old_email  # the recipient the envelope was sent to (m16)
    state = await _state(harness, adv, lambda s: s.contact_change is None, "told")
    assert state.link_epochs.get(f"advocate:{adv}") == 1
    # mail about the envelope out keeps going to the address it was sent to
    await harness.env.sleep(harness.policy.agreement_reminder_every + timedelta(minutes=1))
    [reminder] = await mails_eventually(harness, "agreement_reminder")
    assert str(reminder.to.email) == old_email


async def test_a_restarted_entity_finds_the_signed_envelope_and_does_not_ask_again(harness: Harness) -> None:
    """Review M4 scenario 3 and m12: the found envelope's real status is honoured."""
    harness.fakes.found_status = "completed"
    case = await harness.open()
    await _to_agreement(case)
    await case.until(lambda s: s.agreement.status == "signed", "agreement found signed")
    assert harness.fakes.mails("agreement_to_sign") == []


async def test_a_new_entity_is_seeded_from_the_case_record() -> None:
    """Review M4: an Advocate whose signed Agreement the record holds is never asked again."""
    signed_at = datetime(2026, 3, 1, tzinfo=UTC)
    acts = AgreementActivities(CasePolicy(), lambda adv: ("env-old", signed_at) if adv == "ADV-1" else None)
    seed = await acts._seed("ADV-1")
    assert seed is not None and seed.status == "signed" and seed.envelope_id == "env-old"
    assert await acts._seed("ADV-2") is None
