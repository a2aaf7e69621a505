"""Worker roles: which queues each side polls, which workers each side builds, how ``casefac up`` and the CLI
name them.

``build_workers`` needs a connected client (a temporalio ``Worker`` is created against the server), so the
tests that build or run workers share one local dev server for this module; the rest need nothing running.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from typer.testing import CliRunner

from activities import build_activities
from casefac.settings import DocuSignSettings, Settings
from starters.cli import app
from starters.stack.probes import WORKER_QUEUES, pollers, role_queues, worker_polling
from starters.stack.up import worker_children
from tests.conftest import binary, eventually, quiet_runtime
from workers.limits import queue_rate_limits
from workers.main import build_workers
from workers.roles import WorkerRole
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.digest import DigestWorkflow
from workflows.signing_view import SigningViewWorkflow

WF = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
ACT = TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
WORKFLOW_SIDE = (("casefac", WF),)
ACTIVITY_SIDE = (("casefac", ACT), ("casefac-esign", ACT), ("casefac-mail", ACT), ("casefac-billing", ACT),
                 ("casefac-records", ACT))
ALL_QUEUES = ("casefac", "casefac-esign", "casefac-mail", "casefac-billing", "casefac-records")


# -- roles, queues, children: no server ------------------------------------------------------------------------
def test_role_values_and_sides() -> None:
    assert [r.value for r in WorkerRole] == ["all", "workflows", "activities"]
    assert [(r.runs_workflows, r.runs_activities) for r in WorkerRole] == [(True, True), (True, False), (False, True)]
    assert WorkerRole("workflows") is WorkerRole.WORKFLOWS


def test_role_queues_per_role() -> None:
    assert role_queues(WorkerRole.WORKFLOWS) == WORKFLOW_SIDE
    assert role_queues(WorkerRole.ACTIVITIES) == ACTIVITY_SIDE
    assert role_queues(WorkerRole.ALL) == WORKFLOW_SIDE + ACTIVITY_SIDE
    assert role_queues(WorkerRole.ALL) == role_queues(WorkerRole.WORKFLOWS) + role_queues(WorkerRole.ACTIVITIES)
    assert role_queues(WorkerRole.ALL) == WORKER_QUEUES  # the default of worker_polling: what one process polls


def test_worker_children_single_and_split() -> None:
    assert worker_children(False) == {"worker": WorkerRole.ALL}
    split = worker_children(True)
    assert list(split.items()) == [("worker-workflows", WorkerRole.WORKFLOWS),
                                   ("worker-activities", WorkerRole.ACTIVITIES)]
    # The two sides together poll exactly what the single worker polls, nothing twice.
    together = [q for role in split.values() for q in role_queues(role)]
    assert sorted(together) == sorted(role_queues(WorkerRole.ALL)) and len(set(together)) == len(together)
    split.clear()  # a copy: the caller may change it without changing the next answer
    assert len(worker_children(True)) == 2


# -- the CLI option ---------------------------------------------------------------------------------------------
def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_cli_rejects_an_unknown_role() -> None:
    result = _invoke("worker", "--role", "bogus")
    assert result.exit_code == 2  # click's usage error
    assert "Invalid value for '--role'" in result.output and "'bogus'" in result.output


def test_cli_help_lists_every_role() -> None:
    result = _invoke("worker", "--help")
    assert result.exit_code == 0
    assert "<all|workflows|activities>" in result.output
    assert "[default: all]" in result.output


@pytest.mark.parametrize(("args", "role"), [
    ((), WorkerRole.ALL),
    (("--role", "workflows"), WorkerRole.WORKFLOWS),
    (("--role", "ACTIVITIES"), WorkerRole.ACTIVITIES),  # case-insensitive
    (("--role", "all"), WorkerRole.ALL),
])
def test_cli_passes_the_role_to_the_worker(monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...],
                                           role: WorkerRole) -> None:
    import starters.commands.services as services
    import workers.main

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    calls: list[tuple[Settings, WorkerRole]] = []
    monkeypatch.setattr(services, "load_settings", lambda: settings)
    monkeypatch.setattr(workers.main, "main", lambda s, r: calls.append((s, r)))
    result = _invoke("worker", *args)
    assert result.exit_code == 0, result.output
    assert len(calls) == 1 and calls[0][0] is settings
    assert calls[0][1] is role


# -- build_workers against a dev server ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"), runtime=quiet_runtime())
    try:
        yield env
    finally:
        await env.shutdown()


async def _client(env: WorkflowEnvironment, identity: str = "roles-test") -> Client:
    """A client of its own per set of workers: a client takes one worker per task queue."""
    return await Client.connect(env.client.service_client.config.target_host, namespace=env.client.namespace,
                                runtime=quiet_runtime(), identity=identity)


def _settings(tmp_path: Path) -> Settings:
    # A DocuSign quota makes the e-sign queue's rate limit a number, so passing it on is visible.
    return Settings(_env_file=None, data_dir=tmp_path,  # type: ignore[call-arg]
                    docusign=DocuSignSettings(calls_per_hour=360))


def _activity_names(worker: Worker) -> set[str]:
    return {fn.__name__ for fn in worker.config().get("activities") or []}


def _workflows(worker: Worker) -> set[type]:
    return set(worker.config().get("workflows") or [])


def _expected_activities(settings: Settings) -> dict[str, set[str]]:
    by_queue = {queue: {fn.__name__ for fn in acts} for queue, acts in build_activities(settings).items()}
    by_queue["casefac"].add("request_agreement")  # AgreementActivities: needs the worker's client
    by_queue["casefac"].add("confirm_agreement")  # W1: a case asks the Advocate's entity (security C2 §4)
    by_queue["casefac"].add("gather")  # DigestActivities: reads the running cases through it
    return by_queue


async def test_workflows_role_builds_one_workflow_worker(temporal: WorkflowEnvironment, tmp_path: Path) -> None:
    workers = build_workers(await _client(temporal), _settings(tmp_path), WorkerRole.WORKFLOWS)
    assert [w.task_queue for w in workers] == ["casefac"]
    assert _workflows(workers[0]) == {CaseFacilitationWorkflow, AdvocateWorkflow, DigestWorkflow,
                                      SigningViewWorkflow}
    assert _activity_names(workers[0]) == set()


async def test_activities_role_builds_one_activity_worker_per_queue(temporal: WorkflowEnvironment,
                                                                    tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    workers = build_workers(await _client(temporal), settings, WorkerRole.ACTIVITIES)
    by_queue = {w.task_queue: w for w in workers}
    assert sorted(by_queue) == sorted(ALL_QUEUES) and len(workers) == len(ALL_QUEUES)
    expected = _expected_activities(settings)
    limits = queue_rate_limits(settings)
    assert limits["casefac-esign"] is not None
    for queue, worker in by_queue.items():
        assert _workflows(worker) == set(), queue
        assert _activity_names(worker) == expected[queue], queue
        assert worker.config()["max_task_queue_activities_per_second"] == limits[queue], queue
    assert {"load_roster", "request_agreement"} <= _activity_names(by_queue["casefac"])


async def test_all_role_builds_both_sides(temporal: WorkflowEnvironment, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    workers = build_workers(await _client(temporal), settings, WorkerRole.ALL)
    by_queue = {w.task_queue: w for w in workers}
    assert sorted(by_queue) == sorted(ALL_QUEUES) and len(workers) == len(ALL_QUEUES)
    expected = _expected_activities(settings)
    for queue, worker in by_queue.items():
        wanted = ({CaseFacilitationWorkflow, AdvocateWorkflow, DigestWorkflow, SigningViewWorkflow}
                  if queue == "casefac" else set())
        assert _workflows(worker) == wanted
        assert _activity_names(worker) == expected[queue], queue
    # The default role is ALL: the same workers as before roles existed.
    default = build_workers(await _client(temporal), settings)
    assert [(w.task_queue, _workflows(w), _activity_names(w)) for w in default] == \
        [(w.task_queue, _workflows(w), _activity_names(w)) for w in workers]


@pytest.mark.parametrize("role", list(WorkerRole))
async def test_running_workers_poll_exactly_their_role_queues(temporal: WorkflowEnvironment, tmp_path: Path,
                                                              role: WorkerRole) -> None:
    """What ``casefac up`` probes for a role (``role_queues``) is what that role's workers really poll."""
    pid = 10**9 + uuid.uuid4().int % 10**9  # no real process: worker_polling matches the identity's ':<pid>'
    client = await _client(temporal, identity=f"casefac-worker@test:{pid}")
    async with AsyncExitStack() as stack:
        for worker in build_workers(client, _settings(tmp_path), role):
            await stack.enter_async_context(worker)

        async def polling() -> bool:
            return await worker_polling(client, pid, role_queues(role))

        await eventually(polling, bool, timeout=30, what=f"{role.value} workers polling {role_queues(role)}")
        for queue, kind in set(WORKER_QUEUES) - set(role_queues(role)):
            identities = await pollers(client, queue, kind)
            assert not any(i.endswith(f":{pid}") for i in identities), (queue, kind, identities)
