"""Where the demo runs: on the stack ``casefac up`` is running, or on a private one it starts and stops.

A private stack lives in a temporary data dir on free ports, so the demo never touches your cases or
collides with anything listening; it is gone when the demo ends.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.markup import escape

from casefac.ids import case_workflow_id
from casefac.roster import parse_roster
from casefac.settings import Settings
from casefac.status import CaseStatus
from casefac.temporal_client import connect_client
from starters.demo.flow import DemoFailed, DemoWorld, Reporter, play, verify
from starters.demo.sample import sample_case
from starters.demo_parties import PartyError
from starters.stack import running
from starters.stack.plan import settings_with
from starters.stack.spec import load_spec
from starters.stack.up import AlreadyRunning, LocalStack, StartError


def workflow_url(settings: Settings, workflow_id: str) -> str:
    host = settings.temporal.address.rpartition(":")[0] or "127.0.0.1"
    return (f"http://{host}:{settings.temporal.ui_port}/namespaces/{quote(settings.temporal.namespace)}"
            f"/workflows/{quote(workflow_id)}")


#: How long the demo waits for the closed case's last record write (milliseconds when the record is up).
RECORD_WAIT_SECONDS = 30


async def drive(settings: Settings, console: Console) -> tuple[CaseStatus, list[str]]:
    """Play the sample case on the stack ``settings`` describe; the closed status and any problems."""
    client = await connect_client(settings, identity="casefac-demo")
    roster = parse_roster(settings.roster_file.read_text(encoding="utf-8"))
    case = sample_case(roster)
    sandbox_url = f"http://{settings.sandbox.host}:{settings.sandbox.port}"
    async with httpx.AsyncClient(timeout=30) as http:
        world = DemoWorld(client=client, http=http, sandbox_url=sandbox_url,
                          staff_email=settings.sendgrid.staff_email, policy=settings.policy)
        with Reporter(console) as reporter:
            status = await play(world, case, reporter)
        # The case is CLOSED; the workflow returns once its last milestone is in the record.
        handle = client.get_workflow_handle(case_workflow_id(status.case_id), result_type=CaseStatus)
        try:
            status = await asyncio.wait_for(handle.result(), timeout=RECORD_WAIT_SECONDS)
        except TimeoutError:
            return status, [f"the case did not finish writing its record within {RECORD_WAIT_SECONDS} s "
                            "(is the records database reachable? see the worker's log)"]
        return status, await verify(world, status) + in_the_record(settings, status, console)


#: The invoice fields the case record keeps (``records/reader.py``); W2's Stripe figures (total, paid, remaining,
#: decisions) are in the workflow's status but not yet in the record's schema.
_RECORD_INVOICE_FIELDS = {"report_number", "invoice_id", "number", "status", "amount_due", "issued_at", "due_date",
                          "paid_at", "history", "reminders_sent", "escalated", "hosted_invoice_url"}


def _kept(invoices: list[Any]) -> list[dict[str, Any]]:
    return [i.model_dump(include=_RECORD_INVOICE_FIELDS) for i in invoices]


def in_the_record(settings: Settings, status: CaseStatus, console: Console) -> list[str]:
    """The closed case must be in the case record, with the money the workflow reported."""
    from records.connect import Records

    records = Records.from_settings(settings)
    try:
        recorded = records.reader.case(status.case_id)
        where = records.engine.url.render_as_string(hide_password=True)
    finally:
        records.close()
    if recorded is None:
        return [f"the case record ({where}) does not hold {status.case_id}"]
    if (recorded.stage != status.stage or recorded.money != status.money
            or _kept(recorded.invoices) != _kept(status.invoices)):
        return [f"the case record holds {status.case_id} as {recorded.stage.value} with {recorded.money}, "
                f"the workflow says {status.stage.value} with {status.money}"]
    console.print(f"[green]✓[/] [bold]{'RECORD':<12}[/] the case record holds it: {recorded.stage.value}, "
                  f"{len(recorded.stages)} stages, money as invoiced (record #{recorded.record_seq}, {escape(where)})")
    return []


def _summary(status: CaseStatus) -> str:
    invoice = status.invoices[0] if status.invoices else None
    payout = status.payouts[0] if status.payouts else None
    parts = [f"Case {status.case_id} {status.stage.value}"]
    if invoice:
        parts.append(f"invoice {invoice.number or invoice.invoice_id} {invoice.amount_due.format()} {invoice.status}")
    if payout:
        parts.append(f"Defender {status.defender_id} paid {payout.amount.format()} ({payout.reference})")
    return " · ".join(parts)


async def run_demo(settings: Settings, console: Console) -> int:
    began = time.monotonic()
    joined = await running.find_running(settings)
    try:
        if joined is not None:
            console.print(f"[bold]casefac demo[/] on the running stack (casefac up, pid {joined.pid})")
            effective = joined.settings
            status, problems = await drive(effective, console)
            private = False
        else:
            console.print("[bold]casefac demo[/] · no running stack found: starting a private one "
                          "(temporary data dir, free ports)")
            with tempfile.TemporaryDirectory(prefix="casefac-demo-") as tmp:
                base = settings_with({"CASEFAC_DATA_DIR": tmp})
                async with LocalStack(base, load_spec(), console=console, free_ports=True, record=False) as stack:
                    effective = stack.settings
                    status, problems = await drive(effective, console)
            private = True
    except (DemoFailed, PartyError) as exc:
        console.print(f"[red]✗ demo failed:[/] {escape(str(exc))}")
        return 1
    except (*StartError, AlreadyRunning) as exc:
        console.print(f"[red]✗ could not start a private stack for the demo:[/] {escape(str(exc))}")
        return 1
    took = time.monotonic() - began
    if problems:
        console.print("[red]✗ the case did not close as expected:[/]")
        for problem in problems:
            console.print(f"  - {escape(problem)}")
        return 1
    console.print(f"[green bold]✓ {escape(_summary(status))}[/] in {took:.1f} s")
    if private:
        console.print("This demo ran on a private stack, now stopped with its UI. To follow a case in the Temporal "
                      "UI, start `casefac up` in another terminal and run `casefac demo` again.")
    else:
        url = workflow_url(effective, case_workflow_id(status.case_id))
        console.print(f"See it in the Temporal UI: {url}")
        console.print(f"  and from the CLI: casefac status {status.case_id}")
    return 0
