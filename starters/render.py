"""Rich views of a case for ``casefac status``: stage, who it waits on for what since when, money, timeline.

Only what the status query returns is shown: ids, stages, amounts, dates — the same data staff may see
in the UI. Times are UTC with a relative age, because coordinators work across four time zones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from casefac.money import Money
from casefac.state import InvoiceState, Offer, PayoutState
from casefac.status import CaseStatus, MoneyFigures

if TYPE_CHECKING:  # the record (SQLAlchemy) is imported only when a case is read from it
    from records.reader import RecordedCase

STAGE_STYLE = {"REVIEW": "cyan", "AGREEMENT": "blue", "ASSIGNMENT": "magenta", "PAYMENT": "yellow",
               "EVALUATION": "green", "CLOSED": "bold green", "DECLINED": "red", "CANCELLED": "red"}
TIMELINE_ROWS = 15
#: Codes staff would otherwise read raw.
AGREEMENT_WORDS = {"not_requested": "not requested yet", "pending": "sent, not signed yet", "signed": "signed"}
#: DocuSign recipient ids of the contract envelope (``casefac.activity_io.CONTRACT_SIGNERS``) → who.
SIGNERS = {"1": "the Advocate", "2": "the Defender", "3": "JiM"}


def age(when: datetime, now: datetime | None = None) -> str:
    """``3 h ago``: how long something has waited, at a glance."""
    seconds = int(((now or datetime.now(UTC)) - when).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def words(code: str) -> str:
    """``payment_failed`` → ``payment failed``: a status as people say it."""
    return code.replace("_", " ")


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def money(value: Money | None) -> str:
    return value.format() if value is not None else "—"


def stage_text(stage: str) -> Text:
    return Text(stage, style=STAGE_STYLE.get(stage, ""))


def _header(s: CaseStatus) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Stage", stage_text(s.stage.value))
    grid.add_row("Country", s.country)
    grid.add_row("Advocate", f"{s.advocate_id} ({s.advocate_language})")
    grid.add_row("Defender", f"{s.defender_id} ({s.defender_language})" if s.defender_id else "— not assigned")
    if s.waiting:
        who = s.waiting.role + (f" {s.waiting.party_id}" if s.waiting.party_id else "")
        grid.add_row("Waiting on", Text.assemble((who, "bold"), f" to {s.waiting.what}",
                                                 (f"  since {stamp(s.waiting.since)} ({age(s.waiting.since)})",
                                                  "dim")))
    elif s.stage.terminal:
        grid.add_row("Waiting on", "nobody: the case is finished")
    if s.offer_deadline and s.waiting and s.waiting.role == "defender":
        zone_name = s.offers[-1].zone if s.offers and s.offers[-1].zone else s.defender_tz
        grid.add_row("Answer by", f"{_local(s.offer_deadline, zone_name)} (the Defender's local end of day; "
                     f"{stamp(s.offer_deadline)})")
    if s.offers:
        grid.add_row("Offers", Text("\n".join(_offer_line(o) for o in s.offers[-5:])))
    if s.failed_mails:
        grid.add_row(Text("Unsent", style="bold red"),
                     Text(f"{s.failed_mails} email(s) a provider refused: fix the address (casefac amend "
                          f"{s.case_id} --advocate-email/--defender-email …), then casefac retry {s.case_id}",
                          style="red"))
    if s.attention:
        kind = "blocking: the case waits" if s.attention.blocking else "not blocking: the case goes on"
        grid.add_row(Text("Attention", style="bold red"),
                     Text(f"{s.attention.step}: {s.attention.error_type} — {s.attention.message} ({kind}; "
                          f"since {stamp(s.attention.since)})", style="red"))
        command = (f'casefac retry {s.case_id} --note "what you fixed"' if s.attention.blocking
                   else f'casefac retry {s.case_id}  (clears the flag)')
        grid.add_row(Text("To do", style="bold red"),
                     Text(f"fix the cause, then: {command}\nor stop the case: casefac cancel {s.case_id} "
                          '--reason "why"', style="red"))
    if s.stage.value == "REVIEW":
        grid.add_row("Asked for", _asked_for(s))
    agreement = AGREEMENT_WORDS.get(s.agreement.status, s.agreement.status)
    agreement += f" {stamp(s.agreement.signed_at)}" if s.agreement.signed_at else ""
    grid.add_row("Agreement", agreement)
    if s.contract:
        approvals = ", ".join(r.value for r in s.contract.approvals) or "none yet"
        grid.add_row("Contract", f"revision {s.contract.number} · approved by {approvals}"
                     + ("" if s.advocate_completed else " · Advocate has not completed it"))
    if s.envelope:
        signed = [SIGNERS.get(r, f"recipient {r}") for r in s.envelope.signed]
        grid.add_row("Envelope", f"{s.envelope.envelope_id} · {s.envelope.status} · signed by "
                     f"{', '.join(signed) or 'nobody yet'}")
    if s.evaluations_from or s.outcome:
        grid.add_row("Evaluation", f"from {', '.join(s.evaluations_from) or 'nobody yet'} · outcome "
                     f"{s.outcome or 'not reported'}")
    if s.record_behind:
        grid.add_row(Text("Record", style="bold yellow"),
                     Text(f"records behind: {s.record_written} of {s.record_seq} milestones written to the case "
                          "record; writes retry until the records database answers (see the worker's log)",
                          style="yellow"))
    return grid


def _asked_for(s: CaseStatus) -> Text:
    """What the Advocate asked for: what staff decide a review on."""
    from casefac.labels import SERVICES

    services = "; ".join(SERVICES.get(x.value, x.value) for x in s.services) or "—"
    lines = [f"services: {services}",
             f"deadline: {s.deadline:%Y-%m-%d}" if s.deadline else "deadline: none given",
             f"budget cap: {s.budget_cap.format()}" if s.budget_cap else "budget cap: none given"]
    if s.region:
        lines.insert(0, f"region: {s.region}")
    if s.matter_type:
        lines.insert(0, f"matter: {s.matter_type.replace('_', ' ')}")
    if s.description:
        lines.append(f"description: {s.description}")
    return Text("\n".join(lines))


def _money(s: CaseStatus | RecordedCase) -> RenderableType | None:
    table = money_table(s.invoices, s.payouts, s.money)
    notes = money_notes(s) if isinstance(s, CaseStatus) else []
    if table is None and not notes:
        return None
    return Group(*([table] if table is not None else []), *[Text(n, overflow="fold") for n in notes])


def money_notes(s: CaseStatus) -> list[str]:
    """W2: the caps (used of each, the budget left), approvals over a cap with staff's reason, the rates'
    source, payouts awaiting a second approval, and invoices waiting on a decision (finance reads these)."""
    from starters.money_review import caps_lines

    notes = [f"caps: {line}" for line in caps_lines(s.caps)]
    notes += [f"report waiting for review is over the {over}" for over in s.caps_flagged]
    for a in s.approvals:
        if a.over_caps:
            notes.append(f"report {a.number} approved over the {'; the '.join(a.over_caps)} by {a.approved_by}: "
                         f"{a.over_cap_reason}")
        if a.exchange_rates:
            rates = ", ".join(f"{r.source}:{r.target}={r.rate.normalize():f}" for r in a.exchange_rates)
            notes.append(f"report {a.number} rates {rates} ({a.rate_source or 'staff'}"
                         + (f", as of {a.rate_as_of}" if a.rate_as_of else "") + ")")
        if a.payout_needs_second:
            notes.append(f"report {a.number} payout: second approval "
                         + (f"by {a.payout_approved_by}" if a.payout_approved_by else
                            f"pending (casefac approve-payout {s.case_id} {a.number})"))
    for inv in s.invoices:
        if inv.needs_decision and not inv.resolution:
            notes.append(f"invoice {inv.number or inv.invoice_id}: {inv.needs_decision} "
                         f"(casefac resolve-invoice {s.case_id} {inv.report_number} --decision …)")
        elif inv.resolution_pending:  # review P1
            notes.append(f"invoice {inv.number or inv.invoice_id}: {inv.resolution} to be made in Stripe and recorded "
                         f"(casefac resolve-invoice {s.case_id} {inv.report_number} --decision {inv.resolution} "
                         "--reference …)")
        elif inv.resolution:
            notes.append(f"invoice {inv.number or inv.invoice_id}: {inv.resolution.replace('_', ' ')}"
                         + (f" ({inv.resolution_reference})" if inv.resolution_reference else ""))
        if inv.amount_paid is not None and inv.status == "open" and inv.amount_paid.amount:
            notes.append(f"invoice {inv.number or inv.invoice_id}: partly paid {inv.amount_paid.format()}")
    return notes


def money_table(invoices: list[InvoiceState], payouts: list[PayoutState], m: MoneyFigures) -> RenderableType | None:
    if not (invoices or payouts):
        return None
    table = Table(title="Money", title_justify="left", expand=False)
    for column in ("what", "report", "amount", "status", "dates", "reference"):
        table.add_column(column, justify="right" if column == "amount" else "left",
                         overflow="fold", no_wrap=column == "amount")
    for inv in invoices:
        dates = f"issued {inv.issued_at:%Y-%m-%d}" + (f" · due {inv.due_date:%Y-%m-%d}" if inv.due_date else "")
        dates += f" · paid {inv.paid_at:%Y-%m-%d}" if inv.paid_at else ""
        table.add_row("invoice", str(inv.report_number), inv.amount_due.format(), words(inv.status), dates,
                      inv.number or inv.invoice_id)
    for pay in payouts:
        method = "Stripe transfer" if pay.method == "stripe_connect" else "manual transfer"
        dates = f"requested {pay.requested_at:%Y-%m-%d}" + (f" · paid {pay.paid_at:%Y-%m-%d}" if pay.paid_at else "")
        table.add_row(f"payout ({method})", str(pay.report_number), pay.amount.format(), pay.status, dates,
                      pay.reference or "—")
    totals = Text(f"invoiced {money(m.invoiced)} · paid {money(m.paid)} · outstanding {money(m.outstanding)} · "
                  f"paid out {money(m.paid_out)} · payout pending {money(m.payout_pending)}", style="bold",
                  overflow="fold")
    return Group(table, totals)


def _work(s: CaseStatus | RecordedCase) -> RenderableType | None:
    if not (s.tasks or s.reports):
        return None
    table = Table(title="Work", title_justify="left")
    table.add_column("item")
    table.add_column("status")
    table.add_column("detail")
    for t in s.tasks:
        table.add_row(t.id, words(t.status), escape(t.description[:60]))
    for r in s.reports:
        detail = f"{r.hours} h · expenses in {', '.join(r.expense_currencies) or '—'}"
        if r.change_reasons:
            detail += f" · changes: {'; '.join(r.change_reasons)[:80]}"
        table.add_row(f"report {r.number} ({r.kind})", words(r.status), escape(detail))
    return table


def _timeline(s: CaseStatus) -> RenderableType:
    table = Table(title=f"Timeline (last {min(TIMELINE_ROWS, len(s.timeline))} of {len(s.timeline)})",
                  title_justify="left")
    table.add_column("when (UTC)", style="dim", no_wrap=True)
    table.add_column("stage")
    table.add_column("event")
    table.add_column("by", style="dim")
    for entry in s.timeline[-TIMELINE_ROWS:]:
        table.add_row(entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), stage_text(entry.stage.value),
                      escape(entry.event), escape(entry.actor or ""))
    return table


def _local(when: datetime, zone_name: str) -> str:
    from casefac.timezones import describe

    return describe(when, zone_name) if zone_name else stamp(when)


def _offer_line(o: Offer) -> str:
    """``DEF-GT-001 · declined 2026-12-02 14:00 UTC: “Conflict of interest”``: staff read the Defender's reason."""
    result = {"open": "open", "accepted": "accepted", "declined": "declined", "no_answer": "no answer in time"}
    line = f"{o.defender_id} · {result.get(o.result, o.result)}"
    if o.answered_at:
        line += f" {stamp(o.answered_at)}"
    if o.reason:
        line += f": “{o.reason}”"
    return line


