"""A time-skipping Temporal test server with the real workflows and the fake providers, and a case harness.

One per test (the server starts in ~0.1 s): one test's clock never leaks into another's, and terminating a
workflow mid-activity cannot leave the virtual clock locked. Used by the workflow tests, the fuzz tests and
the replay-corpus recorder.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agreement import AgreementActivities
from activities.digest import DigestActivities
from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.converter import data_converter
from casefac.policy import CasePolicy
from casefac.status import CaseStatus
from tests.conftest import binary, quiet_runtime
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.digest import DigestWorkflow
from workflows.guard import CasefacGuard

_numbers = itertools.count(1)


async def register_search_attributes(client: Client) -> None:
    """The time-skipping server rejects unknown search attributes (and the workflow task then retries forever)."""
    await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={k.name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{k.indexed_value_type.name}")
                           for k in sa.ALL}))


async def _statuses_of(h: Harness) -> tuple[list[CaseStatus], list[str]]:
    """What ``casefac.worklist_fetch.running_statuses`` reads, for the cases this harness opened."""
    statuses = [await c.status() for c in h.cases]
    return [s for s in statuses if not s.stage.terminal], []


@asynccontextmanager
async def time_skipping_harness(numbers: itertools.count[int] | None = None, *,
                                workflows_worker: bool = True) -> AsyncIterator[Harness]:
    """``workflows_worker=False`` leaves the workflows (and ``TaskQueue.MAIN``) to the test, which then runs its
    own worker there, e.g. an older workflow version and then the current one (``main_queue_worker``)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=data_converter(None),
        runtime=quiet_runtime())
    async with AsyncExitStack() as stack:
        stack.push_async_callback(env.shutdown)
        await register_search_attributes(env.client)
        fakes = FakeProviders()
        queues = fakes.by_queue()
        harness: list[Harness] = []  # the digest reads the harness's cases (this server cannot list workflows)
        digest = DigestActivities(lambda: _statuses_of(harness[0]))
        agreement = AgreementActivities(CasePolicy())
        queues[TaskQueue.MAIN] += [agreement.request_agreement, agreement.confirm_agreement, digest.gather]
        for queue, acts in queues.items():
            if queue == TaskQueue.MAIN and not workflows_worker:
                continue
            await stack.enter_async_context(Worker(
                env.client, task_queue=queue, activities=acts, activity_executor=ThreadPoolExecutor(4),
                workflows=[CaseFacilitationWorkflow, AdvocateWorkflow, DigestWorkflow]
                if queue == TaskQueue.MAIN else [],
                workflow_runner=workflow_runner(strict=True), interceptors=[CasefacGuard()]))
        harness.append(Harness(env=env, client=env.client, fakes=fakes, policy=CasePolicy(),
                               run=uuid.uuid4().hex[:6].upper(), numbers=numbers or _numbers))
        yield harness[0]


def main_queue_worker(h: Harness, case_workflow: type = CaseFacilitationWorkflow) -> Worker:
    """The workflows and ``TaskQueue.MAIN`` activities, with ``case_workflow`` as the case workflow's code."""
    fakes = h.fakes.by_queue()[TaskQueue.MAIN]
    return Worker(h.client, task_queue=TaskQueue.MAIN, workflows=[case_workflow, AdvocateWorkflow],
                  activities=[*fakes, AgreementActivities(CasePolicy()).request_agreement,
                              AgreementActivities(CasePolicy()).confirm_agreement],
                  activity_executor=ThreadPoolExecutor(4), workflow_runner=workflow_runner(strict=True),
                  interceptors=[CasefacGuard()],
                  max_cached_workflows=0 if case_workflow is not CaseFacilitationWorkflow else 1000)
