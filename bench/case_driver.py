"""One Case Facilitation lifecycle, Review to Closed, as the bench drives it.

The script is the demo's (``starters.demo.flow.play``): staff act through ``starters.staff_actions`` (the
functions the CLI calls; each is one ``execute_update``, timed here), the parties through
:mod:`bench.parties`. Before each step the driver polls the ``status`` query until the case is ready for
it, as the demo does, so no step is sent early and refused. A case fails when a step raises, a wait
times out, or the closed case is not what the demo verifies (one paid invoice, one Stripe Connect payout).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio.client import WorkflowHandle

from bench.metrics import PhaseStats
from bench.parties import Parties, parties_for
from bench.polling import poll
from bench.world import STAFF, BenchWorld, bench_case
from casefac.case import CaseStage
from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.messages import LinkUse, Receipt
from casefac.parties import Actor, Role
from casefac.status import CaseStatus
from starters import staff_actions
from starters.cases import case_handle, open_case
from starters.demo.sample import RATE
from starters.parsing import parse_rate

T = TypeVar("T")


class CaseProblem(RuntimeError):
    """The case closed, but not as it should have."""


def _waiting_on(role: str) -> Callable[[CaseStatus], bool]:
    return lambda s: s.waiting is not None and s.waiting.role == role


def problems(status: CaseStatus) -> list[str]:
    """What must hold for a closed case (the demo's checks that need no sandbox listing)."""
    found: list[str] = []
    if status.stage != CaseStage.CLOSED:
        found.append(f"stage is {status.stage.value}, not CLOSED")
    if len(status.invoices) != 1 or status.invoices[0].status != "paid":
        found.append(f"expected one paid invoice, found {[(i.invoice_id, i.status) for i in status.invoices]}")
    if len([p for p in status.payouts if p.method == "stripe_connect" and p.status == "paid"]) != 1:
        found.append(f"expected one Stripe Connect payout, found {[(p.method, p.status) for p in status.payouts]}")
    return found


class CaseRun:
    """Drives case ``index``; ``step`` says where it is (what a failure reports)."""

    def __init__(self, world: BenchWorld, index: int, stats: PhaseStats) -> None:
        self.world = world
        self.stats = stats
        self.request, self.defender = bench_case(world.roster, index)
        self.case_id = self.request.case_id
        self.workflow_id = case_workflow_id(self.case_id)
        self.handle: WorkflowHandle[Any, CaseStatus] = case_handle(world.client, self.case_id)
        self.advocate_actor = Actor(role=Role.ADVOCATE, id=self.request.advocate.id)
        self.defender_actor = Actor(role=Role.DEFENDER, id=self.defender.id)
        self.advocate_email = str(self.request.advocate.email)
        self.defender_email = str(self.defender.email)
        self.step = "not started"
        self._step_began = 0.0

    def enter(self, step: str) -> None:
        """Start ``step``; the previous one's wall time goes to the stats (where a lifecycle's time goes)."""
        now = time.perf_counter()
        if self._step_began:
            self.stats.step_done(self.step, now - self._step_began)
        self.step, self._step_began = step, now

    # -- helpers the parties use ---------------------------------------------------------------------
    def advocate_handle(self) -> WorkflowHandle[Any, Any]:
        return self.world.client.get_workflow_handle(advocate_workflow_id(self.request.advocate.id))

    async def wait(self, probe: Callable[[], Awaitable[T]], ready: Callable[[T], bool], what: str) -> T:
        return await poll(probe, ready, what, stats=self.stats, timeout=self.world.step_timeout)

    async def until(self, ready: Callable[[CaseStatus], bool], what: str) -> CaseStatus:
        return await self.wait(lambda: self.handle.query("status", result_type=CaseStatus), ready, what)

    async def update(self, name: str, payload: Any) -> Receipt:
        """A party's update, sent as the gateway sends it (``gateway/portal/updates.send_update``), timed.

        Like the gateway, it carries the link it came through (``LinkUse``): a fresh nonce per update, as each
        portal action is its own emailed link, at epoch 0 (the bench never revokes or re-sends a party's
        links). The workflow spends a one-shot link's nonce (``workflows/guard_links.py``).
        """
        payload = payload.model_copy(update={"link": LinkUse(nonce=secrets.token_urlsafe(16), epoch=0)})
        with self.stats.update(name):
            return await self.handle.execute_update(name, payload, result_type=Receipt)

    async def staff(self, name: str, action: Awaitable[Receipt]) -> Receipt:
        """A staff command through ``starters.staff_actions`` (what the CLI runs), timed."""
        with self.stats.update(name):
            return await action

    async def party(self, name: str, action: Awaitable[Any]) -> None:
        """A party's portal step (portal mode): its HTTP round trips, timed apart from updates."""
        began = time.perf_counter()
        await action
        self.stats.party_steps.append(time.perf_counter() - began)

    # -- the lifecycle -------------------------------------------------------------------------------
    async def run(self) -> CaseStatus:
        """Review → Agreement → Assignment → Payment → Evaluation → Closed; the closed case's status."""
        world, cid = self.world, self.case_id
        parties: Parties = parties_for(self)

        self.enter("open the case")
        await open_case(world.client, self.request, self.request.policy or world.settings.policy)
        self.enter("staff assign the Defender")
        await self.until(_waiting_on("staff"), "the case to wait for staff review")
        await self.staff("review_case", staff_actions.review(world.client, cid, STAFF, defender_id=self.defender.id))
        self.enter("the Defender accepts")
        await self.until(_waiting_on("defender"), "the assignment offer")
        await parties.respond(self)

        self.enter("the Advocate signs the Advocate Agreement")
        await self.until(lambda s: s.stage == CaseStage.AGREEMENT, "stage AGREEMENT")
        await parties.sign_agreement(self)
        await self.until(lambda s: s.agreement.status == "signed", "the Advocate Agreement to be in force")
        self.enter("the Advocate completes the contract")
        await parties.complete_contract(self)
        self.enter("the Defender approves the contract")
        await self.until(lambda s: s.advocate_completed and s.contract is not None, "the Advocate's revision")
        await parties.approve_contract(self)
        self.enter("staff approve the contract")
        status = await self.until(lambda s: s.contract is not None and "defender" in s.contract.approvals,
                                  "the Defender's approval")
        assert status.contract is not None
        await self.staff("approve_contract", staff_actions.approve_contract(world.client, cid, STAFF,
                                                                            revision=status.contract.number))
        status = await self.until(lambda s: s.envelope is not None and s.envelope.status == "sent",
                                  "the contract envelope")
        assert status.envelope is not None
        for role in (Role.ADVOCATE, Role.DEFENDER, Role.STAFF):
            self.enter(f"the {role.value} signs the contract")
            await parties.sign_contract(self, role, status.envelope)

        self.enter("the Defender updates task T1")
        status = await self.until(lambda s: s.stage == CaseStage.ASSIGNMENT and bool(s.tasks), "stage ASSIGNMENT")
        await parties.update_task(self, status.tasks[0].id)
        self.enter("the Defender submits the report")
        report_number = await parties.submit_report(self)
        self.enter("staff approve the report")
        await self.until(lambda s: s.stage == CaseStage.PAYMENT and _waiting_on("staff")(s),
                         "the report to wait for staff review")
        await self.staff("review_report", staff_actions.review_report(world.client, cid, STAFF,
                                                                      report_number=report_number,
                                                                      rates=[parse_rate(RATE)]))
        self.enter("the Advocate pays the invoice")
        status = await self.until(lambda s: bool(s.invoices) and s.invoices[0].status == "open", "the invoice")
        await parties.pay_invoice(self, status.invoices[0])

        self.enter("the parties evaluate")
        await self.until(lambda s: s.stage == CaseStage.EVALUATION, "stage EVALUATION")
        await parties.evaluate(self, Role.ADVOCATE)
        await parties.evaluate(self, Role.DEFENDER)
        self.enter("the Advocate reports the outcome")
        await parties.report_outcome(self)
        self.enter("the case closes")
        final: CaseStatus = await self.handle.result()
        found = problems(final)
        if found:
            raise CaseProblem("; ".join(found))
        self.enter("closed")
        return final
