"""The baseline: a bare workflow with the shape of one measured case and none of its work.

Why it exists: "cases per minute" alone cannot say whether casefac is slow or the machine is. The
baseline runs on the same dev server, in the same run, at the same concurrency, and performs the same
NUMBER of activities, signals and updates as a measured case lifecycle (the case workflow plus its
Advocate entity), in the case's order, with no-op bodies: the engine's floor for that shape. The ratio
case/baseline is then what casefac's own code (workflow logic, pydantic models, templates, provider
SDKs, the sandbox, the gateway) adds on top of Temporal.

The plan is derived from a real case history (:mod:`bench.shape`), not hard-coded, so it follows the
workflow when it changes. Each step is "receive one message (the start, an update or a signal), then run
the activities the case scheduled after that message"; those activities run concurrently, as the case
runs its emails beside the next step. Timers (reminders the case arms and cancels) are not mirrored: the
issue counts activities, signals and updates.

No ``asyncio.run`` here: the workflow sandbox re-imports this module (see DESIGN.md, Temporal facts);
the worker process lives in :mod:`bench.baseline_worker`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow

#: Its own task queue, so the baseline never competes with the case worker for polls.
BASELINE_QUEUE = "casefac-bench-baseline"
WORKFLOW_NAME = "BenchBaselineWorkflow"
NOOP_ACTIVITY = "bench.noop"
UPDATE_NAME = "bench_update"
SIGNAL_NAME = "bench_signal"
PHASE_QUERY = "phase"


@dataclass(frozen=True)
class BaselineStep:
    """One message (``start``, ``update`` or ``signal``) and the activities that follow it."""

    message: str
    activities: int = 0


@dataclass
class BaselinePlan:
    steps: list[BaselineStep] = field(default_factory=list)

    def count(self, message: str) -> int:
        return sum(1 for s in self.steps if s.message == message)

    @property
    def activities(self) -> int:
        return sum(s.activities for s in self.steps)


@activity.defn(name=NOOP_ACTIVITY)
async def noop(step: int) -> int:
    """The no-op body: only the engine's cost of an activity (schedule, poll, complete) remains."""
    return step


@workflow.defn(name=WORKFLOW_NAME)
class BaselineWorkflow:
    """Walks the plan: waits for step i's message, runs its activities, then reports step i done."""

    @workflow.init
    def __init__(self, plan: BaselinePlan) -> None:
        self._steps = plan.steps
        self._received = 1  # the start is step 0's message
        self._done = 0

    @workflow.run
    async def run(self, plan: BaselinePlan) -> int:
        for index, step in enumerate(self._steps):
            await workflow.wait_condition(lambda i=index: self._received > i)
            if step.activities:
                await asyncio.gather(*(
                    workflow.execute_activity(NOOP_ACTIVITY, index, result_type=int,
                                              start_to_close_timeout=timedelta(seconds=30))
                    for _ in range(step.activities)))
            self._done = index + 1
        return self._done

    @workflow.signal(name=SIGNAL_NAME)
    def bench_signal(self) -> None:
        self._received += 1

    @workflow.update(name=UPDATE_NAME)
    def bench_update(self) -> int:
        self._received += 1
        return self._received

    @bench_update.validator
    def _v_bench_update(self) -> None:
        """As cheap as a validator gets, yet present: every case update has one."""
        if self._received >= len(self._steps):
            raise ValueError("plan: no update expected now")

    @workflow.query(name=PHASE_QUERY)
    def phase(self) -> int:
        """How many steps are done: the driver sends step i's message once this reaches i."""
        return self._done
