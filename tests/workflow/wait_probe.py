"""The case's own ``_wait``, where what it waits for comes true in the very activation its timer fires.

That is the situation of a Defender who accepts as the window ends (or whose click waited out a worker
outage): the update's handler runs in the timer's activation, before wait conditions are checked (review
M1). The time-skipping server cannot hold an update back for a stopped worker, so the probe makes ``done``
turn true with the clock itself. In a module of its own, with workflow imports only (the strict sandbox
re-imports the module a workflow is defined in).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac.activity_io import MailKind
    from casefac.case import CaseStage
    from casefac.messages import CancelCase
    from casefac.parties import Actor, Role
    from casefac.state import CaseInput
    from casefac.status import CaseStatus

from workflows.case import CaseFacilitationWorkflow
from workflows.case_core import CaseCancelled


@workflow.defn(name="WaitRaceProbe")
class WaitRaceProbe(CaseFacilitationWorkflow):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        until = workflow.now() + timedelta(days=3)
        answered = await self._wait(lambda: workflow.now() >= until, who=lambda: ("defender", None, "answer"),
                                    until=until)
        self._event(f"answered={answered}")
        return self.status()


@workflow.defn(name="MailFloodProbe")
class MailFloodProbe(CaseFacilitationWorkflow):
    """Twelve notices in one workflow task (reminders piling up after an outage), more than a batch holds (m1)."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        for n in range(12):
            await self._mail(MailKind.REVIEW_REMINDER, self._to_staff(), {"what": "review", "reminder": n + 1})
        await workflow.wait_condition(self._beside_done)
        return self.status()


@workflow.defn(name="CancelBeforeEvaluationProbe")
class CancelBeforeEvaluationProbe(CaseFacilitationWorkflow):
    """A cancel accepted while the payment step finished: EVALUATION must not say "please evaluate" (m9)."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        self.s.cancel = CancelCase(actor=Actor(role=Role.STAFF, id="coord.ana"), reason="The client withdrew")
        self.s.stage = CaseStage.EVALUATION
        try:
            await self._evaluation()
        except CaseCancelled:
            self._event("cancel seen before any notice")
        await workflow.wait_condition(self._beside_done)
        return self.status()
