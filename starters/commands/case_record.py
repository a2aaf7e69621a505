"""``casefac records``: the case record's own commands (schema, backfill from Temporal, closing codes).

    casefac records migrate                      # bring the database to the current schema
    casefac records sync                         # copy every case Temporal still holds into the record
    casefac records close-code JIM-2026-0042 H --as coord.ana
    casefac records info
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from starters.cli_runtime import actor, connect, console, fail, load_settings, run
from starters.parsing import case_id as parse_case_id
from starters.record_access import open_records

CaseArg = Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042 (any case).", show_default=False,
                                               callback=parse_case_id)]


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The case record: the system of record beside Temporal (SQLite or PostgreSQL).",
                        no_args_is_help=True)
    app.add_typer(group, name="records")

    @group.command()
    def migrate() -> None:
        """Create or upgrade the record's schema (Alembic); safe to run again."""
        from records.database import migrate as upgrade

        settings = load_settings()
        with open_records(settings, need_schema=False) as records:
            before, after = upgrade(records.engine)
            where = records.engine.url.render_as_string(hide_password=True)
        if before == after:
            console.print(f"[green]✓[/] the case record at {escape(where)} is at schema {after}; nothing to do")
        else:
            console.print(f"[green]✓[/] the case record at {escape(where)}: schema {before or 'none'} → {after}")

    @group.command()
    def info() -> None:
        """Where the record is, its schema, and how many cases it holds."""
        from sqlalchemy import func, select

        from records import models
        from records.database import current_revision, head_revision

        settings = load_settings()
        with open_records(settings, need_schema=False) as records:
            where = records.engine.url.render_as_string(hide_password=True)
            revision = current_revision(records.engine)
            console.print(f"database  {escape(where)}")
            console.print(f"schema    {revision or 'none'} (this code: {head_revision()})")
            if revision is None:
                console.print("run `casefac records migrate` to create it")
                return
            with records.engine.connect() as connection:
                total = connection.scalar(select(func.count()).select_from(models.CaseRow))
                finished = connection.scalar(select(func.count()).select_from(models.CaseRow)
                                             .where(models.CaseRow.closed_at.is_not(None)))
            console.print(f"cases     {total} ({finished} finished)")

    @group.command()
    def sync(
        open_only: Annotated[bool, typer.Option("--open-only", help="Only running cases (default: every case "
                                                "Temporal still holds, finished ones too).")] = False,
    ) -> None:
        """Copy every case Temporal still holds into the record, through its record query.

        For cases that started before the record existed (they do not write it themselves), and after an
        outage. Each case's snapshot carries its sequence number, so a second run changes nothing.
        """
        from starters.record_sync import sync_cases

        settings = load_settings()
        with open_records(settings) as records:
            async def go() -> None:
                await sync_cases(await connect(settings), records.store, open_only=open_only)

            run(settings, go())

    @group.command("close-code")
    def close_code(
        case_id: CaseArg,
        code: Annotated[str, typer.Argument(help="LSC CSR closing code: A, B, F, G, H, Ia, Ib, Ic, K or L.",
                                            show_default=False)],
        staff: Annotated[str | None, typer.Option("--as", envvar="CASEFAC_STAFF_ID", show_envvar=True,
                                                  help="Your staff id (recorded).")] = None,
    ) -> None:
        """Set the closing code of a finished case (the outcome only suggests one)."""
        from records.vocabulary import CLOSING_CODES

        who = actor(staff)
        settings = load_settings()
        with open_records(settings) as records:
            try:
                before = records.reader.set_closing_code(case_id, code, str(who))
            except LookupError as exc:
                fail(str(exc))
            except ValueError as exc:
                fail(str(exc), 2)
        console.print(f"[green]✓[/] {case_id}: closing code {code} ({CLOSING_CODES[code]}), was {before}")
