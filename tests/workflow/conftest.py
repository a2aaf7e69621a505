"""Workflow tests on the time-skipping server with in-process fake providers (``tests.workflow.world``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.workflow.harness import Harness
from tests.workflow.world import time_skipping_harness


@pytest_asyncio.fixture
async def harness() -> AsyncIterator[Harness]:
    async with time_skipping_harness() as h:
        yield h