def status_view(s: CaseStatus) -> RenderableType:
    parts = [p for p in (_header(s), _work(s), _money(s), _timeline(s)) if p is not None]
    return Panel(Group(*parts), title=f"[bold]Case {s.case_id}[/]", title_align="left",
                 subtitle=f"{s.history_events} history events", subtitle_align="right")


def _recorded_header(r: RecordedCase) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Stage", stage_text(r.stage.value))
    grid.add_row("Country", f"{r.country} · {r.matter_type} · LSC problem code {r.problem_code}")
    grid.add_row("Opened", stamp(r.opened_at))
    if r.closed_at:
        grid.add_row("Finished", stamp(r.closed_at))
    grid.add_row("Advocate", f"{r.advocate_id} ({escape(r.advocate_organization)})")
    grid.add_row("Defender", r.defender_id or "— not assigned")
    agreement = AGREEMENT_WORDS.get(r.agreement.status, r.agreement.status)
    agreement += f" {stamp(r.agreement.signed_at)}" if r.agreement.signed_at else ""
    grid.add_row("Agreement", agreement)
    signed = next((c for c in r.contract if c.signed), None)
    if r.contract:
        last = r.contract[-1]
        grid.add_row("Contract", f"revision {last.number} · approved by {', '.join(last.approvals) or 'none'}"
                     + (f" · revision {signed.number} signed (envelope {signed.envelope_id}, sha256 "
                        f"{signed.content_hash[:12]}…)" if signed else " · not signed"))
    if r.evaluations_from or r.outcome:
        grid.add_row("Evaluation", f"from {', '.join(r.evaluations_from) or 'nobody'} · outcome "
                     f"{r.outcome or 'not reported'}")
    if r.closing_code or r.closing_code_suggested:
        code = r.closing_code or r.closing_code_suggested
        grid.add_row("Closing code", f"{code}" + ("" if r.closing_code else " (suggested by the outcome; "
                                                  f"`casefac records close-code {r.case_id} CODE` to set)"))
    if r.cancel_reason:
        grid.add_row("Cancelled", escape(r.cancel_reason))
    episodes = len(r.attention)
    if episodes:
        open_ = sum(1 for a in r.attention if a.resolved_at is None)
        grid.add_row("Attention", f"{episodes} episode(s), {open_} not cleared")
    return grid


def _recorded_stages(r: RecordedCase) -> RenderableType:
    table = Table(title="Stages", title_justify="left")
    table.add_column("stage")
    table.add_column("entered (UTC)", no_wrap=True)
    table.add_column("days", justify="right")
    for s in r.stages:
        days = f"{(s.left_at - s.entered_at).total_seconds() / 86400:.1f}" if s.left_at else ""
        table.add_row(stage_text(s.stage.value), stamp(s.entered_at), days)
    return table


def record_view(r: RecordedCase) -> RenderableType:
    """A case as the case record keeps it: for cases Temporal no longer holds."""
    work = _work(r)
    parts = [p for p in (_recorded_header(r), work, money_table(r.invoices, r.payouts, r.money), _recorded_stages(r))
             if p is not None]
    when = f"closed {r.closed_at:%Y-%m-%d}" if r.closed_at else f"recorded {r.recorded_at:%Y-%m-%d %H:%M} UTC"
    return Panel(Group(*parts), title=f"[bold]Case {r.case_id}[/] [dim]from the case record, {when}[/]",
                 title_align="left", subtitle=f"record #{r.record_seq}", subtitle_align="right")
