"""A case from REVIEW to CLOSED with everything real but the people (issue "Provider integrations").

Signatures and the payment reach the case only through signed webhooks fired by the sandbox's pages; the
sandbox's ledger then shows exactly one of everything.
"""

from __future__ import annotations

import re

import pytest

from casefac.case import CaseStage
from casefac.status import CaseStatus
from starters.demo_parties import PartyError, PortalParties

from .journey import full_case
from .world import World

pytestmark = pytest.mark.integration


async def test_the_parties_take_a_case_through_all_five_steps(world: World) -> None:
    case = await full_case(world)
    status: CaseStatus = await case.handle.result()
    assert status.stage == CaseStage.CLOSED and status.outcome == "granted"
    assert status.evaluations_from == ["advocate", "defender"]
    sb = world.sandbox
    envelopes = sb.admin("GET", "/_sandbox/envelopes")
    mine = [e for e in _items(envelopes) if case.case_id in str(e) or case.req.advocate.id in str(e)]
    assert len(mine) == 2, "one Advocate Agreement and one contract envelope"
    invoices = [i for i in _items(sb.admin("GET", "/_sandbox/invoices"))
                if i["metadata"].get("case_id") == case.case_id]
    assert [i["status"] for i in invoices] == ["paid"]
    transfers = [t for t in _items(sb.admin("GET", "/_sandbox/transfers"))
                 if t["metadata"].get("case_id") == case.case_id]
    assert len(transfers) == 1 and transfers[0]["destination"] == "acct_defgt001"
    assert transfers[0]["amount"] == status.payouts[0].amount.amount
    # the invoice email carries the LEDES file
    mails = sb.admin("GET", f"/_sandbox/mail?custom_args=case_id={case.case_id}")
    invoice_mail = next(m for m in _items(mails) if (m.get("custom_args") or {}).get("kind") == "invoice_sent")
    assert any(a["filename"].endswith(".ledes.txt") for a in invoice_mail.get("attachments", []))


async def test_a_missing_email_is_a_clear_error(world: World) -> None:
    quick = PortalParties(world.parties.http, world.sandbox.base_url, mail_wait=0.3)
    with pytest.raises(PartyError, match=re.escape("no email to nobody@example.org for case JIM-2026-0001")):
        await quick.evaluate("JIM-2026-0001", "nobody@example.org")


def _items(answer: object) -> list[dict]:  # type: ignore[type-arg]
    if isinstance(answer, dict):
        for key in ("data", "items", "envelopes", "invoices", "transfers", "messages", "mail"):
            if isinstance(answer.get(key), list):
                return answer[key]
    assert isinstance(answer, list), answer
    return answer
