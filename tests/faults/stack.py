"""The ``casefac up`` stack run in-process (``LocalStack``), so a test can kill or restart ONE child.

``casefac up`` as a subprocess (tests/integration) stops the whole stack when any child dies, which is
right for a person at a terminal and wrong for a crash test. ``LocalStack`` is the same code with the
same children (dev server on its SQLite file, sandbox, gateway, worker as separate processes); driven
from here, the test decides what dies and when.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import httpx
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from casefac.roster import parse_roster
from starters.stack.children import Child
from starters.stack.probes import connect_plain, temporal_ready, wait_ready, worker_polling
from starters.stack.up import LocalStack
from tests.faults.kit import Scene


@dataclass
class FaultStack:
    """A running ``LocalStack`` with staff's (encrypting) client, and the means to stop its children."""

    stack: LocalStack
    client: Client
    http: httpx.AsyncClient

    @property
    def scene(self) -> Scene:
        s = self.stack.settings
        return Scene(client=self.client, http=self.http, sandbox_url=self.stack.plan.sandbox_url,
                     staff_email=s.sendgrid.staff_email, policy=s.policy,
                     roster=parse_roster(s.roster_file.read_text(encoding="utf-8")))

    def child(self, name: str) -> Child:
        return next(c for c in self.stack.children if c.name == name)

    # -- the worker ---------------------------------------------------------------------------------
    def kill_worker(self) -> int:
        """SIGKILL: no graceful shutdown, no activity completion, no goodbye to the server. The old pid."""
        worker = self.child("worker")
        assert worker.proc is not None and worker.alive, "the worker is not running"
        pid = worker.proc.pid
        os.kill(pid, signal.SIGKILL)
        worker.proc.wait(timeout=10)
        return pid

    async def start_worker(self) -> int:
        """Start the worker child again (same argv and environment) and wait until it polls every queue."""
        worker = self.child("worker")
        worker.start()
        pid = worker.pid or -1
        plain = await self._plain()
        await wait_ready("worker", lambda: worker_polling(plain, pid), child=worker, timeout=60)
        return pid

    # -- the dev server -------------------------------------------------------------------------------
    async def stop_temporal(self) -> None:
        """Stop the dev server child as ``casefac up`` does (SIGINT, then harder); its SQLite file stays."""
        await self.child("temporal").stop()
        assert not await temporal_ready(self.stack.plan.temporal_address, self.stack.plan.namespace)

    async def start_temporal(self) -> None:
        """The same dev server command on the same SQLite file, ports and namespace."""
        temporal = self.child("temporal")
        temporal.start()
        plan = self.stack.plan
        await wait_ready("Temporal dev server", lambda: temporal_ready(plan.temporal_address, plan.namespace),
                         child=temporal, timeout=30)

    async def heal(self) -> None:
        """Whatever a failed test left stopped, start again, so the next test finds the whole stack."""
        if not self.child("temporal").alive:
            await self.start_temporal()
        if not self.child("worker").alive:
            await self.start_worker()

    async def _plain(self) -> Client:
        return await connect_plain(self.stack.plan.temporal_address, self.stack.plan.namespace)


# --------------------------------------------------------------------------------- orphaned attempts
async def pending_activities(client: Client, workflow_id: str) -> list[PendingActivityInfo]:
    answer = await client.workflow_service.describe_workflow_execution(DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)))
    return list(answer.pending_activities)


