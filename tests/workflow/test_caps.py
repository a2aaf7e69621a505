"""Issue 12.3 / review C2: the signed contract's hours and expense caps and the case's budget cap, enforced.

A report over a cap is accepted and flagged (timeline, status, staff's email); approving it needs staff's
reason (``ReviewReport.over_cap``), which is recorded and shown to finance (status, finance's email).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import ActivityName
from casefac.caps import caps_view
from casefac.case import CaseStage
from casefac.messages import ApproveContract, EditContract, ReviewReport, Update
from casefac.money import ExchangeRate, Money
from casefac.pricing import price_report
from casefac.report import ExpenseLine, HourExpenseReport, ReportKind
from casefac.state import ApprovedReport
from starters.cases import open_case
from tests.workflow.harness import STAFF, Case, Harness, mails_eventually


async def open_with(h: Harness, *, budget_cap: Money | None = None) -> Case:
    req = h.request()
    if budget_cap is not None:
        req = req.model_copy(update={"budget_cap": budget_cap})
    handle = await open_case(h.client, req, h.policy)
    case = Case(h=h, handle=handle, req=req)
    h.cases.append(case)
    return case


async def to_assignment_with(case: Case, **caps: Any) -> None:
    """The usual way to ASSIGNMENT, with the Advocate's completed contract carrying ``caps``."""
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()
    s = await case.until(lambda s: s.contract is not None, "contract drafted")
    assert s.contract is not None
    terms = s.contract.terms.model_copy(update=caps)
    r = await case.update(Update.EDIT_CONTRACT, EditContract(actor=case.advocate, base_revision=s.contract.number,
                                                             terms=terms, note="with caps"))
    assert r.number is not None
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=case.defender, revision=r.number))
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=r.number))
    await case.sign_all()


def approve(number: int, case: Case, **extra: Any) -> ReviewReport:
    return ReviewReport(actor=STAFF, report_number=number, decision="approve", exchange_rates=case.gtq_rates(),
                        **extra)


async def test_a_report_over_the_expense_cap_is_flagged_and_approved_only_with_a_recorded_reason(
        harness: Harness) -> None:
    case = await harness.open()
    await to_assignment_with(case, expense_cap=Money(amount=2000, currency="USD"))  # USD 20.00
    # USD 30.00 of expenses: over the cap, known at once (same currency)
    number = await case.submit(case.report(expense=Money(amount=3000, currency="USD")))
    s = await case.until(lambda s: bool(s.caps_flagged), "flagged")
    assert s.caps_flagged == ["expense cap: USD 30.00 of USD 20.00"]
    assert any("over the expense cap" in e.event for e in s.timeline)
    flags = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert any("over a cap" in str(m.context.get("step")) and "--over-cap" in str(m.context.get("reason"))
               for m in flags)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.REVIEW_REPORT, approve(number, case))
    assert "over_cap" in str(err.value.cause) and "expense cap: USD 30.00 of USD 20.00" in str(err.value.cause)
    assert not harness.fakes.calls[ActivityName.PAY_DEFENDER]  # nothing moved on the refusal
    await case.update(Update.REVIEW_REPORT, approve(number, case, over_cap="The court required a second trip"))
    s = await case.stage(CaseStage.EVALUATION)
    assert s.caps is not None and s.caps.expense_used == Money(amount=3000, currency="USD")
    assert s.caps.over == ["expense cap: USD 30.00 of USD 20.00"]
    assert s.caps.overrides == ["report 1: The court required a second trip"]
    assert not s.caps_flagged
    told = await mails_eventually(harness, "staff_escalation", role="finance", case_id=case.case_id)
    assert "The court required a second trip" in str(told[0].context["reason"])


async def test_the_hours_cap_counts_every_approved_report(harness: Harness) -> None:
    case = await harness.open()
    await to_assignment_with(case, hours_cap=4)
    first = await case.submit(case.report(ReportKind.INTERIM, hours="3.5"))
    s = await case.status()
    assert not s.caps_flagged  # 3.5 of 4 hours
    await case.update(Update.REVIEW_REPORT, approve(first, case))
    await case.stage(CaseStage.ASSIGNMENT)
    second = await case.submit(case.report(hours="1.0", expense=Money(amount=100, currency="USD")))
    s = await case.until(lambda s: bool(s.caps_flagged), "second report flagged")
    assert s.caps_flagged == ["hours cap: 4.5 h of 4 h"]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=second, decision="approve"))
    assert "hours cap: 4.5 h of 4 h" in str(err.value.cause)


