"""Review M5: a cancel settles the money before the case closes; nothing is abandoned or silently payable."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.events import InvoiceEvent, Signal
from casefac.messages import RecordPayout, ResolveInvoice, RetryStep, Update
from casefac.money import ExchangeRate, Money
from casefac.report import ReportKind
from tests.workflow.harness import FINANCE, STAFF, Harness, mails_eventually


async def test_a_payment_racing_the_cancel_is_kept_and_staff_decide_refund_or_credit(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(number)
    s = await case.until(lambda s: bool(s.invoices) and s.stage == CaseStage.ASSIGNMENT, "invoiced")
    invoice_id = s.invoices[0].invoice_id
    harness.fakes.invoice_status[invoice_id] = "paid"  # paid at Stripe minutes ago; invoice.paid not here yet
    await case.cancel("The client withdrew")
    s = await case.until(lambda s: s.invoices[0].status == "paid", "payment recorded")
    assert "refund, credit or keep" in s.invoices[0].needs_decision
    assert s.stage == CaseStage.ASSIGNMENT and s.waiting is not None and s.waiting.role == "staff"
    asked = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert any("resolve-invoice" in str(m.context.get("reason")) for m in asked)
    with pytest.raises(WorkflowUpdateFailedError):  # a paid invoice is not written off
        await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=number,
                                                                 decision="write_off"))
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=number, decision="credit",
                                                             reference="cn_1QxYzAbCdEfGh", note="Credited"))
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED
    inv = result.invoices[0]
    assert (inv.status, inv.resolution, inv.resolution_reference) == ("paid", "credit", "cn_1QxYzAbCdEfGh")


async def test_a_refund_decision_waits_until_finance_records_the_stripe_refund(harness: Harness) -> None:
    """Review P1: deciding "refund" moves no money; the case stays open until finance records the refund's id."""
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(number)
    s = await case.until(lambda s: bool(s.invoices) and s.stage == CaseStage.ASSIGNMENT, "invoiced")
    harness.fakes.invoice_status[s.invoices[0].invoice_id] = "paid"
    await case.cancel("The client withdrew")
    await case.until(lambda s: s.invoices[0].status == "paid" and bool(s.invoices[0].needs_decision), "to decide")
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=STAFF, report_number=number, decision="refund"))
    s = await case.until(lambda s: s.waiting is not None and s.waiting.role == "finance", "waits on finance")
    assert s.stage == CaseStage.ASSIGNMENT and s.invoices[0].resolution_pending
    assert "--reference re_" in s.waiting.what  # type: ignore[union-attr]
    told = await mails_eventually(harness, "staff_escalation", role="finance")
    assert any("Stripe Dashboard" in str(m.context.get("reason")) for m in told)
    await harness.env.sleep(harness.policy.payout_record_reminder_every + timedelta(minutes=1))
    await mails_eventually(harness, "staff_escalation", len(told) + 1, role="finance")  # reminded
    assert (await case.status()).stage == CaseStage.ASSIGNMENT  # not settled: nobody refunded yet
    for bad in (ResolveInvoice(actor=FINANCE, report_number=number, decision="refund", reference="8841"),
                ResolveInvoice(actor=FINANCE, report_number=number, decision="refund", reference="cn_1QxYzAbCdEfGh"),
                ResolveInvoice(actor=FINANCE, report_number=number, decision="keep", reference="re_3QxYzAbCdEfGh")):
        with pytest.raises(WorkflowUpdateFailedError):
            await case.update(Update.RESOLVE_INVOICE, bad)
    await case.update(Update.RESOLVE_INVOICE, ResolveInvoice(actor=FINANCE, report_number=number, decision="refund",
                                                             reference="re_3QxYzAbCdEfGh"))
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED
    inv = result.invoices[0]
    assert (inv.resolution, inv.resolution_reference, inv.resolution_pending) == ("refund", "re_3QxYzAbCdEfGh", False)
    assert any("re_3QxYzAbCdEfGh" in e.event for e in result.timeline)


async def test_a_pending_manual_payout_is_recorded_before_the_cancelled_case_closes(harness: Harness) -> None:
    case = await harness.open(country="HN")
    await case.to_assignment("DEF-HN-001")
    number = await case.submit(case.report(ReportKind.INTERIM, expense=Money(amount=50000, currency="HNL")))
    await case.approve(number, [ExchangeRate(source="HNL", target="USD", rate=Decimal("0.0405"))])
    s = await case.until(lambda s: bool(s.payouts) and s.stage == CaseStage.ASSIGNMENT, "payout requested")
    await case.cancel("The client withdrew")
    s = await case.until(lambda s: s.waiting is not None and s.waiting.role == "finance", "waits on finance")
    assert s.invoices[0].status == "void" and s.payouts[0].status == "pending"
    before = len(harness.fakes.mails("payout_to_record", role="finance"))
    await harness.env.sleep(harness.policy.payout_record_reminder_every + timedelta(minutes=1))
    await mails_eventually(harness, "payout_to_record", before + 1, role="finance")  # not abandoned
    await case.update(Update.RECORD_PAYOUT, RecordPayout(actor=FINANCE, report_number=number,
                                                         amount=s.payouts[0].amount, reference="WIRE-77",
                                                         paid_on=date(2026, 11, 30),
                                                         received=Money(amount=370000, currency="HNL"),
                                                         fees=Money(amount=800, currency="USD")))
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED
    pay = result.payouts[0]
    assert (pay.status, pay.paid_on, pay.received, pay.fees) == ("paid", date(2026, 11, 30),
                                                                 Money(amount=370000, currency="HNL"),
                                                                 Money(amount=800, currency="USD"))


async def test_a_failed_void_is_needs_attention_not_a_payable_invoice(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(number)
    await case.until(lambda s: bool(s.invoices) and s.stage == CaseStage.ASSIGNMENT, "invoiced")
    harness.fakes.refuse[ActivityName.VOID_INVOICE].append("StripeUnavailable")
    await case.cancel("The client withdrew")
    s = await case.until(lambda s: s.attention is not None, "needs attention")
    assert s.attention is not None and s.attention.blocking and s.attention.step == "void invoice"
    assert s.stage == CaseStage.ASSIGNMENT and s.invoices[0].status == "open"
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="Stripe is back"))
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED and result.invoices[0].status == "void"


async def test_voiding_invoices_for_finished_work_is_an_explicit_choice(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.stage(CaseStage.EVALUATION)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.cancel("The Advocate closed the matter")
    assert "void them or keep them" in str(err.value.cause)
    await case.cancel("The Advocate closed the matter", invoices="keep")
    s = await case.until(lambda s: s.waiting is not None and "pay" in s.waiting.what, "waits for the payment")
    assert s.invoices[0].status == "open" and not harness.fakes.calls[ActivityName.VOID_INVOICE]
    paid = InvoiceEvent(event_id="evt_paid", invoice_id=s.invoices[0].invoice_id, kind="paid")
    await case.handle.signal(Signal.INVOICE_EVENT, paid)
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED and result.invoices[0].status == "paid"
