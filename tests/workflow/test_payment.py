"""Steps 3-4, Assignment and Payment: reports, review, invoice, payout, dunning and duplicate webhooks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.events import InvoiceEvent, Signal
from casefac.messages import RecordPayout, ReviewReport, Update, UpdateTask
from casefac.money import ExchangeRate, Money
from casefac.report import ReportKind
from tests.workflow.harness import FINANCE, STAFF, Harness, mails_eventually


async def test_interim_then_final_report_each_invoiced_and_paid_out(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    await case.update(Update.UPDATE_TASK, UpdateTask(actor=case.defender, task_id="T1", status="done",
                                                     note="Client located in Cobán"))
    interim = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(interim)
    await case.stage(CaseStage.ASSIGNMENT)
    final = await case.submit(case.report(ReportKind.FINAL, hours="1.0", expense=Money(amount=1000, currency="USD")))
    await case.approve(final)
    s = await case.stage(CaseStage.EVALUATION)
    assert [i.report_number for i in s.invoices] == [1, 2]
    assert [p.report_number for p in s.payouts] == [1, 2]
    assert s.tasks[0].status == "done" and s.tasks[0].notes == ["Client located in Cobán"]
    # report 2: 1.0 h x USD 35.00 + USD 10.00 = USD 45.00
    assert s.invoices[1].amount_due == Money(amount=4500, currency="USD")
    assert s.money.invoiced == Money(amount=20000, currency="USD")


async def test_changes_requested_then_resubmitted(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    first = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=first, decision="request_changes",
                                                         reasons=["Attach the bus ticket description"]))
    await case.stage(CaseStage.ASSIGNMENT)
    [mail] = await mails_eventually(harness, "report_changes_requested", case_id=case.case_id)
    assert "bus ticket" in str(mail.context["reasons"]) and mail.actions[0].action == "submit_report"
    second = await case.submit(case.report())
    assert second == 2
    await case.approve(second)
    s = await case.stage(CaseStage.EVALUATION)
    assert [r.status for r in s.reports] == ["changes_requested", "approved"]
    assert len(harness.fakes.calls[ActivityName.ISSUE_INVOICE]) == 1


async def test_manual_payout_waits_for_finance_and_does_not_wait_for_the_advocate(harness: Harness) -> None:
    case = await harness.open(country="HN")
    await case.to_assignment("DEF-HN-001")
    number = await case.submit(case.report(expense=Money(amount=50000, currency="HNL")))
    await case.approve(number, [ExchangeRate(source="HNL", target="USD", rate=Decimal("0.0405"))])
    s = await case.until(lambda s: bool(s.payouts) and bool(s.invoices), "payout requested")
    assert s.payouts[0].method == "manual" and s.payouts[0].status == "pending"
    assert not harness.fakes.calls[ActivityName.PAY_DEFENDER]
    await mails_eventually(harness, "payout_to_record", role="finance")
    # finance's reminder, then the record; the invoice is still unpaid: the payout does not wait for it
    await harness.env.sleep(harness.policy.payout_record_reminder_every + timedelta(minutes=1))
    await mails_eventually(harness, "payout_to_record", 2, role="finance")
    amount = s.payouts[0].amount
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.RECORD_PAYOUT, RecordPayout(actor=FINANCE, report_number=number,
                                                             amount=Money(amount=1, currency="USD"),
                                                             reference="WIRE-1", paid_on=date.today()))
    assert "amount" in str(err.value.cause)
    await case.update(Update.RECORD_PAYOUT, RecordPayout(actor=FINANCE, report_number=number, amount=amount,
                                                         reference="WIRE-2026-113", paid_on=date.today()))
    s = await case.until(lambda s: s.payouts[0].status == "paid", "payout recorded")
    assert s.invoices[0].status == "open" and s.payouts[0].reference == "WIRE-2026-113"
    await mails_eventually(harness, "payout_made", role="defender")


async def test_dunning_reminders_then_escalation_and_duplicate_paid_events(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.evaluate_and_report()
    p = harness.policy
    await harness.env.sleep(timedelta(days=p.invoice_days_until_due) + timedelta(hours=1))
    await mails_eventually(harness, "invoice_reminder", case_id=case.case_id)
    await harness.env.sleep(p.dunning_escalate_after - timedelta(days=p.invoice_days_until_due))
    escalations = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert any(m.context.get("step") == "invoice" for m in escalations)
    assert len(harness.fakes.mails("invoice_reminder")) >= 2
    s = await case.status()
    assert s.stage == CaseStage.EVALUATION and s.waiting is not None and "pay" in s.waiting.what
    inv = s.invoices[0]
    event = InvoiceEvent(event_id="evt_dup", invoice_id=inv.invoice_id, kind="paid")
    await case.handle.signal(Signal.INVOICE_EVENT, event)
    await case.handle.signal(Signal.INVOICE_EVENT, event)
    result = await case.handle.result()
    assert result.stage == CaseStage.CLOSED
    assert sum(e.event.startswith("invoice ") and e.event.endswith(" paid") for e in result.timeline) == 1


async def test_cad_billing_needs_a_usd_to_cad_rate(harness: Harness) -> None:
    case = await harness.open(currency="CAD")
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                             exchange_rates=case.gtq_rates()))
    assert "GTQ->CAD" in str(err.value.cause) and "USD->CAD" in str(err.value.cause)
    rates = [*case.gtq_rates(), ExchangeRate(source="GTQ", target="CAD", rate=Decimal("0.18")),
             ExchangeRate(source="USD", target="CAD", rate=Decimal("1.38"))]
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                         exchange_rates=rates))
    # The payout goes out beside the invoice, so wait for both: either may land first.
    s = await case.until(lambda s: bool(s.invoices) and bool(s.payouts), "invoiced and paid out")
    # 122.50 USD x 1.38 = 169.05 CAD; GTQ 250.00 x 0.18 = 45.00 CAD
    assert s.invoices[0].amount_due == Money(amount=21405, currency="CAD")
    assert s.payouts[0].amount == Money(amount=15500, currency="USD")