async def test_the_budget_cap_shows_what_remains_and_holds_cumulatively(harness: Harness) -> None:
    case = await open_with(harness, budget_cap=Money(amount=20000, currency="USD"))  # USD 200.00
    await case.to_assignment()
    first = await case.submit(case.report(ReportKind.INTERIM))  # 3.5 h x USD 35 + GTQ 250 x 0.13 = USD 155.00
    await case.update(Update.REVIEW_REPORT, approve(first, case))
    s = await case.stage(CaseStage.ASSIGNMENT)
    assert s.caps is not None
    assert s.caps.budget_used == Money(amount=15500, currency="USD")
    assert s.caps.budget_remaining == Money(amount=4500, currency="USD")  # what the Defender's form shows
    second = await case.submit(case.report())  # another USD 155.00: 310.00 of 200.00
    s = await case.until(lambda s: bool(s.caps_flagged), "flagged")
    assert s.caps_flagged == ["budget cap: USD 277.50 of USD 200.00"]  # before rates: the hours, USD 122.50
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.REVIEW_REPORT, approve(second, case))
    assert "budget cap: USD 310.00 of USD 200.00" in str(err.value.cause)
    await case.update(Update.REVIEW_REPORT, approve(second, case, over_cap="Approved by the director"))
    s = await case.stage(CaseStage.EVALUATION)
    assert s.caps is not None and s.caps.budget_remaining == Money(amount=-11000, currency="USD")
    assert s.caps.hours_cap is None and s.caps.hours_used is None


def test_the_caps_view_counts_expenses_through_each_approvals_own_rates() -> None:
    report = HourExpenseReport(kind=ReportKind.FINAL, expenses=[ExpenseLine(
        date=date(2026, 5, 1), amount=Money(amount=25000, currency="GTQ"), expense_code="E109",
        description="Bus fare")])
    rates = [ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))]
    priced = price_report(report, rates, [], Money(amount=3500, currency="USD"), "USD", "USD", with_text=())
    approved = ApprovedReport(number=1, priced=priced, exchange_rates=rates, approved_by="staff:coord.ana",
                              approved_at=datetime(2026, 5, 1, tzinfo=UTC))
    view = caps_view(hours_cap=None, expense_cap=Money(amount=3000, currency="USD"), budget_cap=None,
                     approved=[(report, approved)])
    assert view.expense_used == Money(amount=3250, currency="USD")
    assert view.over == ["expense cap: USD 32.50 of USD 30.00"]
    unknown = caps_view(hours_cap=None, expense_cap=Money(amount=3000, currency="CAD"), budget_cap=None,
                        approved=[(report, approved)])
    assert unknown.expense_used is None and unknown.over == []  # no GTQ->CAD rate: unknown, never guessed


def test_money_reads_the_signed_revision_not_the_latest_edit() -> None:
    """Review C1 (money side): pricing and caps follow the envelope's revision, whatever was edited after it."""
    from casefac.case import CaseRequest, MatterType
    from casefac.case import Client as CaseClient
    from casefac.parties import Actor, Role, Service
    from casefac.report import HourLine, SubmittedReport
    from casefac.state import CaseState, EnvelopeState
    from tests.activities.act_factories import defender, revision
    from tests.workflow.harness import advocate
    from workflows import rules

    signed = revision(1)  # USD 45.00 an hour, 20 hours cap
    later = revision(2).model_copy(update={"terms": signed.terms.model_copy(update={
        "hourly_rate": Money(amount=9000, currency="USD"), "hours_cap": 200})})
    report = HourExpenseReport(kind=ReportKind.FINAL, hours=[HourLine(
        date=date(2026, 5, 4), hours=Decimal("2"), task_code="L110", activity_code="A106", description="x")])
    state = CaseState(opened_at=datetime(2026, 5, 1, tzinfo=UTC), revisions=[signed, later], defender=defender(),
                      envelope=EnvelopeState(envelope_id="env-1", revision=1, status="completed"),
                      reports=[SubmittedReport(number=1, report=report,
                                               submitted_by=Actor(role=Role.DEFENDER, id="DEF-MX-001"))])
    msg = ReviewReport(actor=STAFF, report_number=1, decision="approve")
    request = CaseRequest(case_id="JIM-2026-0042", advocate=advocate("ADV-1"),
                          client=CaseClient(full_name="R", last_known_location="C"), country="MX",
                          matter_type=MatterType.PROTECTION, services=[Service.LOCATE_CLIENT],
                          description="d", opened_by=STAFF)
    priced = rules.price(request, state, msg)
    assert priced.invoice_total == Money(amount=9000, currency="USD")  # 2 h x USD 45.00, not x USD 90.00
    view = rules.caps_of(request, state)
    assert view is not None and view.hours_cap == 20
