"""Read-only commands: ``status`` (one case), ``list`` (a visibility query), ``defenders`` (the roster).

``--json`` prints machine-readable output for scripts; the default is a Rich view for people.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer
from pydantic import ValidationError
from rich import box
from rich.markup import escape
from rich.table import Table

from casefac.roster import parse_roster
from casefac.status import CaseStatus
from starters.cases import read_status
from starters.cli_runtime import connect, console, fail, load_settings, run, validation_failed
from starters.listing import INVOICE_STATUSES, CaseRow, build_query, list_cases
from starters.parsing import InputError
from starters.render import stage_text, status_view

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        case_id: Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042.", show_default=False)],
        as_json: JsonOpt = False,
    ) -> None:
        """Where a case stands: stage, who it waits on for what since when, money, timeline."""
        settings = load_settings()

        async def go() -> CaseStatus:
            return await read_status(await connect(settings), case_id)

        result = run(settings, go())
        if as_json:
            console.print_json(result.model_dump_json())
        else:
            console.print(status_view(result), soft_wrap=False)

    @app.command("list")
    def list_(
        stage: Annotated[str | None, typer.Option(help="REVIEW, AGREEMENT, ASSIGNMENT, PAYMENT, EVALUATION, "
                                                  "CLOSED, DECLINED, CANCELLED")] = None,
        country: Annotated[str | None, typer.Option(help="MX, GT, SV, HN, NI")] = None,
        defender: Annotated[str | None, typer.Option(help="Defender id")] = None,
        advocate: Annotated[str | None, typer.Option(help="Advocate id")] = None,
        invoice_status: Annotated[str | None, typer.Option(help=", ".join(INVOICE_STATUSES))] = None,
        needs_attention: Annotated[bool, typer.Option("--needs-attention", help="Only cases waiting on a "
                                                      "fix and retry.")] = False,
        limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
        as_json: JsonOpt = False,
    ) -> None:
        """Cases by stage, country, Defender, invoice status or attention (search attributes)."""
        settings = load_settings()
        try:
            query = build_query(stage=stage, country=country, defender=defender, advocate=advocate,
                                invoice_status=invoice_status, needs_attention=needs_attention)
        except InputError as exc:
            fail(str(exc), 2)

        async def go() -> list[CaseRow]:
            return await list_cases(await connect(settings), query, limit)

        rows = run(settings, go())
        if as_json:
            console.print_json(json.dumps({"query": query, "cases": [r.as_json() for r in rows]}))
            return
        table = Table(title=f"{len(rows)} case(s)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                      collapse_padding=True)
        for column in ("case", "stage", "ctry", "defender", "advocate", "invoice", "amount", "attn", "started UTC"):
            table.add_column(column, justify="right" if column == "amount" else "left", no_wrap=True)
        for r in rows:
            # InvoiceAmount is minor units of the invoice's currency (USD or CAD), which it does not name.
            amount = f"{Decimal(r.invoice_amount).scaleb(-2):,.2f}" if r.invoice_amount is not None else ""
            table.add_row(r.case_id, stage_text(r.stage or "?"), r.country or "", r.defender_id or "",
                          r.advocate_id or "", r.invoice_status or "", amount,
                          "[red]yes[/]" if r.needs_attention else "",
                          r.started.strftime("%m-%d %H:%M") if r.started else "")
        console.print(table)
        console.print(f"[dim]{escape(query)}[/]")

    @app.command()
    def defenders(
        country: Annotated[str | None, typer.Option(help="MX, GT, SV, HN or NI")] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The Defender roster (settings.roster_file): who can take a case where, and how they are paid."""
        settings = load_settings()
        try:
            roster = parse_roster(settings.roster_file.read_text(encoding="utf-8"))
        except OSError as exc:
            fail(f"cannot read the roster {settings.roster_file}: {exc.strerror}")
        except ValidationError as exc:
            validation_failed(f"the roster {settings.roster_file}", exc)
        chosen = [d for d in roster.defenders if country is None or d.country == country.upper()]
        if as_json:
            console.print_json(json.dumps([d.model_dump(mode="json") for d in chosen]))
            return
        table = Table(title=f"{len(chosen)} Defender(s)" + (f" in {country.upper()}" if country else ""),
                      title_justify="left")
        for column in ("id", "name", "country", "languages", "services", "rate", "payout", "active"):
            table.add_column(column)
        for d in chosen:
            table.add_row(d.id, escape(d.name), d.country, ", ".join(d.languages),
                          ", ".join(s.value for s in d.services), d.hourly_rate.format(),
                          "Stripe Connect" if d.payout.kind == "stripe_connect" else "manual",
                          "yes" if d.active else "[red]no[/]")
        console.print(table)
