"""The strict runner that every workflow test and replay uses refuses non-deterministic code.

Workers run the workflow code without the sandbox (``workers.runner``: it cost a third of the worker's
CPU), so this guard is where a forbidden call is caught: here, in CI. This test proves the guard bites,
and that the workers' runner would not have caught the same mistake.

It also settles review M9's claim: the same call one module away, in a ``casefac`` helper, is *not*
caught, because the sandbox passes ``casefac`` through (``workers.runner.PASSTHROUGH``) and a passed-through
module calls the real ``datetime``. That gap is closed by the static guard
(``test_determinism_static.py``), which reads every module the workflows import.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.worker import Worker

from tests.conftest import eventually
from tests.workflow import passthrough_probe
from tests.workflow.clock_misuse import ClockMisuseWorkflow
from tests.workflow.harness import Harness
from tests.workflow.test_determinism_static import findings
from workers.runner import PASSTHROUGH, workflow_runner

passthrough_probe.register()  # before the workflow module imports it, as the host imports casefac
from tests.workflow.helper_clock_misuse import HelperClockMisuseWorkflow  # noqa: E402


async def _run(client: Client, *, strict: bool, workflow_cls: type = ClockMisuseWorkflow,
               caught: bool | None = None) -> tuple[str | None, list[str]]:
    """Start the broken workflow on a worker with the given runner: its result (if any) and task failures.

    ``caught`` (default: ``strict``) says which to wait for: a task failure, or the workflow's result.
    """
    queue = f"policing-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[workflow_cls],
                      workflow_runner=workflow_runner(strict=strict)):
        handle = await client.start_workflow(workflow_cls.run, id=f"policing-{queue}", task_queue=queue,  # type: ignore[attr-defined]
                                             execution_timeout=timedelta(minutes=5))

        async def failures() -> list[str]:
            """Task failure messages (decrypted: failure texts are encrypted too)."""
            return [str(await client.data_converter.decode_failure(e.workflow_task_failed_event_attributes.failure))
                    async for e in handle.fetch_history_events()
                    if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]

        if strict if caught is None else caught:
            found = await eventually(failures, bool, what="the workflow task to fail")
            await handle.terminate("policing test done")
            return None, found
        try:
            # bounded: a task that fails instead would retry until the execution timeout
            return await asyncio.wait_for(handle.result(), timeout=60), await failures()
        except WorkflowFailureError:
            return None, await failures()


async def test_the_strict_runner_fails_a_workflow_that_reads_the_wall_clock(harness: Harness) -> None:
    result, failures = await _run(harness.client, strict=True)
    assert result is None
    assert any("datetime.datetime.now" in message for message in failures), failures


async def test_the_workers_runner_does_not_police_so_the_tests_must(harness: Harness) -> None:
    result, failures = await _run(harness.client, strict=False)
    assert result is not None and not failures


async def test_a_wall_clock_read_in_a_passed_through_casefac_helper_escapes_the_sandbox(harness: Harness) -> None:
    """Review M9, proved: the strict runner lets the helper read the real clock (no task failure, a result)."""
    assert "casefac" in PASSTHROUGH
    result, failures = await _run(harness.client, strict=True, workflow_cls=HelperClockMisuseWorkflow, caught=False)
    assert result is not None and not failures, failures


def test_the_static_guard_catches_what_the_sandbox_lets_through() -> None:
    assert [f.what for f in findings(passthrough_probe.NAME, passthrough_probe.SOURCE)] == ["datetime.now"]
