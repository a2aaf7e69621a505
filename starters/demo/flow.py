"""The demo's script: staff act through the CLI's functions, the parties through emails and web pages.

Nothing here signals or updates the workflow on a party's behalf: the Defender and the Advocate follow
the portal links in their sandbox emails (``PortalParties``), sign on the sandbox DocuSign page, and pay on
the sandbox Stripe page, whose webhooks reach the workflow through the gateway exactly as in production.
Between steps the script polls the case's status (no fixed sleeps) and fails with what it was waiting for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from casefac.case import CaseStage
from casefac.ids import case_workflow_id
from casefac.policy import CasePolicy
from casefac.status import CaseStatus
from starters import staff_actions
from starters.cases import open_case, read_status
from starters.demo.sample import EXPENSE_GTQ, HOURS, RATE, STAFF, DemoCase, new_case_id
from starters.demo_parties import PortalParties
from starters.parsing import parse_rate

STEP_TIMEOUT = 30.0
STAGES = {CaseStage.REVIEW: "1 Review", CaseStage.AGREEMENT: "2 Agreement", CaseStage.ASSIGNMENT: "3 Assignment",
          CaseStage.PAYMENT: "4 Payment", CaseStage.EVALUATION: "5 Evaluation", CaseStage.CLOSED: "Closed"}


class DemoFailed(RuntimeError):
    """The case did not do what the demo expected; the message says what it was waiting for."""


@dataclass
class DemoWorld:
    client: Client
    http: httpx.AsyncClient
    sandbox_url: str
    staff_email: str
    policy: CasePolicy


class Reporter:
    """Rich progress: a spinner on the step under way, a permanent ✓ line for each step done."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.monotonic()
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.count = 0

    def __enter__(self) -> Reporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    @asynccontextmanager
    async def step(self, stage: CaseStage, text: str) -> AsyncIterator[Callable[[str], None]]:
        """``async with reporter.step(stage, "…") as note:`` → one line when done (``note`` adds detail)."""
        label = STAGES[stage]
        task = self.progress.add_task(f"[bold]{label:<12}[/] {escape(text)}…")
        details: list[str] = []
        began = time.monotonic()
        try:
            yield details.append
        except BaseException:
            self.progress.remove_task(task)
            self.console.print(f"[red]✗[/] [bold]{label:<12}[/] {escape(text)}")
            raise
        self.progress.remove_task(task)
        self.count += 1
        extra = f" [dim]· {escape(' · '.join(details))}[/]" if details else ""
        self.console.print(f"[green]✓[/] [bold]{label:<12}[/] {escape(text)}{extra} "
                           f"[dim]({time.monotonic() - began:.1f} s)[/]")


def _describe(status: CaseStatus | None) -> str:
    if status is None:
        return "no status yet"
    waiting = status.waiting
    who = f"; waiting on {waiting.role} to {waiting.what}" if waiting else ""
    attention = f"; needs attention: {status.attention.step} ({status.attention.message})" if status.attention \
        else ""
    return f"stage {status.stage.value}{who}{attention}"


