"""The remaining timers: nothing waits silently. Each wait reminds the one who is late, then tells staff."""

from __future__ import annotations

from datetime import timedelta

from casefac.activity_io import ActivityName
from tests.workflow.harness import Harness, mails_eventually


async def test_contract_reminders_go_to_whoever_has_not_acted_then_staff_hear(harness: Harness) -> None:
    case = await harness.open()
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()
    await case.until(lambda s: s.waiting is not None and "complete the case contract" in s.waiting.what,
                     "waiting on the Advocate")
    p = harness.policy
    await harness.env.sleep(p.contract_reminder_every + timedelta(minutes=1))
    [reminder] = await mails_eventually(harness, "contract_reminder", case_id=case.case_id)
    assert reminder.to.role.value == "advocate" and reminder.actions[0].action == "review_contract"
    await harness.env.sleep(p.contract_escalate_after)
    escalations = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert escalations[0].context["step"] == "contract"


async def test_report_and_review_reminders(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    p = harness.policy
    # + 3 days: the reminder waits for the Defender's working hours (Mon–Fri 09:00–18:00 Guatemala, review M8)
    await harness.env.sleep(p.report_reminder_every + timedelta(days=3))
    [nudge] = await mails_eventually(harness, "report_reminder", case_id=case.case_id)
    assert nudge.to.role.value == "defender" and nudge.to.language == "es"
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await harness.env.sleep(p.report_review_reminder_every + timedelta(minutes=1))
    reminders = await mails_eventually(harness, "review_reminder", case_id=case.case_id)
    assert reminders[0].context["what"] == f"report {number}"
    await harness.env.sleep(p.report_review_escalate_after)
    escalations = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert escalations[0].context["step"] == f"report {number}"


async def test_needs_attention_reminds_staff_daily(harness: Harness) -> None:
    case = await harness.open()
    harness.fakes.refuse[ActivityName.LOAD_ROSTER].append("RosterInvalid")
    await case.until(lambda s: s.attention is not None, "needs attention")
    await harness.env.sleep(harness.policy.attention_reminder_every * 2 + timedelta(minutes=1))
    alerts = await mails_eventually(harness, "needs_attention", 3, case_id=case.case_id)
    assert all(a.to.role.value == "staff" and "RosterInvalid" in str(a.context["error"]) for a in alerts)
