"""Fuzz fixtures: a time-skipping server with fake providers for updates, a real dev server for webhooks.

Importing ``tests.fuzz.profiles`` registers the ``ci`` and ``deep`` Hypothesis profiles early enough for
``--hypothesis-profile=deep`` (see that module). The fixtures mirror ``tests/workflow`` and ``tests/gateway``
but are declared here, so the fuzz suite runs on its own (``pytest tests/fuzz``) and owns its servers.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.agreement import AgreementActivities
from casefac.activity_io import TaskQueue
from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from casefac.policy import CasePolicy
from casefac.settings import DocuSignSettings, GatewaySettings, SendGridSettings, Settings, StripeSettings
from tests.conftest import binary, quiet_runtime
from tests.fuzz import profiles as _profiles  # registers the Hypothesis profiles
from tests.gateway.gateway_kit import (
    CODEC_TOKEN,
    DOCUSIGN_KEYS,
    STRIPE_SECRET,
    TASK_QUEUE,
    UI_ORIGIN,
    Recorder,
    SendGridKey,
)
from tests.workflow.conftest import register_search_attributes
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow

assert _profiles.PROFILES
_case_numbers = itertools.count(1)


# ------------------------------------------------------------------------------ updates (workflow)
@pytest_asyncio.fixture
async def harness() -> AsyncIterator[Harness]:
    """A fresh time-skipping server and workers per test: each test parks ONE case and fuzzes it."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=data_converter(None),
        runtime=quiet_runtime())
    await register_search_attributes(env.client)
    fakes = FakeProviders()
    queues = fakes.by_queue()
    queues[TaskQueue.MAIN].append(AgreementActivities(CasePolicy()).request_agreement)
    workers = [Worker(env.client, task_queue=q, activities=acts,
                      workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if q == TaskQueue.MAIN else [],
                      activity_executor=ThreadPoolExecutor(4), workflow_runner=workflow_runner())
               for q, acts in queues.items()]
    for w in workers:
        await w.__aenter__()
    try:
        yield Harness(env=env, client=env.client, fakes=fakes, policy=CasePolicy(),
                      run=uuid.uuid4().hex[:6].upper(), numbers=_case_numbers)
    finally:
        for w in workers:
            await w.__aexit__(None, None, None)
        await env.shutdown()


# ------------------------------------------------------------------------------ webhooks (gateway)
@pytest.fixture(scope="session")
def fuzz_keyring() -> KeyRing:
    return KeyRing.generate("fuzz-key")


@pytest.fixture(scope="session")
def fuzz_sendgrid_key() -> SendGridKey:
    return SendGridKey.generate()


@pytest_asyncio.fixture(scope="session")
async def fuzz_temporal(fuzz_keyring: KeyRing) -> AsyncIterator[Client]:
    """A real dev server (the gateway's real converter and codec) with the recording worker polling."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                data_converter=data_converter(EncryptionCodec(fuzz_keyring)))
    try:
        worker = Worker(env.client, task_queue=TASK_QUEUE, workflows=[Recorder],
                        workflow_runner=UnsandboxedWorkflowRunner())
        async with worker:
            yield env.client
    finally:
        await env.shutdown()


@pytest.fixture
def fuzz_settings(tmp_path: Path, fuzz_sendgrid_key: SendGridKey, fuzz_keyring: KeyRing) -> Settings:
    ring_file = tmp_path / "keyring.json"
    fuzz_keyring.save(ring_file)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
        data_dir=tmp_path,
        keyring_file=ring_file,
        docusign=DocuSignSettings(connect_hmac_keys=[SecretStr(k) for k in DOCUSIGN_KEYS]),
        stripe=StripeSettings(webhook_secret=SecretStr(STRIPE_SECRET), webhook_tolerance_seconds=300),
        sendgrid=SendGridSettings(webhook_public_key=fuzz_sendgrid_key.public_b64),
        gateway=GatewaySettings(codec_token=SecretStr(CODEC_TOKEN), ui_origin=UI_ORIGIN),
    )
