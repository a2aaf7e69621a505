"""``python -m bench.baseline_worker``: the baseline's worker, a child process like the case worker.

A separate process (not a worker inside the bench) so the baseline pays what the case pays: its own
interpreter and GIL, the same client (pydantic converter + AES-GCM codec, from the same ``CASEFAC_*``
settings), the same workflow sandbox configuration, and no help from the driver's event loop. Its peak
RSS is read from ``/proc`` like the case worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from temporalio.worker import Worker

from bench.baseline import BASELINE_QUEUE, BaselineWorkflow, noop
from casefac.settings import Settings
from casefac.temporal_client import connect_client
from workers.logs import configure_logging
from workers.main import GRACEFUL_SHUTDOWN, run_workers
from workers.runner import workflow_runner

IDENTITY = "casefac-bench-baseline"


async def serve(settings: Settings) -> None:
    """Poll the baseline queue until SIGINT/SIGTERM, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    client = await connect_client(settings, identity=IDENTITY)
    worker = Worker(client, task_queue=BASELINE_QUEUE, workflows=[BaselineWorkflow], activities=[noop],
                    workflow_runner=workflow_runner(),
                    graceful_shutdown_timeout=GRACEFUL_SHUTDOWN)
    await run_workers([worker], stop)


def main() -> None:
    configure_logging("WARNING")
    asyncio.run(serve(Settings()))


if __name__ == "__main__":
    from workers.process import run_then_exit

    run_then_exit(main)
