"""A deliberately broken workflow (reads the wall clock) for ``test_runner_policing``; never registered in a worker."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow


@workflow.defn(name="ClockMisuseWorkflow")
class ClockMisuseWorkflow:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # non-deterministic: workflows must use workflow.now()
