"""The case keeps its record: after each milestone a snapshot goes to ``records.write``, beside the case.

The writer is a background loop, so the case never waits for the database: when the record is down the
activity retries with backoff and the case carries on (``casefac status`` says the record is behind). A
burst of milestones in one workflow task is one write, and a write still in flight is followed by one
more with the newest snapshot (each snapshot is whole, so skipping the ones in between loses nothing).
A finished case does not return before its last milestone is written, so the record holds the closed case
before Temporal's retention clock starts (a continue-as-new carries the numbers over; the new run writes).

Runs started before the record existed go on without the writer (``workflow.patched``: their next run, after
a continue-as-new, writes); ``casefac records sync`` copies them through the ``record`` query.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from casefac import ledes
    from casefac.activity_io import ActivityName
    from casefac.errors import ErrorType
    from casefac.record import CaseRecord, RecordWritten, build_record
    from casefac.state import Attention
    from workflows.options import OPTIONS


from workflows.case_money import CaseMoney

#: ``workflow.patched`` id: the case writes its record (``records.write``) at every milestone.
CASE_RECORD_PATCH = "case-record"


class CaseRecorder(CaseMoney):
    def _keeps_record(self) -> bool:
        """True for cases that write their record (all since the patch); replays of older ones say False."""
        return workflow.patched(CASE_RECORD_PATCH)

    def _record_snapshot(self, *, with_ledes: bool = True) -> CaseRecord:
        info = workflow.info()
        return build_record(self.req, self.s, seq=self.s.record_seq, origin=info.first_execution_run_id,
                            workflow_id=info.workflow_id, recorded_at=workflow.now(),
                            ledes=self._ledes_texts() if with_ledes else {})

    def _ledes_texts(self) -> dict[int, str]:
        texts = {}
        for invoice in self.s.invoices:
            try:
                texts[invoice.report_number] = ledes.render(self._ledes_invoice(invoice.report_number))
            except ValueError:  # the report and its pricing disagree: the record keeps the rest
                continue
        return texts

    def _record_done(self) -> bool:
        return self.s.record_refused or self.s.record_written >= self.s.record_seq

    async def _keep_record(self) -> None:
        opts = OPTIONS[ActivityName.WRITE_RECORD]
        while not self.s.record_refused:
            await workflow.wait_condition(lambda: self.s.record_written < self.s.record_seq)
            # The LEDES files (they repeat the reports' lines) ride only on a finished case's snapshot: the
            # record needs them once Temporal has forgotten the case, and every write is in history.
            snapshot = self._record_snapshot(with_ledes=self.s.stage.terminal)
            try:
                await workflow.execute_activity(
                    ActivityName.WRITE_RECORD, snapshot, result_type=RecordWritten, task_queue=opts.task_queue,
                    start_to_close_timeout=opts.start_to_close, schedule_to_close_timeout=opts.schedule_to_close,
                    retry_policy=opts.retry, summary=f"Case record {self.req.case_id} · #{snapshot.seq}")
            except ActivityError as err:
                cause = err.cause
                etype = (cause.type if isinstance(cause, ApplicationError) and cause.type
                         else type(cause).__name__ if cause is not None else ErrorType.RECORDS_UNAVAILABLE)
                self.s.record_refused = True  # in state: a continued run does not try (and flag) again
                self._flag(Attention(step="case record", error_type=etype,
                                     message=cause.message if cause is not None else str(err),
                                     since=workflow.now(), blocking=False))
                return
            self.s.record_written = max(self.s.record_written, snapshot.seq)
