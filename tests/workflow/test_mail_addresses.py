"""S2: the mail activity asks the case or the Advocate entity where a party's links go (``mail_addresses``).

The activity side is tested with a fake lookup (``tests/activities/test_act_mail.py``); here the real
lookup (``activities.mail.workflow_addresses``, the activity's own Temporal client) against real workflows.
"""

from __future__ import annotations

import dataclasses

from temporalio.testing import ActivityEnvironment

from activities.mail import workflow_addresses
from casefac.ids import advocate_workflow_id
from casefac.parties import Role
from tests.conftest import eventually
from tests.workflow.world import time_skipping_harness


async def test_the_case_and_the_entity_say_where_a_partys_links_go() -> None:
    async with time_skipping_harness() as h:
        case = await h.open()
        await case.assign()

        async def ask(workflow_id: str, role: Role, party_id: str) -> list[str]:
            env = ActivityEnvironment(client=h.client)
            env.info = dataclasses.replace(env.info, workflow_id=workflow_id)
            return await env.run(workflow_addresses, workflow_id, role, party_id)

        wid = case.handle.id
        advocate, defender = case.req.advocate, (await case.status()).defender_id
        assert await ask(wid, Role.ADVOCATE, advocate.id) == [str(advocate.email)]
        assert await ask(wid, Role.ADVOCATE, "ADV-OTHER") == []
        assert defender and len(await ask(wid, Role.DEFENDER, defender)) == 1
        assert await ask(wid, Role.DEFENDER, "DEF-OTHER") == []

        await case.accept()
        entity = advocate_workflow_id(advocate.id)

        async def entity_answers() -> list[str]:
            try:
                return await ask(entity, Role.ADVOCATE, advocate.id)
            except Exception:
                return []
        assert str(advocate.email) in await eventually(entity_answers, bool, what="the Advocate entity")
        assert await ask(entity, Role.DEFENDER, advocate.id) == []
