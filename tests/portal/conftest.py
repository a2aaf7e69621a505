"""Portal fixtures: one dev server + workers per session, a gateway app (ASGI transport) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from casefac.settings import Settings
from gateway.app import create_app
from tests.portal.stack import Stack, portal_settings, running_stack
from tests.workflow.harness import Harness

BASE_URL = "http://gateway.test"


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


@pytest.fixture(scope="session")
def harness(stack: Stack) -> Harness:
    return stack.harness


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return portal_settings(Path(tmp_path_factory.mktemp("portal")), BASE_URL)


@pytest.fixture
async def portal(settings: Settings, stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async def provider() -> Client:
        return stack.client

    app = create_app(settings, provider)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http
