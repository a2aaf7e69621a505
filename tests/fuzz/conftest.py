"""Fuzz fixtures: a time-skipping server with fake providers for updates, a real dev server for webhooks.

Importing ``tests.fuzz.profiles`` registers the ``ci`` and ``deep`` Hypothesis profiles early enough for
``--hypothesis-profile=deep`` (see that module). The fixtures mirror ``tests/workflow`` and ``tests/gateway``
but are declared here, so the fuzz suite runs on its own (``pytest tests/fuzz``) and owns its servers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from casefac.settings import Settings
from tests.conftest import binary
from tests.fuzz import profiles as _profiles  # registers the Hypothesis profiles
from tests.gateway.gateway_kit import (
    TASK_QUEUE,
    Recorder,
    SendGridKey,
    gateway_settings,
)
from tests.workflow.harness import Harness
from tests.workflow.world import time_skipping_harness

assert _profiles.PROFILES


# ------------------------------------------------------------------------------ updates (workflow)
@pytest_asyncio.fixture
async def harness() -> AsyncIterator[Harness]:
    """A fresh time-skipping server and workers per test: each test parks ONE case and fuzzes it."""
    async with time_skipping_harness() as h:
        yield h


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
    return gateway_settings(tmp_path, fuzz_sendgrid_key, fuzz_keyring)
