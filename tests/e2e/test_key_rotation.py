"""Key rotation mid-case: a case started under key A finishes after key B became current.

Workers and staff move to the rotated ring (A and B, B current) first; until the gateway restarts too, it
cannot read what B wrote and answers 503 ("nothing was saved, try again"), so nothing is lost. After its
restart the same link works. Old payloads still decode, new ones use B, and a reader that lost A fails
loudly, naming the key, instead of returning garbage.
"""

from __future__ import annotations

import asyncio

import pytest

from casefac.case import CaseStage
from casefac.codec import KEY_ID_METADATA, EncryptionCodec, PayloadDecryptionError
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from starters.demo_parties import PartyError
from tests.conftest import eventually
from tests.workflow.fakes import ROSTER

from .world import World

pytestmark = pytest.mark.integration


async def test_a_case_started_under_one_key_finishes_under_the_next(world: World) -> None:
    h, parties = world.harness, world.parties
    ring_path = world.settings.data_dir / "keyring.json"
    case = await h.open()
    defender = ROSTER.get("DEF-GT-001")
    assert defender is not None
    await case.assign(defender.id)
    await parties.defender_responds(case.case_id, str(defender.email))
    await case.stage(CaseStage.AGREEMENT)
    adv = str(case.req.advocate.email)
    sandbox_mail = f"/_sandbox/mail?to={adv}&custom_args=kind=agreement_to_sign"
    await eventually(lambda: asyncio.to_thread(world.sandbox.admin, "GET", sandbox_mail), bool,
                     what="the agreement email")  # rotate at a quiet moment

    ring = KeyRing.load(ring_path)
    old_key = ring.current
    new_key = ring.add_new_key(make_current=True)
    ring.save(ring_path)
    rotated = data_converter(EncryptionCodec(KeyRing.load(ring_path)))
    await world.use_converter(rotated)

    with pytest.raises(PartyError, match="503"):  # the gateway still holds only key A
        await parties.sign(case.case_id, adv, agreement=True)
    world.restart_gateway(rotated)
    await parties.sign(case.case_id, adv, agreement=True)
    await case.until(lambda s: s.agreement.status == "signed", "agreement signed", timeout=20)
    await case.cancel("Rotation test done")
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED

    raw = await world.client()
    history = await raw.get_workflow_handle(case.handle.id).fetch_history()
    key_ids = [p.metadata[KEY_ID_METADATA].decode() for e in history.events
               if e.HasField("activity_task_scheduled_event_attributes")
               for p in e.activity_task_scheduled_event_attributes.input.payloads]
    assert key_ids[0] == old_key and key_ids[-1] == new_key
    assert set(key_ids) == {old_key, new_key}

    only_new = EncryptionCodec(KeyRing.model_validate({"current": new_key,
                                                       "keys": {new_key: ring.keys[new_key]}}))
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads
    with pytest.raises(PayloadDecryptionError, match=old_key):
        await only_new.decode(list(started))
    both = EncryptionCodec(KeyRing.load(ring_path))
    [decoded] = await both.decode(list(started))
    assert decoded.data  # the old payload reads fine with the full ring
