"""A case and its Advocate entity started on the previous release finish on this one (review M11).

The previous release's code (``previous.tar.gz``, see ``snapshot.py``) runs in a worker process of its own,
serving every task queue, the way a deployed release does. A case is opened and driven until it waits for
the Advocate Agreement, whose entity has sent its envelope: both workflows are mid-flight. The previous
worker then stops, and this release's workers (the repository's live code, in this process) take the same
task queues: they replay both histories and carry the case to CLOSED, with its invoice and payout. Any
change that breaks replay of the previous release's histories (a command reordered without a patch, a
payload today's models cannot read) shows up as a workflow task failure here.

Until the switch, the test talks to the previous workers as the previous CLI would: payloads carry only the
fields the test set (``exclude_unset``), since the previous release's models refuse fields they do not know.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import PydanticPayloadConverter, ToJsonOptions
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from casefac.activity_io import ActivityName, TaskQueue
from casefac.case import CaseStage
from casefac.converter import data_converter
from casefac.ids import advocate_workflow_id
from casefac.policy import CasePolicy
from casefac.state import AdvocateState
from casefac.status import CaseStatus
from tests.conftest import binary, eventually, quiet_runtime
from tests.upgrade import snapshot
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Case, Harness
from tests.workflow.world import main_queue_worker, register_search_attributes
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard

HERE = Path(__file__).parent
PREVIOUS = "previous@"  # the previous release's worker identity (this release's workers keep the default)


class _SetFieldsOnly(PydanticPayloadConverter):
    """What the previous CLI sends: the fields it knows, here the ones the test set."""

    def __init__(self) -> None:
        super().__init__(ToJsonOptions(exclude_unset=True))


@asynccontextmanager
async def previous_worker(root: Path, address: str, identity: str) -> AsyncIterator[None]:
    """The previous release's worker process, until the block ends (SIGTERM, a clean stop).

    Its log goes to a file beside the snapshot (a pipe nobody reads could fill and stall it); a failure quotes it.
    """
    log_path = root.parent / "previous-worker.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-P", str(HERE / "previous_worker.py"), address, identity, cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)}, stdout=asyncio.subprocess.PIPE, stderr=log)
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
            assert line.strip() == b"ready", f"the previous worker did not start: {log_path.read_text()[-4000:]}"
            yield
        finally:
            if proc.returncode is None:
                proc.terminate()
            rest, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0 and rest.strip().endswith(b"stopped"), log_path.read_text()[-4000:]


@asynccontextmanager
async def current_workers(h: Harness) -> AsyncIterator[None]:
    """This release's workers on every task queue: the live world's main-queue worker, fakes on the others."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(main_queue_worker(h))
        for queue, activities in h.fakes.by_queue().items():
            if queue != TaskQueue.MAIN:
                await stack.enter_async_context(Worker(h.client, task_queue=queue, activities=activities,
                                                       activity_executor=ThreadPoolExecutor(4)))
        yield


async def _events(handle: WorkflowHandle[Any, Any]) -> list[Any]:
    return [e async for e in handle.fetch_history_events()]


async def _task_failures(client: Client, handle: WorkflowHandle[Any, Any]) -> list[str]:
    return [str(await client.data_converter.decode_failure(e.workflow_task_failed_event_attributes.failure))
            for e in await _events(handle) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]


async def _identities(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """Which worker completed each workflow task, in order."""
    return [e.workflow_task_completed_event_attributes.identity for e in await _events(handle)
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]


@asynccontextmanager
async def upgrade_world(tmp_path: Path) -> AsyncIterator[tuple[Harness, Path, str]]:
    """A time-skipping server, the extracted previous release and a harness whose client speaks as the previous
    CLI did; the test swaps ``h.client`` for the current one at the upgrade."""
    root = snapshot.extract(tmp_path / "previous")
    commit = json.loads((HERE / "previous.json").read_text())["commit"][:12]
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=data_converter(None),
        runtime=quiet_runtime())
    try:
        await register_search_attributes(env.client)
        address = env.client.service_client.config.target_host
        previous_client = await Client.connect(address, data_converter=dataclasses.replace(
            data_converter(None), payload_converter_class=_SetFieldsOnly))
        h = Harness(env=env, client=previous_client, fakes=FakeProviders(), policy=CasePolicy(),
                    run=uuid.uuid4().hex[:6].upper(), numbers=itertools.count(1))
        yield h, root, f"{PREVIOUS}{commit}"
    finally:
        await env.shutdown()


