"""What needs a person now, from the cases' status: ``casefac today`` (staff), ``casefac money`` (finance) and
the digests (``workflows/digest.py``) all show this one list, so an email never says something the CLI does not.

Pure: case statuses and the time in, items out, oldest first within each section. Each item carries the
command to type. Only ids, codes, amounts, dates and the provider's own error text (which names no client):
the same data staff see in ``casefac status``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

from casefac.case_details import due_at
from casefac.status import CaseStatus

Audience = Literal["staff", "finance"]
Kind = Literal["attention", "review", "contract_approval", "report_review", "staff_other", "party_overdue",
               "payment_failed", "payout_to_record", "invoice_overdue", "invoice_open"]

#: A party's wait is overdue after this long, or as soon as the case escalated it to staff.
PARTY_OVERDUE_AFTER = timedelta(days=7)
#: Overdue invoices by age, as finance reports them.
BUCKETS = ((30, "1-30"), (60, "31-60"), (90, "61-90"))
OVER_90 = "90+"
_MONEY_STEPS = ("invoice", "payout", "void invoice")

#: Sections in the order people read them; the titles are the English ones (templates translate).
SECTIONS: MappingProxyType[Audience, tuple[tuple[Kind, ...], ...]] = MappingProxyType({
    "staff": (("attention",), ("review", "contract_approval", "report_review", "staff_other"), ("party_overdue",),
              ("payment_failed",)),
    "finance": (("payout_to_record",), ("payment_failed",), ("invoice_overdue",), ("attention",),
                ("invoice_open",)),
})
TITLES: MappingProxyType[Kind, str] = MappingProxyType({
    "attention": "Needs attention", "review": "Waiting on staff", "contract_approval": "Waiting on staff",
    "report_review": "Waiting on staff", "staff_other": "Waiting on staff", "party_overdue": "Parties overdue",
    "payment_failed": "Failed payments", "payout_to_record": "Payouts to record",
    "invoice_overdue": "Invoices overdue", "invoice_open": "Invoices open, not yet due",
})


class Item(BaseModel):
    """One thing a person should do, with what they need to do it."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    kind: Kind
    case_id: str
    since: datetime
    #: In English, as the case words it ("review report 2"); the digest templates word the kind themselves.
    what: str
    #: Who the case waits on, for party items ("defender DEF-GT-001").
    party: str = ""
    #: The provider's message for attention, the invoice number for money items.
    detail: str = ""
    amount: str = ""
    #: Days overdue (invoices) or waiting (everything else), at ``now``.
    days: int = 0
    bucket: str = ""
    escalated: bool = False
    command: str


class Worklist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    audience: Audience
    at: datetime
    items: list[Item]
    #: Running cases looked at; those that did not answer (no worker, a bad state) are counted, not hidden.
    cases: int = 0
    unanswered: list[str] = []

    @property
    def empty(self) -> bool:
        return not self.items

    def sections(self) -> list[tuple[str, list[Item]]]:
        out: list[tuple[str, list[Item]]] = []
        for kinds in SECTIONS[self.audience]:
            items = [i for i in self.items if i.kind in kinds]
            if items:
                out.append((TITLES[kinds[0]], items))
        return out


def bucket(days_overdue: int) -> str:
    return next((label for limit, label in BUCKETS if days_overdue <= limit), OVER_90)


def _days(since: datetime, now: datetime) -> int:
    return max(0, (now - since).days)


def _staff_kind(what: str) -> tuple[Kind, str]:
    """The kind of a staff wait, from what the case says it waits for, and the command for it."""
    if what.startswith("review the case"):
        return "review", "casefac suggest {id}  then  casefac assign {id} --defender DEF-…"
    if what.startswith("approve contract"):
        return "contract_approval", "casefac approve-contract {id}"
    if what.startswith("review report"):
        return "report_review", "casefac review-report {id} --rate SOURCE:TARGET=RATE"
    if what.startswith("approve the payout of report "):  # W2: four eyes, by another staff member
        number = what.removeprefix("approve the payout of report ").split(" ", 1)[0]
        return "staff_other", f"casefac approve-payout {{id}} {number} --as <another staff id>"
    return "staff_other", "casefac status {id}"


def _escalated_since(s: CaseStatus, since: datetime) -> bool:
    return any(e.at >= since and e.event.startswith("escalated to staff") for e in s.timeline)


