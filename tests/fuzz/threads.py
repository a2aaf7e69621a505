"""Running a synchronous ``@given`` test against async systems that live on the test's event loop.

Why not ``@given`` on an ``async def``: pytest-asyncio then runs each example with the loop stopped in
between, so Temporal workers and polling stall between examples, and no code can run after the last
example (to check the case is still healthy). Instead the async test starts its servers, runs the sync
Hypothesis test in a worker thread, and each example hands its coroutine back to the still-running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

#: Generous: one example is milliseconds; anything near this is a hang worth failing on.
EXAMPLE_TIMEOUT = 120.0


def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float = EXAMPLE_TIMEOUT) -> T:
    """Run ``coro`` on ``loop`` from a worker thread and wait for its result (exceptions propagate)."""
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise


async def run_in_thread(test: Callable[[], None]) -> None:
    """Run a (Hypothesis-decorated) sync test in a worker thread while this loop keeps serving."""
    await asyncio.to_thread(test)
