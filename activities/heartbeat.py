"""Blocking SDK calls in a thread, heartbeating meanwhile.

The provider activities declare a heartbeat timeout, so when a worker dies mid-call the server notices in
seconds (not after the activity's whole start-to-close timeout) and a live worker retries the step, which is
safe because every provider call is idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity

T = TypeVar("T")

#: Well inside the heartbeat timeout the workflows declare (``workflows.options.PROVIDER_HEARTBEAT``).
EVERY_SECONDS = 5.0


async def in_thread(fn: Callable[..., T], *args: Any, every: float = EVERY_SECONDS) -> T:
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    while True:
        done, _ = await asyncio.wait({task}, timeout=every)
        if done:
            return task.result()
        activity.heartbeat()
