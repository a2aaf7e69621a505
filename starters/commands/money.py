"""Money decisions staff take on a case: the second approval of a payout, and what to do about an invoice.

``approve-payout`` (four eyes, review C2): a payout over the policy's threshold waits until a staff member
other than the report's approver releases it. ``resolve-invoice`` (review M5, M6): an invoice dunning gave up
on (write it off, or re-issue it under new keys), one paid while the case was cancelled (refund or credit it,
or keep it), or one voided or disputed after the Defender was paid (keep: the loss is recorded). A refund or
credit moves money, so it is two steps (review P1): the decision, then finance makes it in the Stripe Dashboard and
records its id with ``--reference re_…`` (refund) or ``cn_…`` (credit note); until then the case does not settle
and finance is reminded. Both at once: the decision with its ``--reference``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from casefac.messages import Receipt
from starters import staff_actions
from starters.cli_runtime import actor, connect, fail, load_settings, run
from starters.commands.cases import CaseArg, StaffOpt, _done

DECISIONS = ("write_off", "reissue", "refund", "credit", "keep")


def register(app: typer.Typer) -> None:
    @app.command("approve-payout")
    def approve_payout(
        case_id: CaseArg,
        report: Annotated[int, typer.Argument(help="The report whose payout you release.")],
        staff: StaffOpt = None,
    ) -> None:
        """Four eyes: release a payout over the threshold (you must not be the report's approver)."""
        settings = load_settings()
        who = actor(staff)

        async def go() -> Receipt:
            return await staff_actions.approve_payout(await connect(settings), case_id, who, report)

        _done(run(settings, go()))

    @app.command("resolve-invoice")
    def resolve_invoice(
        case_id: CaseArg,
        report: Annotated[int, typer.Argument(help="The report whose invoice needs a decision.")],
        decision: Annotated[str, typer.Option(help="write_off | reissue (unpaid); refund | credit (paid during a "
                                              "cancel); keep (either).")],
        note: Annotated[str, typer.Option(help="Why (recorded).")] = "",
        reference: Annotated[str, typer.Option(help="refund | credit: the Stripe refund (re_…) or credit note "
                                               "(cn_…) made in the Stripe Dashboard.")] = "",
        staff: StaffOpt = None,
    ) -> None:
        """Decide about an invoice the case cannot settle alone (shown in status and `casefac money`)."""
        settings = load_settings()
        who = actor(staff)
        if decision not in DECISIONS:
            fail(f"--decision {decision!r}: one of {', '.join(DECISIONS)}", 2)

        async def go() -> Receipt:
            return await staff_actions.resolve_invoice(await connect(settings), case_id, who, report, decision,
                                                       note, reference)

        _done(run(settings, go()))
