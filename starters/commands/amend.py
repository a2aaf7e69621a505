"""``casefac amend``: correct a party's email or name on a running case (review M3).

A bounced offer, or a lawyer who changed firms during a multi-year case: later mails, and a retried step
(``casefac retry``), use the corrected details. The case records who changed what on its timeline.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from casefac.messages import AmendParty, Receipt, Update
from starters import staff_actions
from starters.cli_runtime import actor, connect, fail, load_settings, run, validation_failed
from starters.commands.cases import CaseArg, StaffOpt, _done


def register(app: typer.Typer) -> None:
    @app.command()
    def amend(
        case_id: CaseArg,
        advocate_email: Annotated[str | None, typer.Option(help="The Advocate's corrected email.")] = None,
        advocate_name: Annotated[str | None, typer.Option(help="The Advocate's corrected name.")] = None,
        defender_email: Annotated[str | None, typer.Option(help="The assigned Defender's corrected email.")] = None,
        defender_name: Annotated[str | None, typer.Option(help="The assigned Defender's corrected name.")] = None,
        note: Annotated[str, typer.Option(help="Why (recorded on the timeline).")] = "",
        staff: StaffOpt = None,
    ) -> None:
        """Correct a party's email or name on a running case (then `casefac retry` re-sends what failed)."""
        advocate = advocate_email is not None or advocate_name is not None
        defender = defender_email is not None or defender_name is not None
        if advocate == defender:
            fail("give --advocate-email/--advocate-name or --defender-email/--defender-name (one party)", 2)
        settings = load_settings()
        who = actor(staff)
        try:
            msg = AmendParty(actor=who, email=advocate_email if advocate else defender_email,
                             name=advocate_name if advocate else defender_name, note=note)
        except ValidationError as exc:
            validation_failed("amend", exc)
            return
        name = Update.AMEND_ADVOCATE if advocate else Update.AMEND_DEFENDER

        async def go() -> Receipt:
            return await staff_actions._update(await connect(settings), case_id, name, msg)

        _done(run(settings, go()))
