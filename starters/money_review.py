"""What an approval will cause, shown before it is sent (review C2): the invoice, the payout, the caps.

``casefac review-report`` asks the case (``review_preview`` query: the validator's own rules, nothing
changes) and prints the Stripe invoice lines with their converted amounts, the Defender's payout, the caps
and what the approval takes over them, then asks for confirmation. Scripts pass ``--yes``; without a
terminal and without ``--yes`` the command refuses, so nothing irreversible happens unseen.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table
from temporalio.client import Client

from casefac.caps import CapsView
from casefac.messages import ReviewReport
from casefac.status import ReviewPreview
from starters.cases import case_handle
from starters.cli_runtime import console, fail


async def preview(client: Client, case_id: str, message: ReviewReport) -> ReviewPreview:
    result: ReviewPreview = await case_handle(client, case_id).query(
        "review_preview", message.model_dump(mode="json"), result_type=ReviewPreview)
    return result


def caps_lines(caps: CapsView | None) -> list[str]:
    """The caps, one line each: used of cap (and the budget's remainder)."""
    if caps is None:
        return []
    lines = []
    if caps.hours_cap is not None:
        lines.append(f"hours {caps.hours_used} of {caps.hours_cap}")
    if caps.expense_cap is not None:
        used = caps.expense_used.format() if caps.expense_used else "unknown (no rate)"
        lines.append(f"expenses {used} of {caps.expense_cap.format()}")
    if caps.budget_cap is not None and caps.budget_used is not None and caps.budget_remaining is not None:
        lines.append(f"budget {caps.budget_used.format()} of {caps.budget_cap.format()} "
                     f"({caps.budget_remaining.format()} left)")
    return lines


def show(case_id: str, number: int, p: ReviewPreview) -> None:
    assert p.priced is not None
    table = Table(title=f"Case {case_id} · report {number}: what approving it causes", show_lines=False)
    table.add_column("invoice line")
    table.add_column("amount", justify="right")
    for line in p.priced.invoice_lines:
        table.add_row(escape(line.description), line.amount.format())
    table.add_row("[bold]invoice total (Stripe, to the Advocate)[/]", f"[bold]{p.priced.invoice_total.format()}[/]")
    console.print(table)
    method = {"stripe_connect": "Stripe Connect transfer", "manual": "manual transfer by finance"}.get(
        p.payout_method or "", p.payout_method or "payout")
    console.print(f"payout to the Defender: [bold]{p.priced.payout_total.format()}[/] ({method})"
                  + (" — waits for a second staff approval (casefac approve-payout)" if p.needs_second_approval
                     else ""))
    for line in caps_lines(p.caps):
        console.print(f"caps before this report: {line}")
    for over in p.over_caps:
        console.print(f"[yellow]over the {escape(over)}[/]")


def confirm(yes: bool) -> None:
    """``--yes``, or a person at a terminal saying yes; otherwise refuse (nothing is sent)."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail("approving moves money: run it at a terminal to confirm, or pass --yes (scripts)", 2)
    if not typer.confirm("Approve, issue this invoice and make this payout?", default=False):
        fail("not approved; nothing was sent", 1)
