"""Workflow tests on the time-skipping test server with in-process fake providers."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agreement import AgreementActivities
from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.converter import data_converter
from casefac.policy import CasePolicy
from tests.conftest import binary, quiet_runtime
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow

_case_numbers = itertools.count(1)


async def register_search_attributes(client: Client) -> None:
    kinds = {"KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
             "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT, "BOOL": IndexedValueType.INDEXED_VALUE_TYPE_BOOL}
    await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={k.name: kinds[k.indexed_value_type.name] for k in sa.ALL}))


@pytest_asyncio.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test (it starts in ~0.1 s): one test's clock never leaks into
    another's, and terminating a workflow mid-activity cannot leave the virtual clock locked."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=data_converter(None),
        runtime=quiet_runtime())
    await register_search_attributes(environment.client)
    yield environment
    await environment.shutdown()


@pytest_asyncio.fixture
async def fakes(env: WorkflowEnvironment) -> AsyncIterator[FakeProviders]:
    providers = FakeProviders()
    queues = providers.by_queue()
    queues[TaskQueue.MAIN].append(AgreementActivities(CasePolicy()).request_agreement)
    workers = [Worker(env.client, task_queue=q, activities=acts,
                      workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if q == TaskQueue.MAIN else [],
                      activity_executor=ThreadPoolExecutor(4), workflow_runner=workflow_runner())
               for q, acts in queues.items()]
    for w in workers:
        await w.__aenter__()
    yield providers
    for w in workers:
        await w.__aexit__(None, None, None)


@pytest_asyncio.fixture
async def harness(env: WorkflowEnvironment, fakes: FakeProviders) -> AsyncIterator[Harness]:
    h = Harness(env=env, client=env.client, fakes=fakes, policy=CasePolicy(), run=uuid.uuid4().hex[:6].upper(),
                numbers=_case_numbers)
    yield h


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
