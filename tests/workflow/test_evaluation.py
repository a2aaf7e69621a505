"""Step 5, Evaluation: reminders, the long outcome wait, and continue-as-new keeping history small."""

from __future__ import annotations

from datetime import timedelta

from casefac.case import CaseStage
from casefac.evaluation import Evaluation
from casefac.messages import SubmitEvaluation, Update
from casefac.policy import CasePolicy
from tests.workflow.harness import Case, Harness, mails_eventually


async def _to_evaluation(case: Case) -> None:
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.pay_invoices()
    await case.stage(CaseStage.EVALUATION)


async def test_evaluation_reminders_stop_after_the_policy_then_the_case_closes(harness: Harness) -> None:
    case = await harness.open()
    await _to_evaluation(case)
    p = harness.policy
    await case.update(Update.SUBMIT_EVALUATION, SubmitEvaluation(
        actor=case.defender, evaluation=Evaluation(communication=4, quality=4, timeliness=3, overall=4,
                                                   would_work_again=True)))
    for n in range(1, p.evaluation_reminders_max + 1):
        await harness.env.sleep(p.evaluation_reminder_every)
        reminders = await mails_eventually(harness, "evaluation_reminder", n, case_id=case.case_id)
        assert {m.to.role.value for m in reminders} == {"advocate"}
    await harness.env.sleep(p.outcome_wait_max)
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED and result.outcome == "unknown"
    assert result.evaluations_from == ["defender"]
    assert len(harness.fakes.mails("evaluation_reminder")) == p.evaluation_reminders_max
    outcome_reminders = harness.fakes.mails("outcome_reminder")
    assert len(outcome_reminders) == p.outcome_wait_max // p.outcome_reminder_every


async def test_years_of_outcome_reminders_continue_as_new_and_keep_the_case(harness: Harness) -> None:
    policy = CasePolicy(outcome_reminder_every=timedelta(days=30), outcome_wait_max=timedelta(days=5 * 365),
                        continue_as_new_after_events=400)
    case = await harness.open(policy=policy)
    await _to_evaluation(case)
    first_run = (await case.handle.describe()).run_id
    await harness.env.sleep(timedelta(days=3 * 365))
    await mails_eventually(harness, "outcome_reminder", 30, case_id=case.case_id)
    described = await case.handle.describe()
    assert described.run_id != first_run, "the case continued as new"
    s = await case.status()
    assert s.stage == CaseStage.EVALUATION and s.history_events < 400
    assert s.case_id == case.case_id and len(s.invoices) == 1 and s.invoices[0].status == "paid"
    await case.evaluate_and_report()
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED and result.outcome == "granted"
