"""Processes dying under a running case (issue 7): the worker SIGKILLed mid-activity, the dev server stopped
and restarted from its SQLite file mid-case, a webhook arriving while Temporal is down.

The ``casefac up`` stack with real child processes (``tests/faults/stack.py``): only separate processes can
be killed, and only a dev server on a file can come back with its cases.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.ids import case_workflow_id
from casefac.status import CaseStatus
from tests.faults.kit import (
    INVOICE_AND_PAYOUT,
    PAY_INVOICE,
    REVIEW_REPORT,
    Scene,
    attempts,
    open_timers,
    retried,
    until,
)
from tests.faults.stack import FaultStack, pending_activities

pytestmark = pytest.mark.integration

FINALIZE = r"POST /v1/invoices/[^/]+/finalize$"
#: Long enough to kill or restart something while the call is held, short enough to keep the suite quick.
HOLD_SECONDS = 4.0


async def _in_flight(scene: Scene, case_id: str) -> None:
    """The invoice activity is inside Stripe's finalize call: the held fault was taken by that call (the
    sandbox takes a fault when the request arrives), after the draft invoice was made."""
    sb = scene.sandbox
    await until(sb.faults, lambda faults: faults == [], "the finalize call to reach the sandbox")
    drafts = await sb.invoices_of(case_id)
    assert [i["status"] for i in drafts] == ["draft"], drafts


async def test_worker_killed_in_the_middle_of_issuing_the_invoice(fault_stack: FaultStack,
                                                                  stack_scene: Scene) -> None:
    """SIGKILL leaves no trace but an activity the server believes is running. After a restart the retry
    finds the draft the dead attempt made (with its lines), finishes it, and the case closes: one invoice,
    one transfer, one contract envelope, and Temporal's history shows the invoice activity's second attempt."""
    scene = stack_scene
    case = scene.new_case()
    wid = case_workflow_id(case.case_id)
    seen: dict[str, Any] = {}

    async def hold_finalize() -> None:
        await scene.sandbox.fault(FINALIZE, status=None, delay=HOLD_SECONDS)

    async def kill_the_worker_mid_call() -> None:
        await _in_flight(scene, case.case_id)
        # Nothing else running (an email still going out would be sent twice after a kill, by design).
        await until(lambda: pending_activities(scene.client, wid),
                    lambda running: [a.activity_type.name for a in running] == [ActivityName.ISSUE_INVOICE],
                    "the invoice activity alone in flight", timeout=HOLD_SECONDS)
        seen["killed"] = fault_stack.kill_worker()
        seen["restarted"] = await fault_stack.start_worker()
        # No operator help: the activity heartbeats, so the server fails the dead attempt within its
        # heartbeat timeout and the restarted worker retries it.

    status = await scene.run(case, {REVIEW_REPORT: hold_finalize, INVOICE_AND_PAYOUT: kill_the_worker_mid_call})

    assert seen["restarted"] != seen["killed"]
    assert status.stage == CaseStage.CLOSED and [i.status for i in status.invoices] == ["paid"]
    (await scene.sandbox.books(case)).assert_one_of_each()
    invoice = retried(await attempts(scene.client, wid), ActivityName.ISSUE_INVOICE)
    assert [(a.attempt, "Heartbeat" in a.last_failure) for a in invoice] == [(2, True)], invoice


async def test_dev_server_restarted_mid_case_while_a_timer_and_then_an_activity_are_pending(
        fault_stack: FaultStack, stack_scene: Scene) -> None:
    """The dev server goes down twice under one case and comes back from its SQLite file: first while the
    case waits on staff (its reminder timers pending), then while the invoice activity is inside a Stripe
    call (the worker finishes the call with the server down and reports it once the server is back). The
    case carries on each time and closes with one of everything."""
    scene = stack_scene
    case = scene.new_case()
    wid = case_workflow_id(case.case_id)
    history: dict[str, int] = {}

    async def restart_while_waiting_on_staff() -> None:
        before: CaseStatus = await scene.status(case.case_id)
        assert before.stage == CaseStage.PAYMENT and before.waiting and before.waiting.role == "staff"
        history["before"] = before.history_events
        timers = await open_timers(scene.client, wid)
        assert timers, "the review reminder is a pending timer"
        await fault_stack.stop_temporal()
        await fault_stack.start_temporal()
        after = await until(lambda: scene.status_if_up(case.case_id), lambda s: s is not None,
                            "the case to answer after the restart")
        assert after is not None and after.waiting == before.waiting and after.timeline == before.timeline
        assert timers <= await open_timers(scene.client, wid), "the server kept the pending timers"
        await scene.sandbox.fault(FINALIZE, status=None, delay=HOLD_SECONDS)

    async def restart_while_the_invoice_activity_runs() -> None:
        await _in_flight(scene, case.case_id)
        await fault_stack.stop_temporal()
        # The worker carries on without the server: Stripe finalizes and sends the invoice meanwhile.
        await until(lambda: scene.sandbox.invoices_of(case.case_id),
                    lambda invoices: [i["status"] for i in invoices] == ["open"], "the invoice finalized")
        await fault_stack.start_temporal()

    status = await scene.run(case, {REVIEW_REPORT: restart_while_waiting_on_staff,
                                    INVOICE_AND_PAYOUT: restart_while_the_invoice_activity_runs})

    assert status.stage == CaseStage.CLOSED and status.history_events > history["before"]
    (await scene.sandbox.books(case)).assert_one_of_each()
    assert retried(await attempts(scene.client, wid), ActivityName.ISSUE_INVOICE) == [], \
        "the attempt that ran across the restart completed; nothing had to be redone"


async def test_a_webhook_while_temporal_is_down_is_refused_with_503_and_redelivered_later(
        fault_stack: FaultStack, stack_scene: Scene) -> None:
    """The Advocate pays while the dev server is down: the gateway answers Stripe's ``invoice.paid`` with 503
    (so the provider keeps it), the sandbox's log shows that answer, and once Temporal is back a redelivery
    reaches the case, which records the payment and moves on."""
    scene, sb = stack_scene, stack_scene.sandbox
    case = scene.new_case()
    back: list[asyncio.Task[dict[str, Any]]] = []

    async def paid_delivery() -> dict[str, Any] | None:
        return next((d for d in await sb.deliveries() if d["event"] == "invoice.paid"
                     and d["payload"]["data"]["object"]["metadata"].get("case_id") == case.case_id), None)

    async def bring_temporal_back() -> dict[str, Any]:
        refused = await until(paid_delivery, lambda d: d is not None and d["last_status"] == 503,
                              "the gateway's 503 for invoice.paid", timeout=60)
        assert refused is not None and refused["pending"] and not refused["delivered"]
        await fault_stack.start_temporal()
        await sb.redeliver()
        return dict(refused)

    async def take_temporal_down() -> None:
        await fault_stack.stop_temporal()
        back.append(asyncio.create_task(bring_temporal_back()))

    try:
        status = await scene.run(case, {PAY_INVOICE: take_temporal_down})
    except BaseException:
        if back and back[0].done() and back[0].exception() is not None:
            raise back[0].exception() from None  # why the case never saw the payment
        raise
    finally:
        if back and not back[0].done():
            back[0].cancel()
    refused = await back[0]

    assert status.stage == CaseStage.CLOSED and [i.status for i in status.invoices] == ["paid"]
    delivered = await paid_delivery()
    assert delivered is not None and delivered["delivered"] and delivered["last_status"] == 200
    assert delivered["attempts"] > refused["attempts"] >= 1
    (await sb.books(case)).assert_one_of_each()
