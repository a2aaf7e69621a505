"""``casefac``: the staff launcher. Typer for the commands, Rich for what people read.

    casefac up                                   # the local stack: Temporal, sandbox, gateway, worker
    casefac demo                                 # one case through all five steps
    casefac today                                # staff: what needs you now; `casefac money` for finance
    casefac open -f examples/case.yaml --as coord.ana     # a new Case Facilitation
    casefac assign JIM-2026-0042 --defender DEF-GT-001 --as coord.ana
    casefac status JIM-2026-0042
    casefac list --waiting-on staff

**Lazy commands.** ``casefac --help`` imports no command module: the table below names each command, its
module and its one-line help, and a command's module is imported only when that command runs (or its own
``--help`` is asked for). Importing them all (Temporal's SDK, SQLAlchemy, Alembic, Rich tables) took 0.8–1.0 s
before any command ran. ``tests/cli/test_cli_lazy.py`` checks the table against the modules.

A module may still be registered eagerly (``module.register(app)`` below the table): it then costs its
import on every run, so keep such a module's top-level imports light.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

#: command → (module with ``register(app)``, one-line help shown by ``casefac --help``), in help order.
LAZY: dict[str, tuple[str, str]] = {
    "today": ("starters.commands.worklist", "Staff: what needs you now (attention, waits on staff, parties "
              "overdue, failed payments), each with its command."),
    "money": ("starters.commands.worklist", "Finance: payouts to record, failed payments, invoices overdue by "
              "age, money steps needing attention."),
    "status": ("starters.commands.views", "Where a case stands: stage, who it waits on for what since when, "
               "money, timeline."),
    "list": ("starters.commands.views", "Cases by stage, country, Defender, Advocate (or organisation), whom "
             "they wait on, invoice or payout status."),
    "open": ("starters.commands.cases", "Open a Case Facilitation for an Advocate (a new workflow, id "
             "case-<CASE-ID>)."),
    "review": ("starters.commands.cases", "Review a case: accept it with a Defender (--defender) or decline it "
               "(--reason); alone, the suggestions."),
    "assign": ("starters.commands.cases", "Accept a case and offer it to a Defender (the same as review "
               "--defender)."),
    "approve-contract": ("starters.commands.cases", "Approve the contract revision for JiM (the Defender approves "
                         "on the portal)."),
    "review-report": ("starters.commands.cases", "Approve an hour & expense report (with rates and adjustments) "
                      "or request changes."),
    "record-payout": ("starters.commands.cases", "Finance: record a manual transfer to a Defender without Stripe "
                      "Connect."),
    "retry": ("starters.commands.cases", "Retry the step that needs attention (after fixing its cause)."),
    "amend": ("starters.commands.amend", "Correct a party's email or name on a running case (then retry)."),
    "receipts": ("starters.commands.receipts", "List a report's receipts; --extract DIR decrypts them to 0600 files."),
    "approve-payout": ("starters.commands.money", "Four eyes: a second staff member releases a large payout."),
    "resolve-invoice": ("starters.commands.money", "Decide on an invoice: write off, re-issue, refund, credit, keep."),
    "resend": ("starters.commands.resend", "Re-send a party's pending link, or the Advocate Agreement (--what)."),
    "cancel": ("starters.commands.cases", "Cancel a case: open envelopes and invoices are voided and the parties "
               "told."),
    "suggest": ("starters.commands.suggest", "Which Defenders fit a case, best first, and why; those left out, "
                "and why."),
    "defenders": ("starters.commands.defenders", "The Defender roster: who can take a case where, their load, "
                  "and its history."),
    "ledes": ("starters.commands.records", "Write the LEDES 1998B file of an approved report, for the Advocate's "
              "e-billing system."),
    "staff": ("starters.commands.staff", "Staff signing keys: add, list, revoke (who may act as staff or finance)."),
    "keys": ("starters.commands.records", "The payload key ring: rotate keys without breaking running cases."),
    "records": ("starters.commands.case_record", "The case record: the system of record beside Temporal (SQLite "
                "or PostgreSQL)."),
    "report": ("starters.commands.report", "The report for funders and JiM: cases, time per stage, hours, fees, "
               "invoices, outcomes, evaluations."),
    "schedules": ("starters.commands.schedules", "The digests' Temporal Schedules (daily staff, weekly finance): "
                  "apply, list."),
    "up": ("starters.commands.services", "Start the local stack (Temporal dev server, sandbox, gateway, worker); "
           "Ctrl-C stops it all."),
    "worker": ("starters.commands.services", "Run a worker: workflows and/or activities, one task queue per "
               "provider."),
    "gateway": ("starters.commands.services", "Run the gateway: provider webhooks and portal pages (no codec: "
                "`casefac codec`)."),
    "sandbox": ("starters.commands.services", "Run the DocuSign / SendGrid / Stripe emulators alone."),
    "codec": ("starters.commands.codec", "Run the codec service for the Temporal Web UI (its own listener)."),
    "doctor": ("starters.commands.doctor", "Check settings, Temporal, records, keys, DocuSign, SendGrid, Stripe "
               "and the gateway; exit 1 on any ✗."),
    "demo": ("starters.commands.demo", "Run a sample case from Review to Closed on the running stack (or a "
             "private one)."),
    "bench": ("starters.commands.bench", "Run N full case lifecycles and N baseline lifecycles; print the "
              "figures."),
}


class LazyGroup(TyperGroup):
    """Lists the table's commands without importing them; imports a command's module when it is used."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in LAZY]
        return [*LAZY, *eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY:
            return found
        if self._listing:  # the top-level help: a stand-in with the one-line help, nothing imported
            return TyperCommand(cmd_name, help=LAZY[cmd_name][1], short_help=LAZY[cmd_name][1])
        return load(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


_modules: dict[str, Any] = {}


def load(cmd_name: str) -> Any:
    """The real command: its module registered on a throwaway app, converted by Typer as usual."""
    if cmd_name not in _modules:
        module = importlib.import_module(LAZY[cmd_name][0])
        sub = typer.Typer(rich_markup_mode="rich", pretty_exceptions_enable=False)
        module.register(sub)
        converted: Any = typer.main.get_command(sub)
        commands = converted.commands if isinstance(converted, TyperGroup) else {converted.name: converted}
        for name, command in commands.items():
            _modules[name] = command
    return _modules[cmd_name]


app = typer.Typer(
    name="casefac",
    cls=LazyGroup,
    help="Case Facilitations of Justice in Motion on Temporal: open and steer cases, run the local stack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)



@app.callback()
def _root() -> None:
    """Case Facilitations of Justice in Motion on Temporal: open and steer cases, run the local stack."""


# A command may also be registered eagerly here (``module.register(app)``): it then wins over the table and
# costs its module's import on every run, so keep such a module's top-level imports light.


def main() -> None:
    """The console script: run the command, then exit with its code (see ``workers.process``)."""
    from workers.process import run_then_exit

    run_then_exit(app)


if __name__ == "__main__":
    main()