async def until(client: Client, case_id: str, predicate: Callable[[CaseStatus], bool], what: str,
                timeout: float = STEP_TIMEOUT) -> CaseStatus:
    """Poll the case's status until ``predicate`` holds; ``DemoFailed`` naming ``what`` otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.05
    last: CaseStatus | None = None
    while True:
        try:
            last = await read_status(client, case_id)
        except Exception as exc:  # e.g. the workflow task has not run yet: keep polling until the deadline
            if loop.time() > deadline:
                raise DemoFailed(f"timed out waiting for {what}: {exc}") from exc
        else:
            if predicate(last):
                return last
            if last.attention is not None and last.attention.blocking:
                raise DemoFailed(f"the case needs attention while waiting for {what}: {_describe(last)}")
        if loop.time() > deadline:
            raise DemoFailed(f"timed out after {timeout:.0f} s waiting for {what} ({_describe(last)})")
        await asyncio.sleep(delay)  # poll interval
        delay = min(delay * 1.5, 0.25)


def _waiting_on(role: str) -> Callable[[CaseStatus], bool]:
    return lambda s: s.waiting is not None and s.waiting.role == role


async def _open(world: DemoWorld, case: DemoCase) -> DemoCase:
    for _ in range(5):  # a random case id can collide with an earlier demo's on a shared stack
        try:
            await open_case(world.client, case.request, world.policy)
            return case
        except WorkflowAlreadyStartedError:
            case = DemoCase(request=case.request.model_copy(update={"case_id": new_case_id()}),
                            defender=case.defender)
    raise DemoFailed("could not find a free demo case id")


async def play(world: DemoWorld, case: DemoCase, report: Reporter) -> CaseStatus:
    """All five steps; returns the closed case's status."""
    client = world.client
    parties = PortalParties(world.http, world.sandbox_url)
    adv, dfd = case.advocate_email, case.defender_email

    async with report.step(CaseStage.REVIEW, "staff open the case (casefac open)") as note:
        case = await _open(world, case)
        note(f"{case.case_id} for Advocate {case.request.advocate.id} · {case.request.country}")
    cid = case.case_id
    async with report.step(CaseStage.REVIEW, f"staff assign Defender {case.defender.id} (casefac assign)"):
        await until(client, cid, _waiting_on("staff"), "the case to wait for staff review")
        await staff_actions.review(client, cid, STAFF, defender_id=case.defender.id)
    async with report.step(CaseStage.REVIEW, "the Defender accepts on the portal (assignment email)"):
        await parties.defender_responds(cid, dfd, accept=True)
        await until(client, cid, lambda s: s.stage == CaseStage.AGREEMENT, "stage AGREEMENT")

    async with report.step(CaseStage.AGREEMENT, "the Advocate signs the one-time Advocate Agreement (DocuSign)"):
        await parties.sign(cid, adv, agreement=True)
        await until(client, cid, lambda s: s.agreement.status == "signed", "the Advocate Agreement to be in force")
    async with report.step(CaseStage.AGREEMENT, "the Advocate completes the contract on the portal") as note:
        await parties.advocate_completes_contract(cid, adv, "Weekly updates by secure messaging.")
        s = await until(client, cid, lambda s: s.advocate_completed and s.contract is not None,
                        "the Advocate's revision")
        assert s.contract is not None
        note(f"revision {s.contract.number}")
    async with report.step(CaseStage.AGREEMENT, "the Defender approves it on the portal"):
        await parties.defender_approves_contract(cid, dfd)
        await until(client, cid, lambda s: s.contract is not None and "defender" in s.contract.approvals,
                    "the Defender's approval")
    async with report.step(CaseStage.AGREEMENT, "staff approve it (casefac approve-contract)"):
        await staff_actions.approve_contract(client, cid, STAFF)
    for who, email in (("the Advocate", adv), ("the Defender", dfd), ("JiM", world.staff_email)):
        async with report.step(CaseStage.AGREEMENT, f"{who} signs the contract on the DocuSign page"):
            await parties.sign(cid, email)
    async with report.step(CaseStage.AGREEMENT, "the envelope completes (Connect webhooks → gateway)"):
        await until(client, cid, lambda s: s.stage == CaseStage.ASSIGNMENT, "stage ASSIGNMENT")

    async with report.step(CaseStage.ASSIGNMENT, "the Defender updates task T1 on the portal"):
        await parties.defender_updates_task(cid, dfd, "T1", "done", "Client located; video call held.")
        await until(client, cid, lambda s: any(t.id == "T1" and t.status == "done" for t in s.tasks), "task T1 done")
    async with report.step(CaseStage.ASSIGNMENT, f"the Defender submits the hour & expense report "
                                                 f"({HOURS} h + GTQ {EXPENSE_GTQ})"):
        today = date.today().isoformat()
        await parties.defender_submits_report(
            cid, dfd,
            hours=[{"date": today, "hours": HOURS, "task_code": "L110", "activity_code": "A106",
                    "description": "Located the client and held a video call"}],
            expenses=[{"date": today, "amount": EXPENSE_GTQ, "currency": "GTQ", "expense_code": "E109",
                       "description": "Bus fares to the client's town"}])
        await until(client, cid, lambda s: s.stage == CaseStage.PAYMENT and _waiting_on("staff")(s),
                    "the report to wait for staff review")

    async with report.step(CaseStage.PAYMENT, f"staff approve the report at {RATE} (casefac review-report)") as note:
        receipt = await staff_actions.review_report(client, cid, STAFF, rates=[parse_rate(RATE)])
        note(receipt.message)
    async with report.step(CaseStage.PAYMENT, "Stripe invoice sent and Defender paid by Connect transfer") as note:
        s = await until(client, cid, lambda s: bool(s.invoices) and any(p.status == "paid" for p in s.payouts),
                        "the invoice and the payout")
        note(f"invoice {s.invoices[0].number or s.invoices[0].invoice_id} {s.invoices[0].amount_due.format()}")
        note(f"transfer {s.payouts[0].reference} {s.payouts[0].amount.format()}")
    async with report.step(CaseStage.PAYMENT, "the Advocate pays on the Stripe hosted invoice page"):
        await parties.pay_invoice(cid, adv)
        await until(client, cid, lambda s: bool(s.invoices) and all(i.status == "paid" for i in s.invoices),
                    "invoice.paid to reach the case")

    async with report.step(CaseStage.EVALUATION, "the Advocate and the Defender evaluate on the portal"):
        await until(client, cid, lambda s: s.stage == CaseStage.EVALUATION, "stage EVALUATION")
        await parties.evaluate(cid, adv, comments="Fast and careful work.")
        await parties.evaluate(cid, dfd, comments="Clear instructions from the Advocate.")
    async with report.step(CaseStage.EVALUATION, "the Advocate reports the outcome (granted)"):
        await parties.advocate_reports_outcome(cid, adv, "granted", notes="Asylum granted.")
    async with report.step(CaseStage.CLOSED, "the case closes"):
        return await until(client, cid, lambda s: s.stage == CaseStage.CLOSED, "stage CLOSED")


async def verify(world: DemoWorld, status: CaseStatus) -> list[str]:
    """What must hold at the end; an empty list means the case really closed as expected."""
    problems: list[str] = []
    if status.stage != CaseStage.CLOSED:
        problems.append(f"stage is {status.stage.value}, not CLOSED")
    if len(status.invoices) != 1 or status.invoices[0].status != "paid":
        problems.append(f"expected one paid invoice, found {[(i.invoice_id, i.status) for i in status.invoices]}")
    payouts = [p for p in status.payouts if p.method == "stripe_connect" and p.status == "paid"]
    if len(payouts) != 1:
        problems.append(f"expected one Stripe Connect payout, found {len(payouts)}")
    response = await world.http.get(f"{world.sandbox_url}/_sandbox/transfers")
    response.raise_for_status()
    wid = case_workflow_id(status.case_id)
    transfers: list[dict[str, Any]] = [t for t in response.json() if t.get("transfer_group") == wid]
    if len(transfers) != 1:
        problems.append(f"expected exactly one Stripe transfer for {wid}, the sandbox has {len(transfers)}")
    elif payouts and transfers[0].get("amount") != payouts[0].amount.amount:
        problems.append(f"transfer amount {transfers[0].get('amount')} != payout {payouts[0].amount.amount}")
    return problems
