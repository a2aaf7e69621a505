"""Health probes: each answers "ready yet?" once, quickly; :func:`wait_ready` polls one until it is.

Readiness means usable, not merely started: Temporal answers its health RPC, the sandbox serves
``/healthz`` on both listeners, the gateway reaches Temporal, and the worker polls every task queue.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue as TaskQueueRef
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RetryConfig

from casefac.activity_io import TaskQueue
from starters.stack.children import Child
from workers.roles import WorkerRole

Probe = Callable[[], Awaitable[bool]]
PROBE_TIMEOUT = 2.0


class NotReady(RuntimeError):
    """A service did not become ready; the message names it and says why (its log tail when it died)."""


async def connect_plain(address: str, namespace: str) -> Client:
    """A converter-less client for probes and operator calls (no payloads are read)."""
    return await Client.connect(address, namespace=namespace, connect_timeout=timedelta(seconds=PROBE_TIMEOUT),
                                retry_config=RetryConfig(max_retries=0))


async def temporal_ready(address: str, namespace: str) -> bool:
    try:
        client = await connect_plain(address, namespace)
        return await client.service_client.check_health(timeout=timedelta(seconds=PROBE_TIMEOUT))
    except Exception:  # refused, not yet listening, TLS mismatch: all mean "not yet"
        return False


async def http_ok(url: str, *, ca_file: Path | None = None) -> bool:
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
    try:
        async with httpx.AsyncClient(verify=verify, timeout=PROBE_TIMEOUT) as http:
            return (await http.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def gateway_ready(base_url: str) -> bool:
    """The gateway serves and can reach Temporal (its ``/healthz`` says so)."""
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT + 3) as http:
            response = await http.get(f"{base_url}/healthz")
            return response.status_code == 200 and bool(response.json()["temporal"]["reachable"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return False


WORKFLOW_QUEUES: tuple[tuple[str, TaskQueueType.ValueType], ...] = (
    (TaskQueue.MAIN, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
)
ACTIVITY_QUEUES: tuple[tuple[str, TaskQueueType.ValueType], ...] = (
    (TaskQueue.MAIN, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    (TaskQueue.ESIGN, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    (TaskQueue.MAIL, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    (TaskQueue.BILLING, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    (TaskQueue.RECORDS, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
)
WORKER_QUEUES = WORKFLOW_QUEUES + ACTIVITY_QUEUES


def role_queues(role: WorkerRole) -> tuple[tuple[str, TaskQueueType.ValueType], ...]:
    """The queues (and poller types) a worker of ``role`` polls once it is up."""
    return (WORKFLOW_QUEUES if role.runs_workflows else ()) + (ACTIVITY_QUEUES if role.runs_activities else ())


async def pollers(client: Client, queue: str, kind: TaskQueueType.ValueType) -> list[str]:
    answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueueRef(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
        task_queue_type=kind))
    return [p.identity for p in answer.pollers]


async def worker_polling(client: Client, pid: int, queues: Iterable[tuple[str, TaskQueueType.ValueType]]
                         = WORKER_QUEUES) -> bool:
    """Every queue has a poller whose identity names process ``pid`` (not a stale one from a past run)."""
    suffix = f":{pid}"
    try:
        for queue, kind in queues:
            if not any(identity.endswith(suffix) for identity in await pollers(client, queue, kind)):
                return False
    except Exception:
        return False
    return True


async def wait_ready(what: str, probe: Probe, *, child: Child | None = None, timeout: float = 60.0) -> float:
    """Poll ``probe`` until true; seconds taken. Fails at once, with the log tail, if ``child`` exits."""
    started = time.monotonic()
    delay = 0.05
    while True:
        if child is not None and not child.alive:
            tail = child.tail()
            raise NotReady(f"{what} exited with code {child.returncode} while starting"
                           + (f"; its log ({child.log_path}) ends with:\n{tail}" if tail else ""))
        if await probe():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise NotReady(f"{what} was not ready after {timeout:.0f} s; see {child.log_path if child else 'its log'}")
        await asyncio.sleep(delay)  # poll interval
        delay = min(delay * 1.5, 0.3)
