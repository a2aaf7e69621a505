"""``casefac doctor``: preflight before going live and after any change (✓/✗ with the fix; ``--json``).

Registered eagerly by ``starters/cli.py``: this module imports only Typer at the top; the checks and their
SDKs load when the command runs.
"""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        as_json: Annotated[bool, typer.Option("--json", help="One JSON document: ok, and every check.")] = False,
    ) -> None:
        """Check settings, Temporal, records, keys, DocuSign, SendGrid, Stripe and the gateway; exit 1 on any ✗."""
        from starters.doctor.report import as_json as render_json
        from starters.doctor.report import as_text
        from starters.doctor.run import run_all, settings_or_failure

        settings, checks = settings_or_failure()
        if settings is not None:
            checks = run_all(settings)
        typer.echo(render_json(checks) if as_json else as_text(checks))
        if not all(c.ok for c in checks):
            raise typer.Exit(1)
