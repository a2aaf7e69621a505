"""``casefac resend CASE --what offer``: the re-sent offer names the deadline as the first offer did (the
Defender's local day, time and zone), not a bare UTC date."""

from __future__ import annotations

from casefac.messages import Receipt, ResendLink, Update
from casefac.parties import Actor, Role
from tests.conftest import eventually
from tests.workflow.world import time_skipping_harness

STAFF = Actor(role=Role.STAFF, id="coord.ana")


async def test_a_resent_offer_names_the_local_deadline_as_the_first_offer() -> None:
    async with time_skipping_harness() as h:
        case = await h.open()
        await case.assign()
        [first] = h.fakes.mails("assignment_offer")
        assert first.context.get("answer_by_zone") and first.context.get("answer_by_time")
        receipt = await case.handle.execute_update(Update.RESEND_LINK, ResendLink(actor=STAFF, what="offer"),
                                                   result_type=Receipt)
        assert "re-sent the offer link" in receipt.message

        async def offers() -> list:
            return h.fakes.mails("assignment_offer")
        again = (await eventually(offers, lambda m: len(m) == 2, what="the re-sent offer"))[1]
        for key in ("answer_by", "answer_by_time", "answer_by_zone"):
            assert again.context.get(key) == first.context[key], key
