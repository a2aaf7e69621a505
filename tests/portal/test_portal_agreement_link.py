"""The Advocate Agreement link is the Advocate's, not the case's (issue 12 item 1): a link mailed for a first
case that was then cancelled still opens the live signing a second case waits for, and it says "already
signed" only once the Agreement really is in force."""

from __future__ import annotations

from typing import Any

from casefac.case import CaseStage
from casefac.parties import Role
from casefac.state import AgreementStatus
from gateway.portal.pending import link_state
from tests.unit.test_links_portal import _action, _status


def test_an_agreement_link_from_a_cancelled_case_still_opens_the_signing() -> None:
    link = _action("sign_agreement", Role.ADVOCATE, "ADV-1")
    pending = AgreementStatus(status="pending")
    assert link_state(link, _status(CaseStage.CANCELLED, agreement=pending)) == "open"
    assert link_state(link, _status(CaseStage.DECLINED, agreement=pending)) == "open"
    assert link_state(link, _status(CaseStage.AGREEMENT, agreement=pending)) == "open"


def test_an_agreement_link_is_done_only_once_the_agreement_is_in_force() -> None:
    link = _action("sign_agreement", Role.ADVOCATE, "ADV-1")
    signed = AgreementStatus(status="signed", envelope_id="env-1")
    assert link_state(link, _status(CaseStage.AGREEMENT, agreement=signed)) == "done"
    assert link_state(link, _status(CaseStage.CANCELLED, agreement=signed)) == "done"


async def test_the_first_cases_agreement_link_opens_the_signing_the_second_case_waits_for(
        portal: Any, harness: Any, settings: Any, monkeypatch: Any) -> None:
    """Issue 12 item 1 through the portal: the link mailed for a cancelled first case still signs."""
    from activities import signing_view as signing_view_activity
    from casefac.ids import advocate_workflow_id
    from starters.demo_parties import read_page
    from tests.portal.stack import link
    from tests.workflow.harness import mails_eventually

    opened: list[str] = []

    def view(_settings: object, envelope_id: str, *_args: object) -> str:
        opened.append(envelope_id)
        return f"https://docusign.example.test/view/{envelope_id}"

    monkeypatch.setattr(signing_view_activity, "create_signing_url", view)
    adv = f"ADV-PORTAL-{harness.run}"
    first = await harness.open(advocate_id=adv)
    await first.assign("DEF-GT-001")
    await first.accept()
    await mails_eventually(harness, "agreement_to_sign", case_id=first.case_id)
    await first.cancel()
    await first.stage(CaseStage.CANCELLED)
    second = await harness.open(advocate_id=adv)
    await second.assign("DEF-GT-003")
    await second.accept()

    party = link(settings, first, "sign_agreement", Role.ADVOCATE)
    page = await portal.get(party)
    assert page.status_code == 200, page.text
    form = next(f for f in read_page(page.text)[0] if f.id == "sign")
    answer = await portal.post(party, data=form.data("sign"))
    assert answer.status_code == 303, answer.text
    state = await harness.client.get_workflow_handle(advocate_workflow_id(adv)).query("agreement")
    assert opened == [state["envelope_id"]]
