"""A worker running the *previous* release's code, for the mid-flight upgrade test (a process of its own).

Run as ``python -P tests/upgrade/previous_worker.py ADDRESS IDENTITY`` with ``PYTHONPATH`` set to the extracted
snapshot only (``tests.upgrade.snapshot.extract``), so every ``casefac``, ``workflows``, ``activities`` and
``workers`` import, and the fakes, are the previous release's. It serves every task queue the way the
workflow tests' world does (the workflows with the production runner, the provider fakes, the real
``agreement.request`` activity), prints ``ready`` once polling, and stops cleanly on SIGTERM.

Workflows are not cached (``max_cached_workflows=0``): each workflow task goes to the shared queue, so the
moment this worker stops, the next task is the new worker's, with no sticky-queue timeout in between.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack

from temporalio.client import Client
from temporalio.worker import Worker


async def main(address: str, identity: str) -> None:
    from activities.agreement import AgreementActivities
    from casefac.activity_io import TaskQueue
    from casefac.converter import data_converter
    from casefac.policy import CasePolicy
    from tests.workflow.fakes import FakeProviders
    from workers.runner import workflow_runner
    from workflows.advocate import AdvocateWorkflow
    from workflows.case import CaseFacilitationWorkflow

    client = await Client.connect(address, data_converter=data_converter(None))
    queues = FakeProviders().by_queue()
    queues[TaskQueue.MAIN] = [*queues[TaskQueue.MAIN], AgreementActivities(CasePolicy()).request_agreement]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        for queue, activities in queues.items():
            await stack.enter_async_context(Worker(
                client, task_queue=queue, activities=activities, activity_executor=ThreadPoolExecutor(4),
                workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if queue == TaskQueue.MAIN else [],
                workflow_runner=workflow_runner(), max_cached_workflows=0, identity=identity))
        print("ready", flush=True)
        await stop.wait()
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
    # The workers shut down cleanly above ("stopped"). Skip interpreter finalization: the SDK core's threads
    # sometimes abort it (PyGILState_Release while finalizing, exit 134), which says nothing about the test.
    sys.stdout.flush()
    os._exit(0)
