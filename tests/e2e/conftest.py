"""One real world (dev server, sandbox, gateway, workers, codec) per test module."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .world import LogCapture, World, real_world


@pytest.fixture(scope="module")
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.INFO)  # what a deployment runs with
    yield capture
    root.removeHandler(capture)
    root.setLevel(previous)


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, logs: LogCapture) -> AsyncIterator[World]:
    async with real_world(Path(tmp_path_factory.mktemp("world"))) as running:
        yield running
