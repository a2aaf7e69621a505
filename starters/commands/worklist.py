"""``casefac today`` (staff) and ``casefac money`` (finance): what needs a person now, oldest first, each with
the command to run. The same list the daily and weekly digests send (``casefac.worklist``)."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _show(audience: str, as_json: bool) -> None:
    from datetime import UTC, datetime

    from casefac.worklist import build
    from casefac.worklist_fetch import running_statuses
    from starters.cli_runtime import connect, console, load_settings, run
    from starters.worklist_view import worklist_view

    settings = load_settings()

    async def go():  # type: ignore[no-untyped-def]
        return await running_statuses(await connect(settings))

    statuses, unanswered = run(settings, go())
    worklist = build(audience, statuses, datetime.now(UTC), unanswered=unanswered)  # type: ignore[arg-type]
    if as_json:
        console.print_json(worklist.model_dump_json())
    else:
        console.print(worklist_view(worklist))


def register(app: typer.Typer) -> None:
    @app.command()
    def today(as_json: JsonOpt = False) -> None:
        """Staff: what needs you now — attention, cases waiting on staff, parties overdue, failed payments."""
        _show("staff", as_json)

    @app.command()
    def money(as_json: JsonOpt = False) -> None:
        """Finance: payouts to record, failed payments, invoices overdue by age, money steps needing attention."""
        _show("finance", as_json)
