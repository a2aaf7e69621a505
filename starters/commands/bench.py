"""``casefac bench``: the performance benchmark (issue 7) on a private stack; also ``python -m bench``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starters.cli_runtime import console, fail, load_settings

PARTIES = ("updates", "portal")


def bench(
    cases: Annotated[int, typer.Option("--cases", "-n", min=1, max=5000, help="Case lifecycles to measure "
                                       "(and as many baseline lifecycles).")] = 20,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=200,
                                             help="Lifecycles in flight at once, in each phase.")] = 10,
    parties: Annotated[str, typer.Option(help="How the Advocate and the Defender act: 'updates' (the updates "
                                         "their portal forms send) or 'portal' (emails and portal pages, as "
                                         "`casefac demo`).")] = "updates",
    step_timeout: Annotated[float, typer.Option(min=1, help="Seconds one step may wait for the case.")] = 60.0,
    case_timeout: Annotated[float, typer.Option(min=1, help="Seconds one lifecycle may take.")] = 300.0,
    max_minutes: Annotated[float, typer.Option(min=0.1, help="No lifecycle starts after this many minutes "
                                               "(those count as failed).")] = 60.0,
    sandbox_file: Annotated[bool, typer.Option("--sandbox-file", help="Keep the sandbox's JSON state file "
                                               "(slow: it rewrites the whole state on every change).")] = False,
    sendgrid_events: Annotated[bool, typer.Option("--sendgrid-events", help="Let the sandbox post SendGrid's "
                                                  "processed/delivered events too (production subscribes "
                                                  "only to bounces, drops and spam reports).")] = False,
    rounds: Annotated[int, typer.Option(min=1, max=50, help="Alternate the phases: this many rounds of N/rounds "
                                        "baseline then N/rounds case lifecycles, so a machine or database "
                                        "that slows down during the run weighs on both alike.")] = 4,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")]
    = None,
) -> None:
    """Run N full case lifecycles and N baseline lifecycles at concurrency C; print the figures and the targets.

    Exit 1 if any lifecycle failed (or could not start); missed performance targets are reported, not fatal.
    The private stack lives in a temporary directory under $TMPDIR (TMPDIR=/dev/shm keeps the dev server's
    SQLite file in memory). See bench/README.md.
    """
    from bench.run import BenchConfig, run_bench
    from starters.cli_runtime import run
    from starters.stack.spec import SpecError

    if parties not in PARTIES:
        fail(f"--parties must be one of {', '.join(PARTIES)}", 2)
    settings = load_settings()
    if settings.mode != "sandbox":
        fail("casefac bench runs on the sandbox only; it would reach real providers in live mode "
             "(unset CASEFAC_MODE)", 2)
    config = BenchConfig(cases=cases, concurrency=concurrency, parties=parties, step_timeout=step_timeout,
                         case_timeout=case_timeout, max_minutes=max_minutes, sandbox_file=sandbox_file,
                         sendgrid_events=sendgrid_events, json_out=json_out, rounds=min(rounds, cases))
    try:
        code = run(settings, run_bench(config, console))
    except SpecError as exc:
        fail(str(exc), 2)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command(name="bench")(bench)
