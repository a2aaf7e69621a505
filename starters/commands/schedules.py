"""``casefac schedules``: the digests' Temporal Schedules on any cluster (``casefac up`` applies them locally)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The digests' Temporal Schedules (daily staff, weekly finance): apply, list.",
                        no_args_is_help=True)
    app.add_typer(group, name="schedules")

    @group.command("apply")
    def apply_(
        readers: Annotated[Path | None, typer.Option("--readers", help="YAML: staff/finance lists of {email, "
                                                     "language}; default: the shared addresses in settings")]
        = None,
    ) -> None:
        """Create or update the digest schedules (safe to run again: nothing doubles)."""
        from starters.cli_runtime import connect, console, fail, load_settings, run
        from starters.parsing import InputError
        from starters.schedules import apply, default_recipients, read_recipients

        settings = load_settings()
        try:
            recipients = read_recipients(readers) if readers else default_recipients(settings)
        except InputError as exc:
            fail(str(exc), 2)

        async def go() -> list[tuple[str, str]]:
            return await apply(await connect(settings), recipients)

        for schedule_id, what in run(settings, go()):
            console.print(f"[green]✓[/] {schedule_id}: {what}")

    @group.command("list")
    def list_() -> None:
        """The digest schedules: when they run next and how their last run went."""
        from temporalio.service import RPCError

        from starters.cli_runtime import connect, console, load_settings, run
        from starters.schedules import SCHEDULES

        settings = load_settings()

        async def go() -> list[str]:
            client = await connect(settings)
            lines = []
            for spec in SCHEDULES:
                try:
                    d = await client.get_schedule_handle(spec.schedule_id).describe()
                except RPCError:  # not applied here yet
                    lines.append(f"{spec.schedule_id}: not applied (casefac schedules apply)")
                    continue
                nxt = d.info.next_action_times[0] if d.info.next_action_times else None
                last = d.info.recent_actions[-1].started_at if d.info.recent_actions else None
                lines.append(f"{spec.schedule_id}: {spec.when} · next {nxt:%Y-%m-%d %H:%M} UTC" if nxt else
                             f"{spec.schedule_id}: {spec.when}")
                if last:
                    lines[-1] += f" · last ran {last:%Y-%m-%d %H:%M} UTC"
            return lines

        for line in run(settings, go()):
            console.print(line)
