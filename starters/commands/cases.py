"""Commands that act on a case as staff or finance: open, review/assign, approve, review reports, pay, retry, cancel.

Each validates what was typed locally (exit 2 with every problem listed), sends one update, and prints
the workflow's receipt — or its validator's rejection as one line (exit 1).
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from casefac.eligibility import CaseNeeds, Exclusion, exclusion
from casefac.messages import Receipt
from casefac.parties import Role
from casefac.report import Adjustment
from casefac.settings import Settings
from casefac.status import CaseStatus
from records.vocabulary import problem_code_error
from starters import staff_actions
from starters.case_form import build_request, read_case_file
from starters.cases import open_case, read_status
from starters.cli_runtime import actor, connect, console, fail, load_settings, run, validation_failed
from starters.parsing import InputError, parse_adjustment, parse_money, parse_rate
from starters.parsing import case_id as parse_case_id
from starters.record_access import id_taken

StaffOpt = Annotated[str | None, typer.Option("--as", envvar="CASEFAC_STAFF_ID", show_envvar=True,
                                              help="Your staff id, e.g. coord.ana (recorded as the actor).")]
CaseArg = Annotated[str, typer.Argument(help="Case id, e.g. JIM-2026-0042 (any case).", show_default=False,
                                        callback=parse_case_id)]
OverrideOpt = Annotated[str | None, typer.Option(help="Why you offer the case to a Defender who is away or at "
                                                 "capacity (recorded with the offer).")]


def _status(settings: Settings, case_id: str) -> Coroutine[Any, Any, CaseStatus]:
    async def go() -> CaseStatus:
        return await read_status(await connect(settings), case_id)

    return go()


def _needs(status: CaseStatus) -> CaseNeeds:
    return CaseNeeds(country=status.country, region=status.region, services=status.services,
                     advocate_language=status.advocate_language, declined=status.declined_defenders)


def _exclusion_now(settings: Settings, needs: CaseNeeds, defender_id: str) -> Exclusion | None:
    from starters.commands.defenders import current_defenders
    from starters.suggestions import utc_today

    defender = next((d for d in current_defenders(settings, needs.country, quiet=True) if d.id == defender_id), None)
    if defender is None:
        return None  # not in this country's roster: the case's own check names the problem
    return exclusion(defender, needs, utc_today())


def _print_suggestions(settings: Settings, case_id: str, needs: CaseNeeds) -> None:
    """The top suggestions and the command to take the first; a missing roster or record never stops the caller."""
    from starters.suggestions import ranking_view, suggest

    try:
        ranking = suggest(settings, needs, quiet=True)
    except (OSError, ValueError) as exc:
        console.print(f"[dim]  (no suggestions: {escape(str(exc))})[/]")
        return
    except typer.Exit:  # the record could not be read (the line above says why); the command itself succeeded
        console.print("[dim]  (no suggestions: see the line above)[/]")
        return
    shown = settings.suggest.shown
    console.print(ranking_view(ranking, top=shown, title=f"Top {shown} suggestions (casefac suggest {case_id})"))
    if ranking.suggestions:
        console.print(f"  next: casefac assign {case_id} --defender {ranking.suggestions[0].defender_id}")


def _with_currency(text: str) -> Any:
    """``'HNL 3,700.00'`` → Money (the currency first, as finance writes it)."""
    currency, _, amount = text.strip().partition(" ")
    return parse_money(amount, currency.upper())


def _done(receipt: Receipt) -> None:
    console.print(f"[green]✓[/] {escape(receipt.message)} [dim]· stage {receipt.stage}[/]")


def _input_error(exc: InputError) -> None:
    fail(str(exc), 2)


def register(app: typer.Typer) -> None:
    @app.command("open")
    def open_(
        file: Annotated[Path | None, typer.Option("--file", "-f", help="YAML or JSON case file; flags override "
                                                  "its fields.")] = None,
        case_id: Annotated[str | None, typer.Option(help="JIM-YYYY-NNNN")] = None,
        advocate_id: Annotated[str | None, typer.Option(help="Advocate's party id, e.g. ADV-0042")] = None,
        advocate_name: Annotated[str | None, typer.Option()] = None,
        advocate_org: Annotated[str | None, typer.Option(help="Law firm or organization")] = None,
        advocate_email: Annotated[str | None, typer.Option()] = None,
        advocate_country: Annotated[str | None, typer.Option(help="US or CA")] = None,
        advocate_language: Annotated[str | None, typer.Option(help="en or fr")] = None,
        billing_currency: Annotated[str | None, typer.Option(help="USD or CAD")] = None,
        client_name: Annotated[str | None, typer.Option(help="The migrant client's full name (encrypted)")] = None,
        client_dob: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        client_location: Annotated[str | None, typer.Option(help="Last known location")] = None,
        client_contact: Annotated[str | None, typer.Option(help="How to reach the client")] = None,
        country: Annotated[str | None, typer.Option(help="MX, GT, SV, HN or NI")] = None,
        matter_type: Annotated[str | None, typer.Option(help="rights_violation or protection")] = None,
        services: Annotated[list[str] | None, typer.Option("--service", help="Repeat: locate_client, "
                                                           "facilitate_communication, document_collection, …")]
        = None,
        description: Annotated[str | None, typer.Option()] = None,
        deadline: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        budget_cap: Annotated[str | None, typer.Option(help="e.g. 1500.00 (billing currency) or 'CAD 1500.00'")]
        = None,
        problem_code: Annotated[str | None, typer.Option(help="LSC CSR problem code for funders' reports "
                                                         "(default 81 Immigration/Naturalization)")] = None,
        staff: StaffOpt = None,
    ) -> None:
        """Open a Case Facilitation for an Advocate (a new workflow, id case-<CASE-ID>)."""
        settings = load_settings()
        who = actor(staff)
        flags = dict(case_id=case_id, advocate_id=advocate_id, advocate_name=advocate_name,
                     advocate_org=advocate_org, advocate_email=advocate_email, advocate_country=advocate_country,
                     advocate_language=advocate_language, billing_currency=billing_currency,
                     client_name=client_name, client_dob=client_dob, client_location=client_location,
                     client_contact=client_contact, country=country, matter_type=matter_type, services=services,
                     description=description, deadline=deadline, budget_cap=budget_cap, problem_code=problem_code)
        try:
            base = read_case_file(file) if file else {}
            request = build_request(base, flags, who)
        except InputError as exc:
            _input_error(exc)
        except ValidationError as exc:
            validation_failed("the case request", exc)
        problem = problem_code_error(request.problem_code)
        if problem:
            fail(problem, 2)
        held = id_taken(settings, request.case_id)
        if held is not None:
            fail(f"{request.case_id} is already in the case record ({held.stage}, opened {held.opened_at:%Y-%m-%d}): "
                 "a case id is never reused; choose another")

        async def go() -> str:
            client = await connect(settings)
            handle = await open_case(client, request, settings.policy)
            return handle.id

        workflow_id = run(settings, go())
        console.print(f"[green]✓[/] opened case [bold]{request.case_id}[/] (workflow {workflow_id}); "
                      "waiting for staff review")
        _print_suggestions(settings, request.case_id, CaseNeeds(
            country=request.country, region=request.region, services=list(request.services),
            advocate_language=request.advocate.language))

    def _review(case_id: str, defender: str | None, reason: str | None, staff: str | None,
                override: str | None = None) -> None:
        settings = load_settings()
        if not defender and not reason:
            status = run(settings, _status(settings, case_id))
            _print_suggestions(settings, case_id, _needs(status))
            console.print(f"  or decline: casefac review {case_id} --reason \"…\"")
            return
        if defender and reason:
            fail("say either --defender DEF-… (accept) or --reason '…' (decline)", 2)
        who = actor(staff)
        if defender:
            # The live roster and record decide first (the same rules as the case's own check on its snapshot).
            status = run(settings, _status(settings, case_id))
            why_not = _exclusion_now(settings, _needs(status), defender)
            if why_not is not None and not why_not.overridable:
                fail(f"{why_not.reason}; choose another (casefac suggest {case_id})")
            if why_not is not None and not (override or "").strip():
                fail(f"{why_not.reason}: to offer the case all the same, say why: "
                     f"casefac assign {case_id} --defender {defender} --override \"…\"")

        async def go() -> Receipt:
            client = await connect(settings)
            return await staff_actions.review(client, case_id, who, defender_id=defender, reason=reason or "",
                                              override=(override or "").strip())

        _done(run(settings, go()))

    @app.command()
    def review(
        case_id: CaseArg,
        defender: Annotated[str | None, typer.Option(help="Accept and offer the case to this Defender.")] = None,
        reason: Annotated[str | None, typer.Option(help="Decline the case, saying why.")] = None,
        override: OverrideOpt = None,
        staff: StaffOpt = None,
    ) -> None:
        """Review a case: accept it with a Defender (--defender) or decline it (--reason); alone, the suggestions."""
        _review(case_id, defender, reason, staff, override)

    @app.command()
    def assign(
        case_id: CaseArg,
        defender: Annotated[str, typer.Option(help="The Defender to offer the case to.")],
        override: OverrideOpt = None,
        staff: StaffOpt = None,
    ) -> None:
        """Accept a case and offer it to a Defender (the same as review --defender)."""
        _review(case_id, defender, None, staff, override)

    @app.command("approve-contract")
    def approve_contract(
        case_id: CaseArg,
        revision: Annotated[int | None, typer.Option(help="Revision to approve (default: the current one).")]
        = None,
        staff: StaffOpt = None,
    ) -> None:
        """Approve the contract revision for JiM (the Defender approves on the portal)."""
        settings = load_settings()
        who = actor(staff)

        async def go() -> Receipt:
            return await staff_actions.approve_contract(await connect(settings), case_id, who, revision)

        _done(run(settings, go()))

    @app.command("review-report")
    def review_report(
        case_id: CaseArg,
        report: Annotated[int | None, typer.Option(help="Report number (default: the one waiting).")] = None,
        rate: Annotated[list[str] | None, typer.Option(help="Exchange rate SOURCE:TARGET=RATE, e.g. "
                                                       "GTQ:USD=0.13 (repeat).")] = None,
        adjust: Annotated[list[str] | None, typer.Option(help="Invoice adjustment 'description=-10.00' "
                                                         "(repeat; negative is a discount).")] = None,
        currency: Annotated[str | None, typer.Option(help="Currency of --adjust amounts (default: the case's "
                                                     "billing currency, USD or CAD).")] = None,
        request_changes: Annotated[bool, typer.Option("--request-changes", help="Send the report back.")] = False,
        reason: Annotated[list[str] | None, typer.Option(help="What must change (repeat).")] = None,
        over_cap: Annotated[str, typer.Option("--over-cap", help="Why you approve a report over a contract or "
                                              "budget cap (required then; recorded, shown to finance).")] = "",
        rate_source: Annotated[str, typer.Option(help="Where the rates come from, e.g. 'Banguat reference "
                                                 "rate' (recorded with the approval).")] = "",
        rate_as_of: Annotated[str | None, typer.Option(help="The rates' date, YYYY-MM-DD (default: today).")]
        = None,
        show_text: Annotated[list[str] | None, typer.Option(help="Put the Defender's typed text on this invoice "
                                                            "line too: h1 (first hour line), e2, a1 (repeat); "
                                                            "by default lines carry codes, dates and hours.")]
        = None,
        yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve without asking (scripts); without it the "
                                          "invoice and payout are shown and a terminal must confirm.")] = False,
        staff: StaffOpt = None,
    ) -> None:
        """Approve an hour & expense report (with rates and adjustments) or request changes."""
        settings = load_settings()
        who = actor(staff)
        reasons = [r for r in (reason or []) if r.strip()]
        adjustments: list[Adjustment] = []
        if request_changes and not reasons:
            fail("--request-changes needs at least one --reason", 2)
        if reasons and not request_changes:
            fail("--reason goes with --request-changes", 2)
        if request_changes and (rate or adjust):
            fail("--rate and --adjust go with an approval, not with --request-changes", 2)
        try:
            rates = [parse_rate(r) for r in rate or []]
            if currency:
                adjustments = [parse_adjustment(a, currency) for a in adjust or []]
        except InputError as exc:
            _input_error(exc)

        try:
            as_of = date.fromisoformat(rate_as_of) if rate_as_of else None
        except ValueError:
            fail(f"--rate-as-of {rate_as_of!r} is not a date like 2026-03-31", 2)
        approval: dict[str, Any] = {} if request_changes else {
            "over_cap": over_cap, "rate_source": rate_source, "rate_as_of": as_of, "line_text": show_text or []}

        async def go() -> Receipt:
            from starters import money_review

            client = await connect(settings)
            nonlocal adjustments
            if adjust and not currency:  # a CAD case's "-10.00" is CAD 10.00: the case says which
                billing = (await read_status(client, case_id)).billing_currency
                adjustments = [parse_adjustment(a, billing) for a in adjust]
            message = await staff_actions.review_message(client, case_id, who, report_number=report, rates=rates,
                                                         adjustments=adjustments, change_reasons=reasons,
                                                         **approval)
            if message.decision == "approve":  # money moves: show what, and confirm (review C2)
                seen = await money_review.preview(client, case_id, message)
                if seen.priced is not None:
                    money_review.show(case_id, message.report_number, seen)
                if seen.priced is None or seen.refusal:
                    fail(seen.refusal or "the case cannot price this approval")
                money_review.confirm(yes)
            return await staff_actions.send_review(client, case_id, message)

        _done(run(settings, go()))

    @app.command("record-payout")
    def record_payout(
        case_id: CaseArg,
        amount: Annotated[str, typer.Option(help="The amount wired, e.g. 155.00 (in the payout's currency).")],
        reference: Annotated[str, typer.Option(help="Bank or remittance reference.")],
        paid_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today).")] = None,
        report: Annotated[int | None, typer.Option(help="Report number (default: the pending payout).")] = None,
        received: Annotated[str | None, typer.Option(help="What the Defender received when it differs, with its "
                                                     "currency: 'HNL 3,700.00' (a local-currency wire, or net).")]
        = None,
        fees: Annotated[str | None, typer.Option(help="Bank fees, with currency: 'USD 8.00'.")] = None,
        staff: StaffOpt = None,
    ) -> None:
        """Finance: record a manual transfer to a Defender without Stripe Connect."""
        settings = load_settings()
        who = actor(staff, Role.FINANCE)
        try:
            day = date.fromisoformat(paid_on) if paid_on else date.today()
        except ValueError:
            fail(f"--paid-on {paid_on!r} is not a date like 2026-03-31", 2)

        async def go() -> Receipt:
            client = await connect(settings)
            number, cur = staff_actions.pending_payout(await read_status(client, case_id), report)
            extra = {name: _with_currency(value) for name, value in (("received", received), ("fees", fees))
                     if value}
            return await staff_actions.record_payout(client, case_id, who, amount=parse_money(amount, cur),
                                                     reference=reference, paid_on=day, report_number=number,
                                                     **extra)

        _done(run(settings, go()))

    @app.command()
    def retry(
        case_id: CaseArg,
        note: Annotated[str, typer.Option(help="What was fixed.")] = "",
        staff: StaffOpt = None,
    ) -> None:
        """Retry the step that needs attention (after fixing its cause)."""
        settings = load_settings()
        who = actor(staff)

        async def go() -> Receipt:
            return await staff_actions.retry(await connect(settings), case_id, who, note)

        _done(run(settings, go()))

    @app.command()
    def cancel(
        case_id: CaseArg,
        reason: Annotated[str, typer.Option(help="Why (the parties are told).")],
        void_invoices: Annotated[bool, typer.Option("--void-invoices", help="Void the open invoices of approved "
                                                    "work (required after the final report, or --keep-invoices)")]
        = False,
        keep_invoices: Annotated[bool, typer.Option("--keep-invoices", help="Keep them payable: the case closes "
                                                    "once they are paid.")] = False,
        staff: StaffOpt = None,
    ) -> None:
        """Cancel a case: open envelopes and invoices are voided and the parties told."""
        settings = load_settings()
        who = actor(staff)
        if void_invoices and keep_invoices:
            fail("--void-invoices or --keep-invoices, not both", 2)
        invoices = "void" if void_invoices else "keep" if keep_invoices else None

        async def go() -> Receipt:
            return await staff_actions.cancel(await connect(settings), case_id, who, reason, invoices)

        _done(run(settings, go()))
