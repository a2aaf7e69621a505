"""Re-record the replay corpus: ``python -m tests.histories.record [NAME ...]``.

Run it when a deliberate, patched change to workflow code should become the new baseline; keep the old
files too (rename them ``*.v1.json``) so running cases recorded before the change still replay.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agreement import AgreementActivities
from casefac.activity_io import TaskQueue
from casefac.converter import data_converter
from casefac.policy import CasePolicy
from tests.conftest import binary, quiet_runtime
from tests.histories.scenarios import SCENARIOS
from tests.workflow.conftest import register_search_attributes
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow

HERE = Path(__file__).parent


async def record(name: str) -> list[Path]:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=binary("temporal-test-server"),
                                                        data_converter=data_converter(None),
                                                        runtime=quiet_runtime())
    try:
        await register_search_attributes(env.client)
        fakes = FakeProviders()
        queues = fakes.by_queue()
        queues[TaskQueue.MAIN].append(AgreementActivities(CasePolicy()).request_agreement)
        workers = [Worker(env.client, task_queue=q, activities=a, activity_executor=ThreadPoolExecutor(2),
                          workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if q == TaskQueue.MAIN else [],
                          workflow_runner=workflow_runner()) for q, a in queues.items()]
        for w in workers:
            await w.__aenter__()
        try:
            h = Harness(env=env, client=env.client, fakes=fakes, policy=CasePolicy(), run="REC",
                        numbers=itertools.count(1))
            case = await SCENARIOS[name](h)
            written = []
            # every run of the case (continue-as-new makes several), oldest first
            runs = []
            run_id: str | None = (await case.handle.describe()).run_id
            while run_id:
                handle = env.client.get_workflow_handle(case.handle.id, run_id=run_id)
                history = await handle.fetch_history()
                runs.append(history)
                first = history.events[0].workflow_execution_started_event_attributes
                run_id = first.continued_execution_run_id or None
            for i, history in enumerate(reversed(runs)):
                path = HERE / (f"{name}.json" if len(runs) == 1 else f"{name}.run{i + 1}.json")
                path.write_text(history.to_json())
                written.append(path)
            desc = await case.handle.describe()
            if desc.status == WorkflowExecutionStatus.RUNNING:
                await case.handle.terminate("recorded")
            return written
        finally:
            for w in workers:
                await w.__aexit__(None, None, None)
    finally:
        await env.shutdown()


async def main(names: list[str]) -> None:
    for name in names or list(SCENARIOS):
        for path in await record(name):
            print(f"recorded {path.relative_to(HERE.parent.parent)} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