def _case_items(s: CaseStatus, now: datetime) -> Iterable[Item]:
    cid = s.case_id
    a = s.attention
    if a is not None:
        command = (f'casefac retry {cid} --note "what you fixed"' if a.blocking else f"casefac status {cid}")
        yield Item(kind="attention", case_id=cid, since=a.since, what=f"{a.step} failed",
                   detail=f"{a.error_type}: {a.message}", days=_days(a.since, now), command=command)
    w = s.waiting
    if w is not None and a is None:
        roles = [r.strip() for r in w.role.split(" and ")]
        party = w.role + (f" {w.party_id}" if w.party_id else "")
        if "staff" in roles:
            kind, command = _staff_kind(w.what)
            yield Item(kind=kind, case_id=cid, since=w.since, what=w.what, party=party, days=_days(w.since, now),
                       escalated=_escalated_since(s, w.since), command=command.format(id=cid))
        if any(r in ("advocate", "defender") for r in roles):
            escalated = _escalated_since(s, w.since)
            if escalated or now - w.since >= PARTY_OVERDUE_AFTER:
                yield Item(kind="party_overdue", case_id=cid, since=w.since, what=w.what, party=party,
                           days=_days(w.since, now), escalated=escalated, command=f"casefac status {cid}")
    for inv in s.invoices:
        ref = inv.number or inv.invoice_id
        if inv.needs_decision and not inv.resolution:  # W2 (M5, M6): staff and finance decide, the case waits
            yield Item(kind="attention", case_id=cid, since=inv.history[-1].at if inv.history else inv.issued_at,
                       what=f"invoice {ref}: {inv.needs_decision}", detail=ref, amount=inv.billed.format(),
                       command=f"casefac resolve-invoice {cid} {inv.report_number} --decision …")
        if inv.resolution_pending:  # review P1: a refund or credit decided, not yet made in Stripe and recorded
            shape = "re_…" if inv.resolution == "refund" else "cn_…"
            yield Item(kind="attention", case_id=cid, since=inv.resolution_pending_since or inv.issued_at,
                       what=f"invoice {ref}: {inv.resolution} to be made in the Stripe Dashboard and recorded",
                       detail=ref, amount=inv.billed.format(),
                       command=f"casefac resolve-invoice {cid} {inv.report_number} --decision {inv.resolution} "
                               f"--reference {shape}")
        if inv.status == "payment_failed":
            failed_at = next((c.at for c in reversed(inv.history) if c.status == "payment_failed"), inv.issued_at)
            yield Item(kind="payment_failed", case_id=cid, since=failed_at,
                       what=f"invoice {ref}: the Advocate's payment failed", detail=ref,
                       amount=inv.amount_due.format(), days=_days(failed_at, now), command=f"casefac status {cid}")
        elif inv.status in ("open", "draft", "uncollectible"):
            due = due_at(inv, s.invoice_days_until_due)
            if now > due:
                late = _days(due, now)
                yield Item(kind="invoice_overdue", case_id=cid, since=due, what=f"invoice {ref} unpaid",
                           detail=ref, amount=inv.amount_due.format(), days=late, bucket=bucket(max(late, 1)),
                           command=f"casefac status {cid}")
            else:
                yield Item(kind="invoice_open", case_id=cid, since=inv.issued_at, what=f"invoice {ref} open",
                           detail=ref, amount=inv.amount_due.format(), days=(due - now).days,
                           command=f"casefac status {cid}")
    for pay in s.payouts:
        if pay.method == "manual" and pay.status == "pending":
            figure = pay.amount.format().split(" ", 1)[1].replace(",", "")
            yield Item(kind="payout_to_record", case_id=cid, since=pay.requested_at,
                       what=f"wire the Defender's payout for report {pay.report_number}",
                       party=f"defender {s.defender_id}" if s.defender_id else "", amount=pay.amount.format(),
                       days=_days(pay.requested_at, now),
                       command=f"casefac record-payout {cid} --amount {figure} --reference BANK-REF "
                               f"--report {pay.report_number}")


def _for(audience: Audience, item: Item) -> bool:
    if item.kind == "attention":
        money_step = item.what.startswith(_MONEY_STEPS)
        return audience == "staff" or money_step
    return any(item.kind in kinds for kinds in SECTIONS[audience])


def build(audience: Audience, statuses: Sequence[CaseStatus], now: datetime, *,
          unanswered: Sequence[str] = ()) -> Worklist:
    """The audience's items from every running case's status, oldest first within each kind."""
    items = [i for s in statuses if not s.stage.terminal for i in _case_items(s, now) if _for(audience, i)]
    items.sort(key=lambda i: (i.since, i.case_id))
    return Worklist(audience=audience, at=now, items=items, cases=len(statuses), unanswered=list(unanswered))
