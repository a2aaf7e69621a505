"""The strict runner that every workflow test and replay uses refuses non-deterministic code.

Workers run the workflow code without the sandbox (``workers.runner``: it cost a third of the worker's
CPU), so this guard is where a forbidden call is caught: here, in CI. This test proves the guard bites,
and that the workers' runner would not have caught the same mistake.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from tests.conftest import eventually
from tests.workflow.clock_misuse import ClockMisuseWorkflow
from tests.workflow.harness import Harness
from workers.runner import workflow_runner


async def _run(client: Client, *, strict: bool) -> tuple[str | None, list[str]]:
    """Start the broken workflow on a worker with the given runner: its result (if any) and task failures."""
    queue = f"policing-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[ClockMisuseWorkflow],
                      workflow_runner=workflow_runner(strict=strict)):
        handle = await client.start_workflow(ClockMisuseWorkflow.run, id=f"policing-{queue}", task_queue=queue,
                                             execution_timeout=timedelta(minutes=5))

        async def failures() -> list[str]:
            """Task failure messages (decrypted: failure texts are encrypted too)."""
            return [str(await client.data_converter.decode_failure(e.workflow_task_failed_event_attributes.failure))
                    async for e in handle.fetch_history_events()
                    if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]

        if strict:
            found = await eventually(failures, bool, what="the workflow task to fail")
            await handle.terminate("policing test done")
            return None, found
        try:
            return await handle.result(), await failures()
        except WorkflowFailureError:
            return None, await failures()


async def test_the_strict_runner_fails_a_workflow_that_reads_the_wall_clock(harness: Harness) -> None:
    result, failures = await _run(harness.client, strict=True)
    assert result is None
    assert any("datetime.datetime.now" in message for message in failures), failures


async def test_the_workers_runner_does_not_police_so_the_tests_must(harness: Harness) -> None:
    result, failures = await _run(harness.client, strict=False)
    assert result is not None and not failures
