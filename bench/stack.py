"""The bench's private stack: ``casefac demo``'s (``starters.stack.LocalStack`` on free ports in a temporary
data dir) plus the baseline worker as one more child.

Reusing ``LocalStack`` means the bench measures exactly what ``casefac up`` runs: the dev server with its
SQLite file, the gateway, the real worker with the real activities. The differences, all printed in the
bench's output: the sandbox keeps its state in memory and does not post SendGrid's processed/delivered
events (see :mod:`bench.sandbox_child` for why; ``keep_sandbox_file`` runs the stock ``casefac sandbox``,
``sendgrid_events`` restores the events), and a baseline worker (:mod:`bench.baseline_worker`) polls its
own task queue on the same server.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.client import Client

from bench.baseline import BASELINE_QUEUE
from casefac.settings import Settings
from starters.stack.children import Child
from starters.stack.probes import wait_ready, worker_polling
from starters.stack.spec import StackSpec
from starters.stack.up import LocalStack

BASELINE_QUEUES = ((BASELINE_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
                   (BASELINE_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY))


class BenchStack(LocalStack):
    """``LocalStack`` (free ports, not recorded in ``stack.json``) with the baseline worker beside it."""

    def __init__(self, settings: Settings, spec: StackSpec, *, console: Console,
                 keep_sandbox_file: bool = False, sendgrid_events: bool = False) -> None:
        super().__init__(settings, spec, console=console, free_ports=True, record=False)
        self.keep_sandbox_file = keep_sandbox_file
        self.sendgrid_events = sendgrid_events

    def _python(self, command: str, *args: str) -> list[str]:
        """The sandbox child without its JSON mirror (unless asked); every other child as ``casefac up`` runs it."""
        if command != "sandbox" or self.keep_sandbox_file:
            return super()._python(command, *args)
        plan = self.plan
        return [sys.executable, "-m", "bench.sandbox_child", "--sendgrid-key-file", str(plan.sendgrid_key_file),
                "--certfile", str(plan.tls_cert), "--keyfile", str(plan.tls_key),
                *([] if self.sendgrid_events else ["--no-sendgrid-events"])]

    async def _start_services(self, env: dict[str, str], client: Client) -> None:
        await super()._start_services(env, client)
        baseline = self._child("baseline-worker", [sys.executable, "-m", "bench.baseline_worker"], env)
        took = await wait_ready("baseline worker", lambda: worker_polling(client, baseline.pid or -1, BASELINE_QUEUES),
                                child=baseline, timeout=90)
        self._ok("baseline worker", f"polling {BASELINE_QUEUE}", took)

    def child(self, name: str) -> Child:
        found = next((c for c in self.children if c.name == name), None)
        if found is None:
            raise LookupError(f"no {name} child in the bench stack")
        return found

    def logs_dir(self) -> Path:
        return self.plan.logs_dir
