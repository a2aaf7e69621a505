"""Read-only commands: ``status`` (one case, from Temporal or else the case record) and ``list`` (a visibility
query, or ``--closed`` from the record).

``--json`` prints machine-readable output for scripts; the default is a Rich view for people.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from temporalio.service import RPCError, RPCStatusCode

from casefac.settings import Settings
from casefac.status import CaseStatus
from starters.cases import read_status
from starters.cli_runtime import connect, console, fail, load_settings, run
from starters.listing import INVOICE_STATUSES, CaseRow, build_query, list_cases
from starters.parsing import InputError
from starters.record_access import existing_records, open_records
from starters.render import record_view, stage_text, status_view

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        case_id: Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042.", show_default=False)],
        as_json: JsonOpt = False,
    ) -> None:
        """Where a case stands: stage, who it waits on for what since when, money, timeline."""
        settings = load_settings()

        async def go() -> CaseStatus | None:
            try:
                return await read_status(await connect(settings), case_id)
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    return None  # Temporal has forgotten it (retention) or never had it: the record knows
                raise

        result = run(settings, go())
        if result is None:
            _status_from_record(settings, case_id, as_json)
        elif as_json:
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
        closed: Annotated[bool, typer.Option("--closed", help="Finished cases from the case record, newest "
                                             "first (also those Temporal no longer holds).")] = False,
        limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
        as_json: JsonOpt = False,
    ) -> None:
        """Cases by stage, country, Defender, invoice status or attention (search attributes)."""
        settings = load_settings()
        if closed:
            _list_closed(settings, stage=stage, country=country, limit=limit, as_json=as_json)
            return
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


def _status_from_record(settings: Settings, case_id: str, as_json: bool) -> None:
    with existing_records(settings) as records:
        recorded = records.reader.case(case_id) if records is not None else None
    if recorded is None:
        fail(f"no such case {case_id}: neither Temporal nor the case record holds it")
    if as_json:
        console.print_json(recorded.model_dump_json())
    else:
        console.print(record_view(recorded), soft_wrap=False)


def _list_closed(settings: Settings, *, stage: str | None, country: str | None, limit: int, as_json: bool) -> None:
    finished = ("CLOSED", "DECLINED", "CANCELLED")
    if stage and stage.upper() not in finished:
        fail(f"--closed lists finished cases: --stage is one of {', '.join(finished)}", 2)
    with open_records(settings) as records:
        rows = records.reader.closed(limit=limit, country=country.upper() if country else None,
                                     stage=stage.upper() if stage else None)
    if as_json:
        console.print_json(json.dumps({"source": "record", "cases": [r.model_dump(mode="json") for r in rows]}))
        return
    table = Table(title=f"{len(rows)} finished case(s) from the case record", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("case", "stage", "ctry", "defender", "advocate", "invoiced", "outcome", "code", "opened",
                   "finished"):
        table.add_column(column, justify="right" if column == "invoiced" else "left", no_wrap=True)
    for r in rows:
        table.add_row(r.case_id, stage_text(r.stage), r.country, r.defender_id or "", r.advocate_id,
                      r.invoiced.format() if r.invoiced else "", r.outcome or "", r.closing_code or "",
                      f"{r.opened_at:%Y-%m-%d}", f"{r.closed_at:%Y-%m-%d}")
    console.print(table)
