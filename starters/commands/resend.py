"""``casefac resend CASE --what …``: re-mail a party's pending action with a fresh link (issue 12 item 1).

``--what agreement`` asks the case's Advocate entity to re-send the one-time Advocate Agreement: a fresh link
to the envelope out, or a fresh envelope when DocuSign no longer accepts signatures on it (voided, expired,
declined). Every other ``--what`` names a pending action of the case itself; the party's older links of the
case stop working (their link epoch is bumped). What was sent, and to whom, is printed by role, never email.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from temporalio.client import Client

from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.messages import Receipt, ResendAgreement, ResendLink, Update
from starters.cases import read_status
from starters.cli_runtime import actor, connect, console, load_settings, run
from starters.parsing import case_id as parse_case_id

#: A validator answers in milliseconds; this long means no worker is polling.
UPDATE_TIMEOUT = timedelta(seconds=30)
What = Literal["agreement", "offer", "contract-review", "sign", "tasks", "report", "evaluation", "outcome"]


async def _update(client: Client, workflow_id: str, name: str, message: Any) -> Receipt:
    """One update, signed with the actor's staff key when this computer holds it, refreshing the directory
    once when asked (as every staff command)."""
    from starters import staff_signing

    result: Receipt = await staff_signing.send_signed(client.get_workflow_handle(workflow_id), name, message,
                                                      timeout=UPDATE_TIMEOUT, result_type=Receipt)
    return result


async def resend(client: Client, case_id: str, what: str, who: Any, note: str = "") -> tuple[Receipt, str]:
    """Send the re-send update; (the receipt, to whom it goes as a role and party id)."""
    if what == "agreement":
        status = await read_status(client, case_id)
        receipt = await _update(client, advocate_workflow_id(status.advocate_id), Update.RESEND_AGREEMENT,
                                ResendAgreement(actor=who, note=note))
        return receipt, f"the advocate ({status.advocate_id})"
    receipt = await _update(client, case_workflow_id(case_id), Update.RESEND_LINK,
                            ResendLink(actor=who, what=what, note=note))  # type: ignore[arg-type]
    return receipt, ""


def register(app: typer.Typer) -> None:
    @app.command("resend")
    def resend_command(
        case_id: Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042 (any case).", show_default=False,
                                               callback=parse_case_id)],
        what: Annotated[What, typer.Option("--what", help="Which pending link: agreement (the Advocate "
                                           "Agreement), offer, contract-review, sign, tasks, report, evaluation, "
                                           "outcome.")],
        note: Annotated[str, typer.Option(help="Why (recorded).")] = "",
        staff: Annotated[str | None, typer.Option("--as", envvar="CASEFAC_STAFF_ID", show_envvar=True,
                                                  help="Your staff id, e.g. coord.ana.")] = None,
    ) -> None:
        """Re-send a party's pending link (or the Advocate Agreement); their older links stop working."""
        settings = load_settings()
        who = actor(staff)

        async def go() -> tuple[Receipt, str]:
            return await resend(await connect(settings), case_id, what, who, note)

        receipt, to = run(settings, go())
        suffix = f" to {to}" if to else ""
        console.print(f"[green]✓[/] {escape(receipt.message)}{escape(suffix)} [dim]· {escape(receipt.stage)}[/]")
