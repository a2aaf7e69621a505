"""Issue 12 item 2: the Defender's decline reason reaches staff (state, status, email, timeline)."""

from __future__ import annotations

from rich.console import Console

from casefac.mail_render import render_mail
from casefac.messages import RespondToAssignment, Update
from starters.render import status_view
from tests.workflow.harness import Harness, mails_eventually

REASON = "Conflicto de interés: represento a la otra parte"


async def test_the_decline_reason_is_kept_shown_and_mailed_to_staff_as_a_decline(harness: Harness) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.update(Update.RESPOND_TO_ASSIGNMENT,
                      RespondToAssignment(actor=case.defender, accept=False, reason=REASON))
    s = await case.until(lambda s: s.defender_id is None and s.waiting is not None and s.waiting.role == "staff",
                         "back to review")
    assert s.offers[-1].result == "declined" and s.offers[-1].reason == REASON
    assert any(REASON in e.event for e in s.timeline)
    assert "offers" in s.model_dump(mode="json")  # ``casefac status --json`` carries it
    [mail] = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert mail.to.role.value == "staff"
    assert mail.context["declined_by"] == "DEF-GT-001" and mail.context["decline_reason"] == REASON
    rendered = render_mail("staff_escalation", "en", mail.context)
    assert "declined" in rendered.subject and REASON in rendered.text
    assert "waiting too long" not in rendered.text
    assert s.declined_defenders == ["DEF-GT-001"]  # an explicit decline still bars the Defender
    console = Console(record=True, width=200)
    console.print(status_view(s))  # ``casefac status``: the table staff read
    table = console.export_text()
    assert "Offers" in table and "DEF-GT-001 · declined" in table and REASON in table
