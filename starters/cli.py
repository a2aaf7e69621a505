"""``casefac``: the staff launcher. Typer for the commands, Rich for what people read.

    casefac up                                   # the local stack: Temporal, sandbox, gateway, worker
    casefac demo                                 # one case through all five steps
    casefac open -f case.yaml --as coord.ana     # a new Case Facilitation
    casefac assign JIM-2026-0042 --defender DEF-GT-001 --as coord.ana
    casefac status JIM-2026-0042
    casefac list --stage PAYMENT --invoice-status open

Command modules import heavy dependencies inside their functions, so ``casefac --help`` stays quick.
"""

from __future__ import annotations

import typer

from starters.commands import bench, case_record, cases, defenders, demo, records, report, services, suggest, views

app = typer.Typer(
    name="casefac",
    help="Case Facilitations of Justice in Motion on Temporal: open and steer cases, run the local stack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
cases.register(app)
views.register(app)
services.register(app)
demo.register(app)
bench.register(app)
records.register(app)
case_record.register(app)
report.register(app)
suggest.register(app)
defenders.register(app)


def main() -> None:
    """The console script: run the command, then exit with its code (see ``workers.process``)."""
    from workers.process import run_then_exit

    run_then_exit(app)


if __name__ == "__main__":
    main()
