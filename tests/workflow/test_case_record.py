"""The case writes its record at every milestone, beside the case, and never waits on the database."""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.errors import ErrorType
from tests.workflow.harness import Harness


async def test_each_milestone_is_written_and_the_last_snapshot_is_the_closed_case(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    final = await case.close_from_assignment()
    written = harness.fakes.records(case.case_id)
    seqs = [r.seq for r in written]
    assert seqs == sorted(set(seqs)) and len(seqs) >= 6  # increasing, never the same snapshot twice
    assert final.record_seq == final.record_written == seqs[-1]
    stages = [r.stage for r in written]
    for stage in (CaseStage.REVIEW, CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION, CaseStage.CLOSED):
        assert stage in stages, stage
    last = written[-1]
    assert last.stage is CaseStage.CLOSED and last.closed_at is not None
    assert [s.stage for s in last.stages] == [CaseStage.REVIEW, CaseStage.AGREEMENT, CaseStage.ASSIGNMENT,
                                              CaseStage.PAYMENT, CaseStage.EVALUATION, CaseStage.CLOSED]
    # The last snapshot says what the status said at close.
    assert last.invoices == final.invoices and last.payouts == final.payouts
    assert last.invoices[0].history[-1].status == "paid" and last.invoices[0].paid_at is not None
    assert sorted(last.evaluations) == final.evaluations_from
    assert last.outcome is not None and last.outcome.result.value == final.outcome
    assert [r.number for r in last.reports] == [r.number for r in final.reports]
    assert last.reports[0].submitted_at is not None and last.evaluated_at.keys() == last.evaluations.keys()
    assert [o.result for o in last.offers] == ["accepted"]
    assert last.revisions[-1].approvals == [a.value for a in final.contract.approvals]  # type: ignore[union-attr]
    assert set(last.ledes) == {1} and last.ledes[1].startswith("LEDES1998B[]")
    assert last.origin and last.workflow_id == case.handle.id
    # The query that `casefac records sync` reads gives the same snapshot.
    queried = await case.handle.query("record", result_type=type(last))
    assert queried.model_dump(exclude={"recorded_at"}) == last.model_dump(exclude={"recorded_at"})


async def test_a_records_outage_holds_up_nothing_and_the_record_catches_up(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    harness.fakes.records_down = True
    number = await case.submit(case.report())
    await case.approve(number)
    await case.evaluate_and_report()
    await case.pay_invoices()
    behind = await case.stage(CaseStage.CLOSED)  # the case went all the way while the record was down
    assert behind.record_behind and behind.record_written < behind.record_seq
    assert harness.fakes.calls["records.refused"], "the writer kept trying"
    assert (await case.handle.describe()).status == WorkflowExecutionStatus.RUNNING  # waits for its record
    harness.fakes.records_down = False
    final = await case.handle.result()
    assert final.record_written == final.record_seq
    last = harness.fakes.records(case.case_id)[-1]
    assert last.stage is CaseStage.CLOSED and last.seq == final.record_seq and last.invoices[0].status == "paid"


async def test_a_case_id_the_record_holds_for_another_case_is_flagged_and_the_case_goes_on(harness: Harness) -> None:
    harness.fakes.refuse[ActivityName.WRITE_RECORD].append(ErrorType.RECORD_ID_TAKEN)
    case = await harness.open()
    flagged = await case.until(lambda s: s.attention is not None, "the refused record flagged for staff")
    assert flagged.attention is not None and flagged.attention.step == "case record"
    assert flagged.attention.error_type == ErrorType.RECORD_ID_TAKEN and not flagged.attention.blocking
    await case.to_assignment("DEF-GT-001")
    final = await case.close_from_assignment()
    assert final.stage is CaseStage.CLOSED and final.record_behind  # staff see the record never got it
    assert len(harness.fakes.records(case.case_id)) == 1  # refused once for good: the writer stopped there
