"""Waits (review M1, M2, m22): an update that lands with the timer wins; reminders end in an escalation."""

from __future__ import annotations

from datetime import timedelta

from casefac.activity_io import ActivityName, TaskQueue
from casefac.policy import CasePolicy
from casefac.state import CaseInput
from casefac.status import CaseStatus
from tests.workflow.harness import Harness, mails_eventually
from tests.workflow.wait_probe import CancelBeforeEvaluationProbe, MailFloodProbe, WaitRaceProbe
from tests.workflow.world import main_queue_worker, time_skipping_harness


async def test_what_comes_true_with_the_timer_wins_over_the_timer() -> None:
    async with time_skipping_harness(workflows_worker=False) as h, main_queue_worker(h, WaitRaceProbe):
        req = h.request()
        result = await h.client.execute_workflow(
            "WaitRaceProbe", CaseInput(request=req, policy=h.policy), id=f"probe-{req.case_id}",
            task_queue=TaskQueue.MAIN, result_type=CaseStatus)
        assert result.timeline[-1].event == "answered=True"


async def test_half_window_reminder_then_lapse_does_not_bar_the_defender(harness: Harness) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    s = await case.status()
    assert s.offer_deadline is not None
    await harness.env.sleep(s.offer_deadline - s.offers[-1].offered_at + timedelta(minutes=1))
    s = await case.until(lambda s: s.defender_id is None, "offer lapsed")
    offers = [m for m in harness.fakes.mails("assignment_offer") if m.case_id == case.case_id]
    assert len(offers) == 2 and offers[1].context.get("reminder") == 1
    assert s.declined_defenders == [] and s.offers[-1].result == "no_answer"
    await case.assign("DEF-GT-001")  # staff may offer it again (M8: only an explicit decline bars)
    await case.accept()


async def test_reminders_stop_at_the_cap_then_staff_are_escalated_then_weekly(harness: Harness) -> None:
    policy = CasePolicy(report_reminder_every=timedelta(days=1), report_escalate_after=timedelta(days=60),
                        reminders_max_per_wait=3, slow_reminder_every=timedelta(days=7))
    case = await harness.open(policy=policy)
    await case.to_assignment()
    await case.until(lambda s: s.waiting is not None and "report" in s.waiting.what, "waiting for the report")
    for _ in range(9):  # reminders wait for the Defender's working hours: a weekend may delay them
        await harness.env.sleep(timedelta(days=1))
    await mails_eventually(harness, "report_reminder", 3, case_id=case.case_id)
    [escalation] = await mails_eventually(harness, "staff_escalation", 1, case_id=case.case_id)
    assert escalation.context["step"] == "report"
    assert len([m for m in harness.fakes.mails("report_reminder") if m.case_id == case.case_id]) == 3
    assert len([m for m in harness.fakes.mails("staff_escalation") if m.case_id == case.case_id]) == 1
    await harness.env.sleep(timedelta(days=1, hours=1))
    weekly = await mails_eventually(harness, "staff_escalation", 2, case_id=case.case_id)
    assert "reminders to them have stopped" in str(weekly[1].context["reason"])
    assert len([m for m in harness.fakes.mails("report_reminder") if m.case_id == case.case_id]) == 3


async def test_twelve_notices_in_one_workflow_task_all_go_out_in_batches_of_ten() -> None:
    async with time_skipping_harness(workflows_worker=False) as h, main_queue_worker(h, MailFloodProbe):
        req = h.request()
        result = await h.client.execute_workflow(
            "MailFloodProbe", CaseInput(request=req, policy=h.policy), id=f"flood-{req.case_id}",
            task_queue=TaskQueue.MAIN, result_type=CaseStatus)
        sent = [m for m in h.fakes.mails("review_reminder") if m.case_id == req.case_id]
        assert sorted(int(m.context["reminder"]) for m in sent) == list(range(1, 13))  # none dropped
        assert sorted(len(b.messages) for b in h.fakes.calls[ActivityName.SEND_MAILS]) == [2, 10]
        assert result.attention is None


async def test_no_please_evaluate_after_a_cancel_accepted_in_the_previous_step() -> None:
    async with time_skipping_harness(workflows_worker=False) as h, main_queue_worker(h, CancelBeforeEvaluationProbe):
        req = h.request()
        result = await h.client.execute_workflow(
            "CancelBeforeEvaluationProbe", CaseInput(request=req, policy=h.policy), id=f"m9-{req.case_id}",
            task_queue=TaskQueue.MAIN, result_type=CaseStatus)
        assert result.timeline[-1].event == "cancel seen before any notice"
        assert not [m for m in h.fakes.mails("evaluation_request") if m.case_id == req.case_id]
