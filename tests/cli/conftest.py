"""The CLI against a real Temporal dev server: real workflows, fake providers, the encrypting converter.

The CLI is invoked in-process with Typer's ``CliRunner`` from a thread (the command runs its own event
loop there while the session loop keeps the workers polling), configured the way a coordinator's shell
would be: ``CASEFAC_*`` variables naming the server and the key ring.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

# Rich sizes its consoles when the CLI module is imported: wide enough that tables never truncate ids.
os.environ.setdefault("COLUMNS", "200")

from activities.agreement import AgreementActivities
from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from casefac.policy import CasePolicy
from starters.cli import app
from tests.conftest import binary
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class CliWorld:
    env: WorkflowEnvironment
    fakes: FakeProviders
    harness: Harness
    shell: dict[str, str]

    async def cli(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        """``casefac ARGS`` with the coordinator's environment (plus ``env``)."""
        runner = CliRunner()
        result = await asyncio.to_thread(runner.invoke, app, list(args), env={**self.shell, **(env or {})},
                                         catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def cli_keyring(tmp_path_factory: pytest.TempPathFactory) -> tuple[KeyRing, Path]:
    ring = KeyRing.generate("cli-test-key")
    path = tmp_path_factory.mktemp("cli-data") / "keyring.json"
    ring.save(path)
    return ring, path


@pytest_asyncio.fixture(scope="session")
async def world(cli_keyring: tuple[KeyRing, Path]) -> AsyncIterator[CliWorld]:
    ring, ring_file = cli_keyring
    converter = data_converter(EncryptionCodec(ring))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                search_attributes=list(sa.ALL), data_converter=converter)
    fakes = FakeProviders()
    queues = fakes.by_queue()
    queues[TaskQueue.MAIN].append(AgreementActivities(CasePolicy()).request_agreement)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(env.shutdown)
        for queue, acts in queues.items():
            await stack.enter_async_context(Worker(
                env.client, task_queue=queue, activities=acts, activity_executor=ThreadPoolExecutor(4),
                workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if queue == TaskQueue.MAIN else [],
                workflow_runner=workflow_runner()))
        harness = Harness(env=env, client=env.client, fakes=fakes, policy=CasePolicy(),
                          run=uuid.uuid4().hex[:6].upper(), numbers=itertools.count(random.randint(1000, 90000)))
        shell = {
            "CASEFAC_TEMPORAL__ADDRESS": env.client.service_client.config.target_host,
            "CASEFAC_KEYRING_FILE": str(ring_file),
            "CASEFAC_DATA_DIR": str(ring_file.parent),
            "CASEFAC_STAFF_ID": "coord.ana",
        }
        yield CliWorld(env=env, fakes=fakes, harness=harness, shell=shell)
