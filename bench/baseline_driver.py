"""One baseline lifecycle: start the bare workflow, then send its messages in the case's order.

Like the case driver, it polls before every message until the workflow is ready for it (here: the previous
step's activities are done), with the same backoff (:mod:`bench.polling`), and times each update's
``execute_update`` round trip the same way. Signals go straight from this client, where the case's come
through the sandbox and the gateway: that path is part of what the ratio measures.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.baseline import (
    BASELINE_QUEUE,
    PHASE_QUERY,
    SIGNAL_NAME,
    UPDATE_NAME,
    WORKFLOW_NAME,
    BaselinePlan,
)
from bench.metrics import PhaseStats
from bench.polling import poll

BASELINE_ID_PREFIX = "bench-baseline-"


class BaselineRun:
    def __init__(self, client: Client, plan: BaselinePlan, index: int, stats: PhaseStats, step_timeout: float) -> None:
        self.client = client
        self.plan = plan
        self.workflow_id = f"{BASELINE_ID_PREFIX}{index:06d}"
        self.stats = stats
        self.step_timeout = step_timeout
        self.step = "not started"

    async def run(self) -> int:
        handle: WorkflowHandle[Any, int] = await self.client.start_workflow(
            WORKFLOW_NAME, self.plan, id=self.workflow_id, task_queue=BASELINE_QUEUE, result_type=int)
        for index, step in enumerate(self.plan.steps):
            if index == 0:
                continue  # step 0's message is the start
            self.step = f"step {index} ({step.message})"
            await poll(lambda: handle.query(PHASE_QUERY, result_type=int), lambda done, i=index: done >= i,
                       f"baseline step {index - 1} to finish", stats=self.stats, timeout=self.step_timeout)
            if step.message == "update":
                with self.stats.update(UPDATE_NAME):
                    await handle.execute_update(UPDATE_NAME, result_type=int)
            else:
                await handle.signal(SIGNAL_NAME)
        self.step = "the workflow completes"
        done = await handle.result()
        if done != len(self.plan.steps):
            raise RuntimeError(f"baseline finished {done} of {len(self.plan.steps)} steps")
        self.step = "done"
        return done
