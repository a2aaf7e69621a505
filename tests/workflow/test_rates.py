"""Review C2 / security M8: exchange-rate sanity bands, cross-rate consistency, rate provenance, four eyes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import ApprovePayout, ReviewReport, Update
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor, Role
from casefac.policy import CasePolicy
from casefac.rates import RateBand, rate_problems
from tests.workflow.harness import STAFF, Harness, mails_eventually

OTHER_STAFF = Actor(role=Role.STAFF, id="coord.beto")


def gtq(rate: str) -> ExchangeRate:
    return ExchangeRate(source="GTQ", target="USD", rate=Decimal(rate))


async def test_a_rate_typed_the_wrong_way_round_is_refused_naming_the_band(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    with pytest.raises(WorkflowUpdateFailedError) as err:  # 7.7 is USD->GTQ: a payout 60 times too large
        await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                             exchange_rates=[gtq("7.7")]))
    assert "GTQ->USD=7.7 is outside the sanity band GTQ:USD 0.085–0.175" in str(err.value.cause)
    assert not harness.fakes.calls[ActivityName.PAY_DEFENDER] and not harness.fakes.calls[ActivityName.ISSUE_INVOICE]
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                         exchange_rates=[gtq("0.13")], rate_source="Banguat",
                                                         rate_as_of=date(2026, 11, 30)))
    s = await case.stage(CaseStage.EVALUATION)
    assert s.payouts[0].amount == Money(amount=15500, currency="USD")


async def test_a_cad_invoice_needs_consistent_cross_rates(harness: Harness) -> None:
    case = await harness.open(currency="CAD")
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    bad = [gtq("0.13"), ExchangeRate(source="GTQ", target="CAD", rate=Decimal("0.23")),
           ExchangeRate(source="USD", target="CAD", rate=Decimal("1.38"))]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                             exchange_rates=bad))
    assert "GTQ->CAD=0.23 disagrees with GTQ->USD x USD->CAD = 0.1794" in str(err.value.cause)


def test_policy_bands_override_the_shipped_ones() -> None:
    tight = {"GTQ:USD": RateBand(min=Decimal("0.125"), max=Decimal("0.135"))}
    assert rate_problems([gtq("0.14")]) == []
    [problem] = rate_problems([gtq("0.14")], overrides=tight)
    assert "band GTQ:USD 0.125–0.135" in problem
    [unknown] = rate_problems([ExchangeRate(source="MXN", target="GTQ", rate=Decimal("0.4"))])
    assert "no sanity band" in unknown
    # USD->CAD has no band of its own: the inverse of CAD:USD (0.50–0.95) holds
    assert rate_problems([ExchangeRate(source="USD", target="CAD", rate=Decimal("1.38"))]) == []
    assert rate_problems([ExchangeRate(source="USD", target="CAD", rate=Decimal("0.72"))])


async def test_a_payout_over_the_threshold_waits_for_a_second_different_staff_member(harness: Harness) -> None:
    policy = CasePolicy(payout_second_approval_over=10_000)  # USD 100.00
    case = await harness.open(policy=policy)
    await case.to_assignment()
    number = await case.submit(case.report())  # payout USD 155.00
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    receipt = await case.update(Update.REVIEW_REPORT, ReviewReport(
        actor=STAFF, report_number=number, decision="approve", exchange_rates=[gtq("0.13")],
        rate_source="Banguat reference rate", rate_as_of=date(2026, 11, 30)))
    assert "second staff approval" in receipt.message
    s = await case.until(lambda s: bool(s.payouts) and s.payouts[0].status == "to_approve", "payout held")
    assert not harness.fakes.calls[ActivityName.PAY_DEFENDER]
    asked = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert any("approve-payout" in str(m.context.get("reason")) for m in asked)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.APPROVE_PAYOUT, ApprovePayout(actor=STAFF, report_number=number))
    assert "a different staff member" in str(err.value.cause)
    await harness.env.sleep(policy.payout_approval_reminder_every + timedelta(minutes=1))
    assert not harness.fakes.calls[ActivityName.PAY_DEFENDER]  # still waiting, with a reminder
    await mails_eventually(harness, "staff_escalation", len(asked) + 1, case_id=case.case_id)
    await case.update(Update.APPROVE_PAYOUT, ApprovePayout(actor=OTHER_STAFF, report_number=number))
    s = await case.until(lambda s: bool(s.payouts) and s.payouts[-1].status == "paid", "paid out")
    assert [p.status for p in s.payouts] == ["paid"] and s.payouts[0].approved_by == "staff:coord.beto"
    assert len(harness.fakes.calls[ActivityName.PAY_DEFENDER]) == 1
    assert s.approvals[0].payout_approved_by == "staff:coord.beto"
    with pytest.raises(WorkflowUpdateFailedError):  # once is enough
        await case.update(Update.APPROVE_PAYOUT, ApprovePayout(actor=OTHER_STAFF, report_number=number))


async def test_rate_provenance_is_kept_with_the_approval(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                         exchange_rates=[gtq("0.13")], rate_source="Banguat",
                                                         rate_as_of=date(2026, 11, 30)))
    s = await case.stage(CaseStage.EVALUATION)
    [approval] = s.approvals
    assert (approval.rate_source, approval.rate_as_of) == ("Banguat", date(2026, 11, 30))
    assert approval.exchange_rates == [gtq("0.13")] and approval.approved_by == "staff:coord.ana"


async def test_adjustments_cannot_take_an_invoice_below_zero(harness: Harness) -> None:
    """Review m5: a net-negative report is refused with what to do instead (a credit note), never silently zeroed."""
    from casefac.report import Adjustment

    case = await harness.open()
    await case.to_assignment()
    number = await case.submit(case.report())  # USD 155.00
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    for cents, words in ((-20000, "below zero"), (20000, "at most double")):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await case.update(Update.REVIEW_REPORT, ReviewReport(
                actor=STAFF, report_number=number, decision="approve", exchange_rates=[gtq("0.13")],
                adjustments=[Adjustment(description="Correction", amount=Money(amount=cents, currency="USD"))]))
        assert words in str(err.value.cause)


def test_pricing_does_not_depend_on_the_threads_decimal_context() -> None:
    """Review m6: an explicit context; a worker thread with another precision or rounding prices the same."""
    import decimal

    from casefac.pricing import price_report
    from casefac.report import ExpenseLine, HourExpenseReport, HourLine, ReportKind

    report = HourExpenseReport(kind=ReportKind.FINAL, hours=[HourLine(
        date=date(2026, 5, 4), hours=Decimal("0.3"), task_code="L110", activity_code="A106", description="x")],
        expenses=[ExpenseLine(date=date(2026, 5, 4), amount=Money(amount=25050, currency="GTQ"),
                              expense_code="E109", description="y")])
    rates = [gtq("0.13")]

    def price() -> object:
        return price_report(report, rates, [], Money(amount=3333, currency="USD"), "USD", "USD", with_text=())

    expected = price()
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.rounding = 3, decimal.ROUND_DOWN
        assert price() == expected
    # 0.3 h x 33.33 = 9.999 -> 10.00 (half-even at the cent); GTQ 250.50 x 0.13 = 32.565 -> 32.56 (half-even)
    assert [ln.amount.amount for ln in expected.invoice_lines] == [1000, 3256]  # type: ignore[attr-defined]


async def test_four_eyes_counts_what_one_approver_released_across_interim_reports(harness: Harness) -> None:
    """Review P4: two interim reports each under the threshold, approved by the same person, are over it together."""
    from casefac.report import ReportKind

    policy = CasePolicy(payout_second_approval_over=20_000)  # USD 200.00; each report pays USD 155.00
    case = await harness.open(policy=policy)
    await case.to_assignment()
    first = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(first)
    await case.until(lambda s: bool(s.payouts) and s.payouts[0].status == "paid", "first paid at once")
    second = await case.submit(case.report(ReportKind.INTERIM))
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "review")
    receipt = await case.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=second,
                                                                   decision="approve", exchange_rates=[gtq("0.13")]))
    assert "second staff approval" in receipt.message
    await case.until(lambda s: any(p.status == "to_approve" for p in s.payouts), "second payout held")
    assert len(harness.fakes.calls[ActivityName.PAY_DEFENDER]) == 1


def test_the_four_eyes_threshold_is_money_in_its_own_currency() -> None:
    """Review P4: USD 1,000.00, not 100,000 minor units of whatever the payout is in; no rate: two approvers."""
    from workflows.rules import payout_needs_second

    policy = CasePolicy()
    nio = Money(amount=110_000, currency="NIO")  # NIO 1,100.00, about USD 30
    to_usd = [ExchangeRate(source="NIO", target="USD", rate=Decimal("0.027"))]
    assert not payout_needs_second(nio, policy, [], "staff:coord.ana", to_usd)
    assert payout_needs_second(nio, policy, [], "staff:coord.ana", [])  # unconvertible: fail closed
    assert payout_needs_second(Money(amount=100_001, currency="USD"), policy, [], "staff:coord.ana", [])
    assert not payout_needs_second(Money(amount=100_000, currency="USD"), policy, [], "staff:coord.ana", [])
