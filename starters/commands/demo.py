"""``casefac demo``: one case through all five steps, the parties acting over HTTP as people would."""

from __future__ import annotations

import typer

from starters.cli_runtime import console, fail, load_settings, run


def register(app: typer.Typer) -> None:
    @app.command()
    def demo() -> None:
        """Run a sample case from Review to Closed on the running stack (or a private one); exit 0 if it closed."""
        from starters.demo.run import run_demo
        from starters.stack.spec import SpecError

        settings = load_settings()
        if settings.mode != "sandbox":
            fail("casefac demo acts on the sandbox only; it would email real people in live mode "
                 "(unset CASEFAC_MODE)", 2)
        try:
            code = run(settings, run_demo(settings, console))
        except SpecError as exc:
            fail(str(exc), 2)
        raise typer.Exit(code)
