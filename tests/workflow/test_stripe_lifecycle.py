"""Review M6/M7 and security C2 §4: the invoice's truth comes from Stripe, and dunning ends with a decision."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.events import InvoiceEvent, Signal
from casefac.messages import RecordPayout, ResolveInvoice, Update
from casefac.money import ExchangeRate, Money
from tests.workflow.harness import FINANCE, STAFF, Case, Harness, mails_eventually


async def _invoiced(case: Case) -> str:
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.evaluate_and_report()
    s = await case.until(lambda s: bool(s.invoices), "invoiced")
    return s.invoices[0].invoice_id


async def test_a_forged_paid_signal_does_not_close_the_invoice(harness: Harness) -> None:
    """Attack: anyone with namespace access signals ``invoice_event paid``; Stripe says the invoice is open."""
    case = await harness.open()
    invoice_id = await _invoiced(case)
    harness.fakes.invoice_status[invoice_id] = "open"
    await case.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(event_id="evt_forged", invoice_id=invoice_id,
                                                                kind="paid"))
    s = await case.until(lambda s: any("does not confirm" in e.event for e in s.timeline), "checked at Stripe")
    assert s.invoices[0].status == "open" and s.stage == CaseStage.EVALUATION
    assert [c.invoice_id for c in harness.fakes.calls[ActivityName.GET_INVOICE]] == [invoice_id]
    # the genuine payment later: confirmed, and the case closes
    harness.fakes.invoice_status[invoice_id] = "paid"
    await case.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(event_id="evt_real", invoice_id=invoice_id,
                                                                kind="paid"))
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED and result.invoices[0].status == "paid"
    assert result.invoices[0].amount_paid == Money(amount=15500, currency="USD")


async def test_a_lost_paid_webhook_is_found_at_stripe_before_the_advocate_is_nagged(harness: Harness) -> None:
    case = await harness.open()
    invoice_id = await _invoiced(case)
    harness.fakes.invoice_status[invoice_id] = "paid"  # paid at Stripe; the webhook never arrived
    await harness.env.sleep(timedelta(days=harness.policy.invoice_days_until_due, hours=1))
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED and result.invoices[0].status == "paid"
    assert not harness.fakes.mails("invoice_reminder")


async def test_dunning_ends_with_a_staff_decision_and_a_write_off_marks_it_uncollectible(harness: Harness) -> None:
    case = await harness.open()
    invoice_id = await _invoiced(case)
    p = harness.policy
    await harness.env.sleep(timedelta(days=p.invoice_days_until_due)
                            + p.dunning_reminder_every * (p.dunning_reminders_max + 1) + timedelta(hours=1))
    s = await case.until(lambda s: bool(s.invoices[0].needs_decision), "dunning ended")
    reminders = [m for m in harness.fakes.mails("invoice_reminder") if m.case_id == case.case_id]
    assert len(reminders) == p.dunning_reminders_max
    assert reminders[0].context["due_date"] == s.invoices[0].due_date.isoformat()  # type: ignore[union-attr]
    escalations = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert any("write off or re-issue" in str(m.context.get("reason")) for m in escalations)
    await harness.env.sleep(p.dunning_reminder_every * 2)
    assert len([m for m in harness.fakes.mails("invoice_reminder") if m.case_id == case.case_id]) == len(reminders)
    with pytest.raises(WorkflowUpdateFailedError):  # an unpaid invoice is not refunded
        await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=1, decision="refund"))
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=1, decision="write_off",
                                                             note="The firm closed"))
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED and result.invoices[0].status == "uncollectible"
    [marked] = [v for v in harness.fakes.calls[ActivityName.VOID_INVOICE] if v.invoice_id == invoice_id]
    assert marked.mark == "uncollectible"


async def test_a_reissue_voids_the_invoice_and_issues_a_new_one_under_new_keys(harness: Harness) -> None:
    case = await harness.open()
    await _invoiced(case)
    p = harness.policy
    await harness.env.sleep(timedelta(days=p.invoice_days_until_due)
                            + p.dunning_reminder_every * (p.dunning_reminders_max + 1) + timedelta(hours=1))
    await case.until(lambda s: bool(s.invoices[0].needs_decision), "dunning ended")
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=1, decision="reissue"))
    s = await case.until(lambda s: len(s.invoices) == 2, "re-issued")
    assert [i.status for i in s.invoices] == ["void", "open"]
    first, second = harness.fakes.calls[ActivityName.ISSUE_INVOICE]
    assert (first.reissue, second.reissue) == (0, 1) and second.total == first.total


async def test_uncollectible_after_the_payout_is_not_settled_until_finance_decides(harness: Harness) -> None:
    case = await harness.open()
    invoice_id = await _invoiced(case)
    await case.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(event_id="evt_unc", invoice_id=invoice_id,
                                                                kind="marked_uncollectible"))
    s = await case.until(lambda s: s.invoices[0].status == "uncollectible", "uncollectible")
    assert "payout for report 1 went out" in s.invoices[0].needs_decision
    from casefac.worklist import build
    [item] = [i for i in build("finance", [s], s.timeline[-1].at).items if "resolve-invoice" in i.command]
    assert item.case_id == case.case_id and "went out" in item.what  # finance's `casefac money` lists it
    await harness.env.sleep(timedelta(days=3))
    assert (await case.status()).stage == CaseStage.EVALUATION  # not settled: a loss nobody decided on
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=1, decision="keep",
                                                             note="Written off by the board"))
    assert (await case.handle.result()).stage == CaseStage.CLOSED


async def test_refunds_credit_notes_and_disputes_are_recorded(harness: Harness) -> None:
    case = await harness.open()
    invoice_id = await _invoiced(case)
    for n, (kind, amount) in enumerate([("credit_note", 500), ("partially_paid", None), ("dispute_opened", 15000)]):
        await case.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(
            event_id=f"evt_{n}", invoice_id=invoice_id, kind=kind, amount=amount,  # type: ignore[arg-type]
            amount_paid=5000 if kind == "partially_paid" else None,
            amount_remaining=10000 if kind == "partially_paid" else None))
    s = await case.until(lambda s: s.invoices[0].disputed, "disputed")
    inv = s.invoices[0]
    assert inv.credited == 500 and inv.amount_paid == Money(amount=5000, currency="USD")
    assert inv.amount_remaining == Money(amount=10000, currency="USD") and "disputed" in inv.needs_decision
    assert any("credit note USD 5.00" in e.event for e in s.timeline)
    # what finance reads: billed, paid so far and what remains, as Stripe says (not amount_due three times)
    assert (s.money.invoiced, s.money.paid, s.money.outstanding) == (
        Money(amount=15500, currency="USD"), Money(amount=5000, currency="USD"), Money(amount=10000, currency="USD"))


async def _manual_payout_pending(case: Case) -> tuple[str, int]:
    """An HN case (manual payout): the final report approved and invoiced, the payout waiting on finance."""
    await case.to_assignment("DEF-HN-001")
    number = await case.submit(case.report(expense=Money(amount=50000, currency="HNL")))
    await case.approve(number, [ExchangeRate(source="HNL", target="USD", rate=Decimal("0.0405"))])
    await case.evaluate_and_report()
    s = await case.until(lambda s: bool(s.invoices) and bool(s.payouts) and s.payouts[0].status == "pending",
                         "payout pending")
    return s.invoices[0].invoice_id, number


async def _record(case: Case, number: int) -> None:
    s = await case.status()
    await case.update(Update.RECORD_PAYOUT, RecordPayout(actor=FINANCE, report_number=number,
                                                         amount=s.payouts[0].amount, reference="WIRE-91",
                                                         paid_on=date(2026, 11, 30)))


async def test_a_void_before_the_manual_payout_is_a_loss_once_finance_records_it(harness: Harness) -> None:
    """Review P2: voided while the payout was pending; recording the payout must not close the case "settled"."""
    case = await harness.open(country="HN")
    invoice_id, number = await _manual_payout_pending(case)
    await case.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(event_id="evt_void", invoice_id=invoice_id,
                                                                kind="voided"))
    await case.until(lambda s: s.invoices[0].status == "void", "voided")
    await _record(case, number)
    s = await case.until(lambda s: s.payouts[0].status == "paid", "payout recorded")
    await harness.env.sleep(timedelta(days=3))
    s = await case.status()
    assert s.stage == CaseStage.EVALUATION and "went out" in s.invoices[0].needs_decision
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=FINANCE, report_number=number, decision="keep",
                                                             note="Loss accepted"))
    assert (await case.handle.result()).stage == CaseStage.CLOSED


async def test_a_void_before_a_four_eyes_transfer_is_a_loss_once_the_transfer_goes_out(harness: Harness) -> None:
    """Review P2: voided while the payout waited for its second approval; the transfer after it is flagged."""
    from casefac.messages import ApprovePayout
    from casefac.parties import Actor, Role
    from casefac.policy import CasePolicy

    case = await harness.open(policy=CasePolicy(payout_second_approval_over=10_000))
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    s = await case.until(lambda s: bool(s.invoices) and bool(s.payouts) and s.payouts[0].status == "to_approve",
                         "payout held")
    voided = InvoiceEvent(event_id="evt_void", invoice_id=s.invoices[0].invoice_id, kind="voided")
    await case.handle.signal(Signal.INVOICE_EVENT, voided)
    await case.until(lambda s: s.invoices[0].status == "void", "voided")
    await case.update(Update.APPROVE_PAYOUT, ApprovePayout(actor=Actor(role=Role.STAFF, id="coord.beto"),
                                                           report_number=number))
    await case.until(lambda s: s.payouts[-1].status == "paid", "transferred")
    await case.evaluate_and_report()
    await harness.env.sleep(timedelta(days=3))
    s = await case.status()
    assert s.stage == CaseStage.EVALUATION and "went out" in s.invoices[0].needs_decision


async def test_uncollectible_before_any_payout_asks_for_a_decision(harness: Harness) -> None:
    """Review P3: marked uncollectible with nothing paid out yet: a decision is asked for, the case is not stuck."""
    case = await harness.open(country="HN")
    invoice_id, number = await _manual_payout_pending(case)
    await case.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(event_id="evt_unc", invoice_id=invoice_id,
                                                                kind="marked_uncollectible"))
    s = await case.until(lambda s: s.invoices[0].status == "uncollectible", "uncollectible")
    assert "uncollectible" in s.invoices[0].needs_decision
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=FINANCE, report_number=number,
                                                             decision="write_off", note="The firm closed"))
    await _record(case, number)
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED and result.invoices[0].resolution == "write_off"
