"""Waiting for a workflow to be ready for the next step, the same way for the case and the baseline.

Both drivers poll a query with the same backoff, so what polling costs (queries, and up to one poll
interval of lag per step) weighs on both sides of the ratio alike. A query that fails (the first workflow
task has not run yet, the entity workflow does not exist yet) counts as "not ready".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from bench.metrics import PhaseStats

T = TypeVar("T")

FIRST_DELAY = 0.01
MAX_DELAY = 0.2
GROWTH = 1.5


class StepTimeout(TimeoutError):
    """A step's readiness did not come within the step timeout; the message says what was awaited."""


async def poll(probe: Callable[[], Awaitable[T]], ready: Callable[[T], bool], what: str, *, stats: PhaseStats,
               timeout: float) -> T:
    """Call ``probe`` until ``ready(value)``; :class:`StepTimeout` naming ``what`` (and the last value) if not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = FIRST_DELAY
    last: object = "no answer yet"
    while True:
        stats.queries += 1
        try:
            value = await probe()
        except (WorkflowQueryFailedError, RPCError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if ready(value):
                return value
            last = value
        if loop.time() > deadline:
            raise StepTimeout(f"timed out after {timeout:.0f} s waiting for {what} (last: {str(last)[:300]})")
        await asyncio.sleep(delay)  # poll interval
        delay = min(delay * GROWTH, MAX_DELAY)
