"""``casefac resend``: the Advocate Agreement and a case's pending party links, re-mailed with fresh links."""

from __future__ import annotations

from casefac.activity_io import ActivityName
from casefac.events import EnvelopeEvent, Signal
from casefac.ids import advocate_workflow_id
from casefac.state import AdvocateState
from tests.cli.conftest import CliWorld
from tests.conftest import eventually
from tests.workflow.harness import Case


async def _in_agreement(world: CliWorld) -> Case:
    case = await world.harness.open()
    await case.assign()
    await case.accept()
    return case


async def _entity_state(world: CliWorld, case: Case) -> AdvocateState:
    handle = world.env.client.get_workflow_handle(advocate_workflow_id(case.req.advocate.id))

    async def probe() -> AdvocateState | None:
        try:
            return await handle.query("agreement", result_type=AdvocateState)
        except Exception:
            return None
    state = await eventually(probe, lambda s: s is not None and s.status == "pending", what="agreement out")
    assert state is not None
    return state


def _mails(world: CliWorld, kind: str, case_id: str) -> list:  # type: ignore[type-arg]
    return [m for m in world.fakes.mails(kind) if m.case_id == case_id]


async def test_resend_the_agreement_after_a_decline_sends_a_fresh_envelope(world: CliWorld) -> None:
    case = await _in_agreement(world)
    state = await _entity_state(world, case)
    handle = world.env.client.get_workflow_handle(advocate_workflow_id(case.req.advocate.id))
    await handle.signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(event_id=f"{state.envelope_id}:declined",
                                                             envelope_id=state.envelope_id or "", kind="declined"))
    ran = await world.cli("resend", case.case_id, "--what", "agreement")
    assert ran.code == 0, ran.text
    assert "fresh envelope" in ran.out and f"to the advocate ({case.req.advocate.id})" in ran.out
    assert "@" not in ran.out  # roles and ids, never an email address
    await eventually(lambda: _count(world, case), lambda n: n == 2, what="a second Agreement email")
    sends = [c for c in world.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE]
             if c.advocate.id == case.req.advocate.id]
    assert [c.attempt for c in sends] == [1, 2]  # at once, a fresh envelope (the old one was declined)
    await case.sign_advocate_agreement()
    again = await world.cli("resend", case.case_id, "--what", "agreement")
    assert again.code == 1 and "already signed" in again.err


async def _count(world: CliWorld, case: Case) -> int:
    return len([m for m in world.fakes.mails("agreement_to_sign") if m.to.party_id == case.req.advocate.id])


async def test_resend_a_pending_party_link_and_refuse_one_that_is_not_pending(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.assign()
    ran = await world.cli("resend", case.case_id, "--what", "offer")
    assert ran.code == 0, ran.text
    assert "re-sent the offer link to the defender" in ran.out
    offers = await eventually(lambda: _async(_mails(world, "assignment_offer", case.case_id)),
                              lambda ms: len(ms) == 2, what="the offer re-sent")
    assert offers[-1].actions[0].epoch == offers[0].actions[0].epoch + 1  # the first link no longer acts
    refused = await world.cli("resend", case.case_id, "--what", "report")
    assert refused.code == 1 and "does not wait for 'report'" in refused.err
    bad = await world.cli("resend", case.case_id, "--what", "nonsense")
    assert bad.code == 2


async def _async(value: object) -> object:
    return value
