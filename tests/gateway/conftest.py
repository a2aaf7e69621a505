"""Gateway fixtures: one real Temporal dev server and recording worker per session, a gateway app per test.

The client and worker use the project's real converter (pydantic + AES-GCM codec), so these tests also
prove that what the gateway signals survives encryption end to end.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from casefac.settings import Settings
from gateway.app import create_app
from tests.conftest import binary
from tests.gateway.gateway_kit import (
    TASK_QUEUE,
    GatewayFactory,
    Recorder,
    SendGridKey,
    StartRecorder,
    gateway_settings,
)


def _temporal_binary() -> str:
    return binary("temporal")  # a missing binary is a broken install: fail, never skip


@pytest.fixture(scope="session")
def keyring() -> KeyRing:
    return KeyRing.generate("test-key")


@pytest.fixture(scope="session")
def codec(keyring: KeyRing) -> EncryptionCodec:
    return EncryptionCodec(keyring)


@pytest.fixture(scope="session")
def sendgrid_key() -> SendGridKey:
    return SendGridKey.generate()


@pytest.fixture(scope="session")
async def temporal_env(codec: EncryptionCodec) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_temporal_binary(), data_converter=data_converter(codec)
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def temporal_client(temporal_env: WorkflowEnvironment) -> AsyncIterator[Client]:
    """The env's client, with the recording worker polling for as long as the session lasts."""
    client = temporal_env.client
    worker = Worker(client, task_queue=TASK_QUEUE, workflows=[Recorder],
                    workflow_runner=UnsandboxedWorkflowRunner())
    async with worker:
        yield client


@pytest.fixture
def settings(tmp_path: Path, sendgrid_key: SendGridKey, keyring: KeyRing) -> Settings:
    return gateway_settings(tmp_path, sendgrid_key, keyring)


@pytest.fixture
async def gateway_for(settings: Settings) -> AsyncIterator[GatewayFactory]:
    """``await gateway_for(client_provider, **create_app_kwargs)`` → an HTTP client on a fresh app."""
    opened: list[httpx.AsyncClient] = []

    async def make(provider: Callable[[], Awaitable[Client]], **kwargs: Any) -> httpx.AsyncClient:
        app = create_app(settings, provider, **kwargs)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test")
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def gateway(gateway_for: GatewayFactory, temporal_client: Client) -> httpx.AsyncClient:
    """The gateway wired to the live dev server."""
    async def provider() -> Client:
        return temporal_client

    return await gateway_for(provider)


@pytest.fixture
async def start_recorder(temporal_client: Client) -> StartRecorder:
    """Start a recording workflow under a unique id with the given prefix (``case-`` or ``advocate-``)."""
    async def start(prefix: str) -> WorkflowHandle[Any, Any]:
        workflow_id = f"{prefix}{uuid.uuid4().hex[:12].upper()}"
        return await temporal_client.start_workflow(
            Recorder.run, id=workflow_id, task_queue=TASK_QUEUE, execution_timeout=timedelta(minutes=10)
        )

    return start
