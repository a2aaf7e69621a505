"""C2 §1 and m6 against a real Temporal dev server and a real worker with the project's converter.

The attacker has namespace access and the raw gRPC API, but no key ring: they send an update with a
plain JSON argument, or they copy the encrypted argument of a genuine update from case A's history into
an update on case B. Neither reaches B's handler; the same raw bytes sent back to A (control) do.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.enums.v1 import EventType, UpdateWorkflowExecutionLifecycleStage
from temporalio.api.update.v1 import Input, Meta, Request, WaitPolicy
from temporalio.api.workflowservice.v1 import UpdateWorkflowExecutionRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from tests.conftest import binary

QUEUE = "codec-attacks"


class Cancel(BaseModel):
    reason: str


@workflow.defn(name="AttackTarget")
class AttackTarget:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.reasons) >= 99)
        return self.reasons

    @workflow.update
    def cancel_case(self, req: Cancel) -> int:
        self.reasons.append(req.reason)
        return len(self.reasons)

    @workflow.query
    def seen(self) -> list[str]:
        return self.reasons


@workflow.defn(name="ScheduledDigest")
class ScheduledDigest:
    @workflow.run
    async def run(self, req: Cancel) -> str:
        return f"{workflow.info().workflow_id}:{req.reason}"


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[tuple[WorkflowEnvironment, Client]]:
    converter = data_converter(EncryptionCodec(KeyRing.generate("attack-test")))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                data_converter=converter)
    async with Worker(env.client, task_queue=QUEUE, workflows=[AttackTarget, ScheduledDigest],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        yield env, env.client
    await env.shutdown()


async def _raw_update(client: Client, workflow_id: str, args: Payloads) -> bool:
    """Send an update with exactly these payloads (no codec); True when the workflow accepted it."""
    request = UpdateWorkflowExecutionRequest(
        namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=workflow_id),
        wait_policy=WaitPolicy(lifecycle_stage=UpdateWorkflowExecutionLifecycleStage.
                               UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED),
        request=Request(meta=Meta(update_id=uuid.uuid4().hex, identity="attacker"),
                        input=Input(name="cancel_case", args=args)))
    try:
        response = await client.workflow_service.update_workflow_execution(request, timeout=timedelta(seconds=4))
    except (TimeoutError, RPCError):
        return False
    return response.stage >= UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED


async def _captured_update_args(client: Client, workflow_id: str) -> Payloads:
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            return event.workflow_execution_update_accepted_event_attributes.accepted_request.input.args
    raise AssertionError("no accepted update in the history")


async def _start(client: Client, name: str) -> str:
    workflow_id = f"case-{name}-{uuid.uuid4().hex[:6]}"
    await client.start_workflow(AttackTarget.run, id=workflow_id, task_queue=QUEUE)
    return workflow_id


async def test_update_captured_from_case_a_is_refused_in_case_b(env: tuple[WorkflowEnvironment, Client]) -> None:
    _, client = env
    case_a, case_b = await _start(client, "A"), await _start(client, "B")
    assert await client.get_workflow_handle(case_a).execute_update(AttackTarget.cancel_case, Cancel(reason="A's"))
    captured = await _captured_update_args(client, case_a)
    assert await _raw_update(client, case_b, captured) is False
    assert await _raw_update(client, case_a, captured) is True  # control: the same bytes in their own case
    # B's handler never saw it (a fresh worker task for B proves B still runs and is untouched).
    await client.get_workflow_handle(case_b).terminate("test over")
    assert await client.get_workflow_handle(case_a).query(AttackTarget.seen) == ["A's", "A's"]


async def test_plain_update_without_the_key_ring_is_refused(env: tuple[WorkflowEnvironment, Client]) -> None:
    _, client = env
    case = await _start(client, "P")
    plain = Payloads(payloads=[Payload(metadata={"encoding": b"json/plain"},
                                       data=json.dumps({"reason": "forged"}).encode())])
    assert await _raw_update(client, case, plain) is False
    # The refused update failed a workflow task; the case then goes on and takes a genuine update.
    handle = client.get_workflow_handle(case)
    for _ in range(40):
        try:
            assert await handle.execute_update(AttackTarget.cancel_case, Cancel(reason="real")) == 1
            break
        except RPCError:
            await asyncio.sleep(0.5)
    else:
        raise AssertionError("the case never recovered from the refused update")
    assert await handle.query(AttackTarget.seen) == ["real"]


async def test_a_scheduled_run_reads_the_input_its_schedule_encoded(env: tuple[WorkflowEnvironment, Client]) -> None:
    """Schedules encode the action's input with the action's workflow id; the run is '<id>-<time>'."""
    _, client = env
    action_id = f"digest-codec-{uuid.uuid4().hex[:6]}"
    handle = await client.create_schedule(f"sched-{action_id}", Schedule(
        action=ScheduleActionStartWorkflow(ScheduledDigest.run, Cancel(reason="readers"), id=action_id,
                                           task_queue=QUEUE),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))])))
    try:
        await handle.trigger()
        for _ in range(60):
            runs = (await handle.describe()).info.recent_actions
            if runs:
                break
            await asyncio.sleep(0.25)
        run_id = runs[0].action.workflow_id
        assert run_id.startswith(action_id + "-")
        result = await client.get_workflow_handle(run_id).result()
        assert result == f"{run_id}:readers"
    finally:
        await handle.delete()
