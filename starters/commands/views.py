"""Read-only commands: ``status`` (one case, from Temporal or else the case record) and ``list`` (a visibility
query, or ``--closed`` from the record).

``--json`` prints machine-readable output for scripts; the default is a Rich view for people.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from temporalio.service import RPCError, RPCStatusCode

from casefac.settings import Settings
from casefac.status import CaseStatus
from starters.cases import read_status
from starters.cli_runtime import connect, console, fail, load_settings, run
from starters.listing import INVOICE_STATUSES, CaseRow, build_query, list_cases
from starters.parsing import InputError
from starters.parsing import case_id as parse_case_id
from starters.record_access import existing_records, open_records
from starters.render import record_view, stage_text, status_view

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        case_id: Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042 (any case).", show_default=False,
                                               callback=parse_case_id)],
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
        advocate_org: Annotated[str | None, typer.Option("--advocate-org", help="Advocate organisation (part of "
                                                         "its name, any case; from the case record)")] = None,
        waiting_on: Annotated[str | None, typer.Option("--waiting-on", help="staff, advocate, defender, finance "
                                                       "or provider")] = None,
        invoice_status: Annotated[str | None, typer.Option(help=", ".join(INVOICE_STATUSES))] = None,
        payout_status: Annotated[str | None, typer.Option(help="pending or paid")] = None,
        needs_attention: Annotated[bool, typer.Option("--needs-attention", help="Only cases waiting on a "
                                                      "fix and retry.")] = False,
        closed: Annotated[bool, typer.Option("--closed", help="Finished cases from the case record, newest "
                                             "first (also those Temporal no longer holds).")] = False,
        limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
        as_json: JsonOpt = False,
    ) -> None:
        """Cases by stage, country, Defender, Advocate (or organisation), whom they wait on, invoice or payout status.

        Oldest wait first. The query is shown with --json (scripts and the Temporal UI take it as it is).
        """
        settings = load_settings()
        if closed:
            _list_closed(settings, stage=stage, country=country, limit=limit, as_json=as_json)
            return
        advocates = None
        if advocate_org:
            from starters.record_access import advocates_of

            found = advocates_of(settings, advocate_org)
            if not found:
                fail(f"no Advocate organisation in the case record matches {advocate_org!r}")
            advocates = sorted(found)
        try:
            query = build_query(stage=stage, country=country, defender=defender, advocate=advocate,
                                invoice_status=invoice_status, needs_attention=needs_attention,
                                waiting_on=waiting_on, payout_status=payout_status, advocates=advocates)
        except InputError as exc:
            fail(str(exc), 2)

        async def go() -> list[CaseRow]:
            return await list_cases(await connect(settings), query, limit)

        rows = sorted(run(settings, go()), key=_oldest_wait_first)
        if as_json:
            console.print_json(json.dumps({"query": query, "cases": [r.as_json() for r in rows]}))
            return
        console.print(cases_table(rows))


def _oldest_wait_first(r: CaseRow) -> tuple[int, float]:
    if r.waiting_on and r.waiting_since:
        return (0, r.waiting_since.timestamp())
    return (1, -(r.started.timestamp() if r.started else 0))


def cases_table(rows: list[CaseRow]) -> Table:
    """Readable in 80 columns: ids and stages never wrap (each cell stacks its lines instead); the started
    date sits under the case id; amounts carry their currency."""
    table = Table(title=f"{len(rows)} case(s)", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("case · started", no_wrap=True)
    table.add_column("ctry", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    table.add_column("defender · advocate", no_wrap=True)
    table.add_column("waiting on · since", ratio=1)
    table.add_column("money", ratio=1)
    for r in rows:
        waiting = ""
        if r.waiting_on:
            waiting = ", ".join(r.waiting_on) + (f" since {r.waiting_since:%Y-%m-%d}" if r.waiting_since else "")
        money = []
        if r.needs_attention:
            money.append("[red]needs attention[/]")
        if r.invoice_status:
            money.append(f"invoice {r.invoice_status.replace('_', ' ')} {r.amount}".rstrip())
        if r.payout_status:
            money.append(f"payout {r.payout_status}")
        started = f"\n[dim]{r.started:%Y-%m-%d}[/]" if r.started else ""
        table.add_row(r.case_id + started, r.country or "", stage_text(r.stage or "?"),
                      f"{r.defender_id or '—'}\n{r.advocate_id or ''}", waiting, "\n".join(money))
    return table


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
