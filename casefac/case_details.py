"""What the Temporal UI shows finance about one case, computed from the case's state (pure, deterministic).

``current_details`` is the Markdown of the workflow's *Current Details*: attention first (what failed, the
provider's own words, the command to type), then the money as one line per invoice and payout with its
amount and currency, dates and status, the invoice's life so far, and the totals; the case's ids last. No
client data: only ids, codes, amounts and dates, as for search attributes.

``money_attributes`` are the money view's search attributes (see ``casefac.search_attributes``), and
``waiting_parties`` turns a wait's role ("advocate and defender", "docusign") into ``WaitingOn`` values.
The workflow calls these; ``casefac list``, ``today`` and ``money`` read what they produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from casefac import search_attributes as sa
from casefac.case import CaseRequest
from casefac.money import EXPONENT, Money
from casefac.state import Attention, CaseState, InvoiceState, PayoutState

#: Invoice statuses that still wait for the Advocate's money.
UNPAID = ("open", "payment_failed", "draft", "uncollectible")
#: ``InvoiceStatus`` of a case: its worst invoice.
STATUS_ORDER = ("payment_failed", "open", "draft", "uncollectible", "paid", "void")
_PROVIDERS = {"Stripe": "Stripe", "DocuSign": "DocuSign", "SendGrid": "SendGrid", "Invoice": "Stripe",
              "Record": "the case record", "Records": "the case record", "Roster": "the roster"}


def retry_command(case_id: str) -> str:
    return f'casefac retry {case_id} --note "what you fixed"'


def cancel_command(case_id: str) -> str:
    return f'casefac cancel {case_id} --reason "why"'


def provider_name(error_type: str) -> str:
    """``StripeRejected`` → ``Stripe``: who said no, in the words staff use."""
    return next((name for prefix, name in _PROVIDERS.items() if error_type.startswith(prefix)), "the provider")


def provider_message(cause: Any) -> str:
    """The provider's own text an activity put in its error's details (``casefac.errors``), or ''."""
    for detail in getattr(cause, "details", None) or ():
        if isinstance(detail, dict) and detail.get("provider_message"):
            return str(detail["provider_message"])
    return ""


def major(money: Money) -> float:
    """The amount in major units for a Double search attribute (index only: nothing computes with it)."""
    return float(Decimal(money.amount).scaleb(-EXPONENT.get(money.currency, 2)))


def due_at(inv: InvoiceState, days_until_due: int) -> datetime:
    """When the invoice falls due: Stripe's due date (midnight UTC), else issued + the policy's days."""
    if inv.due_date is not None:
        return datetime.combine(inv.due_date, time(0), tzinfo=UTC)
    return inv.issued_at + timedelta(days=days_until_due)


def invoice_that_matters(invoices: Sequence[InvoiceState]) -> InvoiceState | None:
    """The oldest invoice still unpaid, else the newest: the one "since when" is asked about."""
    unpaid = [i for i in invoices if i.status in UNPAID]
    if unpaid:
        return min(unpaid, key=lambda i: i.issued_at)
    return max(invoices, key=lambda i: i.issued_at) if invoices else None


def worst_status(invoices: Sequence[InvoiceState]) -> str | None:
    statuses = {i.status for i in invoices}
    return next((s for s in STATUS_ORDER if s in statuses), None)


def payout_status(payouts: Sequence[PayoutState]) -> str | None:
    if not payouts:
        return None
    # W2: a payout waiting for its second approval, or reversed by Stripe, is not paid either
    return "pending" if any(p.status in ("pending", "to_approve", "reversed") for p in payouts) else "paid"


def money_attributes(state: CaseState, days_until_due: int) -> list[Any]:
    """Search attribute updates for the money view (only for what the case has)."""
    updates: list[Any] = []
    inv = invoice_that_matters(state.invoices)
    if inv is not None:
        live = [i.amount_due for i in state.invoices if i.status != "void"]
        currency = inv.amount_due.currency
        total = sum(m.amount for m in live if m.currency == currency)
        updates += [sa.INVOICE_TOTAL.value_set(major(Money(amount=total, currency=currency))),  # type: ignore[arg-type]
                    sa.INVOICE_CURRENCY.value_set(currency),
                    sa.INVOICE_ISSUED.value_set(inv.issued_at),
                    sa.INVOICE_DUE.value_set(due_at(inv, days_until_due))]
    paid = payout_status(state.payouts)
    if paid is not None:
        updates.append(sa.PAYOUT_STATUS.value_set(paid))
    return updates


def waiting_parties(role: str | None, state: CaseState) -> list[str]:
    """``WaitingOn``: the roles of the current wait, plus finance while a manual payout waits to be recorded."""
    parties: list[str] = []
    for part in (role or "").split(" and "):
        part = part.strip()
        if not part:
            continue
        name = part if part in sa.WAITING_PARTIES else "provider"
        if name not in parties:
            parties.append(name)
    if any(p.method == "manual" and p.status == "pending" for p in state.payouts) and "finance" not in parties:
        parties.append("finance")
    return parties


def _day(value: datetime | date) -> str:
    return f"{value:%Y-%m-%d}"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _attention(case_id: str, a: Attention) -> list[str]:
    lead = "⚠ **Needs attention**" if a.blocking else "⚠ **Needs a look** (the case goes on)"
    lines = [f"{lead} since {_stamp(a.since)} · step **{a.step}**", "",
             f"> {a.error_type}: {a.message}", ""]
    if a.blocking:
        lines.append(f"**What to do:** fix the cause, then `{retry_command(case_id)}` "
                     f"(or `{cancel_command(case_id)}`). The case waits until then.")
    else:
        lines.append(f"**What to do:** look at it (`casefac status {case_id}`); nothing waits.")
    return [*lines, ""]


def _invoice_line(inv: InvoiceState, days_until_due: int) -> list[str]:
    # No "overdue" here: these details are recomputed only when the case acts, so a comparison with "now"
    # would freeze and read "open" for days after the due date. The due date is printed; the saved view
    # ``InvoiceDue < today`` and ``casefac money`` say what is overdue, live.
    due = due_at(inv, days_until_due)
    status = f"**{inv.status}**"
    paid = f" · paid {_day(inv.paid_at)}" if inv.paid_at else ""
    life = " → ".join(f"{c.status} {_day(c.at)}" for c in inv.history) or inv.status
    return [f"- **Invoice {inv.number or inv.invoice_id}** · report {inv.report_number} · "
            f"**{inv.amount_due.format()}** · {status}",
            f"  issued {_day(inv.issued_at)} · due {_day(due)}{paid} · life: {life}"]


def _payout_line(pay: PayoutState, defender_id: str | None) -> list[str]:
    how = "Stripe transfer" if pay.method == "stripe_connect" else "manual transfer (finance records it)"
    when = f"paid {_day(pay.paid_at)}" if pay.paid_at else f"requested {_day(pay.requested_at)}"
    to = f" to {defender_id}" if defender_id else ""
    return [f"- **Payout{to}** · report {pay.report_number} · **{pay.amount.format()}** · **{pay.status}**",
            f"  {how} · {when} · ref {pay.reference or '—'}"]


def _totals(invoices: Sequence[InvoiceState], payouts: Sequence[PayoutState]) -> str:
    parts: list[str] = []
    live = [i for i in invoices if i.status != "void"]
    if live:
        cur = live[0].amount_due.currency

        def add(items: Sequence[InvoiceState]) -> str:
            return Money(amount=sum(i.amount_due.amount for i in items if i.amount_due.currency == cur),
                         currency=cur).format()  # type: ignore[arg-type]
        parts += [f"invoiced {add(live)}", f"paid {add([i for i in live if i.status == 'paid'])}",
                  f"outstanding {add([i for i in live if i.status != 'paid'])}"]
    if payouts:
        cur = payouts[0].amount.currency
        paid_out = sum(p.amount.amount for p in payouts if p.status == "paid" and p.amount.currency == cur)
        pending = sum(p.amount.amount for p in payouts if p.status == "pending" and p.amount.currency == cur)
        parts += [f"paid out {Money(amount=paid_out, currency=cur).format()}",  # type: ignore[arg-type]
                  f"payout pending {Money(amount=pending, currency=cur).format()}"]  # type: ignore[arg-type]
    return " · ".join(parts)


def _money_decisions(case_id: str, state: CaseState) -> list[str]:
    """W2: approvals over a cap and invoices waiting on a decision (figures and commands; reasons stay in status)."""
    lines = [f"Report {a.number} approved over the {'; the '.join(a.over_caps)} by `{a.approved_by}` "
             f"(reason: `casefac status {case_id}`)" for a in state.approved if a.over_caps]
    lines += [f"Invoice `{i.number or i.invoice_id}` needs a decision: `casefac resolve-invoice {case_id} "
              f"{i.report_number} --decision …`" for i in state.invoices if i.needs_decision and not i.resolution]
    return [*lines, ""] if lines else []


def summary_line(req: CaseRequest) -> str:
    """The line finance relies on, as ``casefac open`` writes it into the static summary."""
    return f"Case {req.case_id} · {req.country} · {req.matter_type.value}"


def current_details(req: CaseRequest, state: CaseState, *, now: datetime, days_until_due: int,
                    waiting: tuple[str, str, datetime] | None = None) -> str:
    """Markdown for the Temporal UI's Current Details, most urgent first. ``waiting``: (who, what, since)."""
    lines: list[str] = []
    if state.attention is not None:
        lines += _attention(req.case_id, state.attention)
    if state.invoices or state.payouts:
        lines += ["**Money**", ""]
        for inv in state.invoices:
            lines += _invoice_line(inv, days_until_due)
        defender_id = state.defender.id if state.defender else None
        for pay in state.payouts:
            lines += _payout_line(pay, defender_id)
        lines += ["", f"Totals: {_totals(state.invoices, state.payouts)}", ""]
        lines += _money_decisions(req.case_id, state)
    elif not state.stage.terminal:
        lines += ["**Money**: nothing invoiced or paid out yet", ""]
    who = f" · Defender `{state.defender.id}`" if state.defender else ""
    # The start's static summary ("Case JIM-… · GT · protection") is not carried by continue-as-new (m15): the
    # same line leads here, in the details every run refreshes.
    lines.insert(0, summary_line(req))
    lines.insert(1, "")
    lines.append(f"**{req.case_id}** · {state.stage.value} · {req.country} · Advocate `{req.advocate.id}`{who}")
    if waiting is not None and not state.stage.terminal:
        party, what, since = waiting
        lines += ["", f"Waiting on **{party}** to {what} since {_stamp(since)}"]
    return "\n".join(lines)
