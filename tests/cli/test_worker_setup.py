"""The worker process: per-provider rate limits from settings, one worker per queue, a clean stop."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from casefac.activity_io import TaskQueue
from casefac.keyring import KeyRing
from casefac.settings import DocuSignSettings, Settings
from tests.cli.conftest import CliWorld
from tests.conftest import eventually, live_settings
from workers.limits import DOCUSIGN_CALLS_PER_ACTIVITY, queue_rate_limits
from workers.main import build_workers, run_workers


def test_live_mode_limits_every_provider_queue() -> None:
    limits = queue_rate_limits(live_settings())
    assert limits[TaskQueue.MAIN] is None
    assert limits[TaskQueue.ESIGN] == pytest.approx(1000 / 3600 / DOCUSIGN_CALLS_PER_ACTIVITY)
    assert limits[TaskQueue.MAIL] == pytest.approx(10.0)
    assert limits[TaskQueue.BILLING] is not None and limits[TaskQueue.BILLING] > 0


def test_sandbox_mode_limits_only_what_is_set_explicitly() -> None:
    assert set(queue_rate_limits(Settings(_env_file=None)).values()) == {None}  # type: ignore[call-arg]
    rehearsal = Settings(_env_file=None, docusign=DocuSignSettings(calls_per_hour=360))  # type: ignore[call-arg]
    limits = queue_rate_limits(rehearsal)
    assert limits[TaskQueue.ESIGN] == pytest.approx(0.1 / DOCUSIGN_CALLS_PER_ACTIVITY)
    assert limits[TaskQueue.MAIL] is None


async def test_one_worker_per_queue_with_its_limit(world: CliWorld, tmp_path: Path) -> None:
    KeyRing.generate().save(tmp_path / "keyring.json")
    settings = live_settings(CASEFAC_DATA_DIR=str(tmp_path))
    # A client of its own: a client allows one worker per task queue and the session's fakes hold these.
    client = await Client.connect(world.env.client.service_client.config.target_host)
    workers = build_workers(client, settings)
    by_queue = {w.task_queue: w for w in workers}
    assert sorted(by_queue) == sorted([TaskQueue.MAIN, TaskQueue.ESIGN, TaskQueue.MAIL, TaskQueue.BILLING,
                                       TaskQueue.RECORDS])
    limits = queue_rate_limits(settings)
    for queue, worker in by_queue.items():
        assert worker.config()["max_task_queue_activities_per_second"] == limits[queue]
        assert bool(worker.config()["workflows"]) == (queue == TaskQueue.MAIN)


@activity.defn
async def _noop() -> None:
    return None


async def test_run_workers_stops_every_worker_on_the_event(world: CliWorld) -> None:
    workers = [Worker(world.env.client, task_queue=f"stop-test-{uuid.uuid4().hex}", activities=[_noop])
               for _ in range(2)]
    stop = asyncio.Event()
    runner = asyncio.create_task(run_workers(workers, stop))

    async def running() -> bool:
        return all(w.is_running for w in workers)

    await eventually(running, bool, what="workers running")
    stop.set()
    await asyncio.wait_for(runner, timeout=20)
    assert not any(w.is_running for w in workers)