def _upgraded(h: Harness, case: Case) -> Case:
    """The same case, driven from now on by this release's client (``h.env.client``)."""
    h.client = h.env.client
    return Case(h=h, handle=h.client.get_workflow_handle(case.handle.id, result_type=CaseStatus), req=case.req,
                defender_id=case.defender_id)


async def _assert_written_by_both(handle: WorkflowHandle[Any, Any]) -> None:
    """The previous release completed the first workflow tasks, this release every one after the switch; and
    the whole history, both halves, replays from the start on this release's code (a fresh worker's view)."""
    identities = await _identities(handle)
    assert identities[0].startswith(PREVIOUS) and not identities[-1].startswith(PREVIOUS), identities
    switch = next(i for i, who in enumerate(identities) if not who.startswith(PREVIOUS))
    assert not any(who.startswith(PREVIOUS) for who in identities[switch:]), identities
    replayer = Replayer(workflows=[CaseFacilitationWorkflow, AdvocateWorkflow], data_converter=data_converter(None),
                        workflow_runner=workflow_runner(strict=True), interceptors=[CasefacGuard()])
    result = await replayer.replay_workflow(await handle.fetch_history(), raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def _assert_closed_with_money(h: Harness, final: CaseStatus) -> None:
    assert final.stage is CaseStage.CLOSED
    [invoice] = final.invoices
    [payout] = final.payouts
    assert invoice.status == "paid" and invoice.amount_due.amount > 0
    assert payout.status == "paid" and payout.amount.amount > 0


async def test_a_case_and_its_advocate_started_on_the_previous_release_finish_on_this_one(tmp_path: Path) -> None:
    """Mid-flight in AGREEMENT: the case waits for the Agreement, the entity follows its envelope."""
    async with upgrade_world(tmp_path) as (h, root, identity):
        address = h.env.client.service_client.config.target_host
        async with previous_worker(root, address, identity):
            case = await h.open()
            await case.assign("DEF-GT-001")
            await case.accept()
            waiting = await case.until(lambda s: s.agreement.status == "pending" and s.contract is not None,
                                       "waiting for the Advocate Agreement")
            entity = h.client.get_workflow_handle(advocate_workflow_id(case.req.advocate.id))
            await eventually(lambda: entity.query("agreement", result_type=AdvocateState),
                             lambda s: s.status == "pending" and s.envelope_id is not None,
                             what="the Agreement envelope out")
        assert waiting.stage is CaseStage.AGREEMENT

        case = _upgraded(h, case)
        entity = h.client.get_workflow_handle(entity.id)
        async with current_workers(h):
            await case.sign_advocate_agreement()
            await case.complete_and_approve_contract()
            await case.sign_all()
            final = await case.close_from_assignment()
            assert not await _task_failures(h.client, case.handle)
            assert not await _task_failures(h.client, entity)

        _assert_closed_with_money(h, final)
        assert len(h.fakes.calls[ActivityName.ISSUE_INVOICE]) == 1
        assert len(h.fakes.calls[ActivityName.PAY_DEFENDER]) == 1
        # the Agreement the previous release sent is the one signed: this release sent no second envelope
        assert h.fakes.calls[ActivityName.SEND_AGREEMENT_ENVELOPE] == []
        await _assert_written_by_both(case.handle)
        await _assert_written_by_both(entity)


async def test_a_case_waiting_in_payment_on_the_previous_release_is_priced_and_paid_on_this_one(
        tmp_path: Path) -> None:
    """Mid-flight in PAYMENT: the final report was submitted on the previous release and waits for staff; this
    release approves it, issues the invoice, pays the Defender and closes the case."""
    async with upgrade_world(tmp_path) as (h, root, identity):
        address = h.env.client.service_client.config.target_host
        async with previous_worker(root, address, identity):
            case = await h.open()
            await case.to_assignment("DEF-GT-001")
            number = await case.submit(case.report())
            await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "report review")

        case = _upgraded(h, case)
        async with current_workers(h):
            await case.approve(number)
            final = await case.close_from_payment()
            assert not await _task_failures(h.client, case.handle)

        _assert_closed_with_money(h, final)
        [issued] = h.fakes.calls[ActivityName.ISSUE_INVOICE]
        [paid] = h.fakes.calls[ActivityName.PAY_DEFENDER]
        assert issued.report_number == paid.report_number == number
        assert final.invoices[0].amount_due == issued.total and final.payouts[0].amount == paid.amount
        await _assert_written_by_both(case.handle)
