"""The case workflow of the release before the case record: today's code with the record writer switched off.

In a module of its own, with workflow imports only: the strict sandbox re-imports the module a workflow
is defined in.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac.state import CaseInput
    from casefac.status import CaseStatus

from workflows.case import CaseFacilitationWorkflow


@workflow.defn(name="CaseFacilitationWorkflow")
class BeforeTheRecord(CaseFacilitationWorkflow):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        return await super().run(inp)

    def _keeps_record(self) -> bool:
        return False
