"""W2: the billing activities' money guardrails against the sandbox's Stripe emulator (security C2 §4-5, M4, M6)."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from activities.billing import BillingActivities
from casefac.activity_io import GetInvoice, VoidInvoice
from casefac.settings import StripeSettings
from sandbox.testing import RunningSandbox
from tests.activities.act_factories import defender
from tests.activities.test_act_billing import issue_request, listing, payout, run, usd

WF = "case-JIM-2026-0042"


async def test_get_invoice_reports_stripes_figures_and_only_for_its_case(billing: BillingActivities,
                                                                         sandbox: RunningSandbox) -> None:
    ref = await run(billing.issue_invoice, issue_request())
    assert (ref.total, ref.amount_paid, ref.amount_remaining) == (usd(14550), usd(0), usd(14550))
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{ref.invoice_id}/partial_payment", {"amount": 4550})
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{ref.invoice_id}/credit_note", {"amount": 1000})
    seen = await run(billing.get_invoice, GetInvoice(workflow_id=WF, invoice_id=ref.invoice_id))
    assert (seen.status, seen.total, seen.amount_due, seen.amount_paid, seen.amount_remaining, seen.credited) == (
        "open", usd(14550), usd(13550), usd(4550), usd(9000), 1000)
    with pytest.raises(ApplicationError) as caught:  # another case's workflow id: never its invoice
        await run(billing.get_invoice, GetInvoice(workflow_id="case-JIM-2026-0099", invoice_id=ref.invoice_id))
    assert caught.value.non_retryable


async def test_a_cancel_void_of_a_paid_invoice_reports_the_payment(billing: BillingActivities,
                                                                   sandbox: RunningSandbox) -> None:
    ref = await run(billing.issue_invoice, issue_request())
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{ref.invoice_id}/paid")
    seen = await run(billing.void_invoice, VoidInvoice(workflow_id=WF, invoice_id=ref.invoice_id, paid_ok=True))
    assert seen.status == "paid" and seen.amount_paid == usd(14550)
    [invoice] = listing(sandbox, "invoices")
    assert invoice["status"] == "paid"


async def test_a_write_off_marks_the_invoice_uncollectible_once(billing: BillingActivities,
                                                                sandbox: RunningSandbox) -> None:
    ref = await run(billing.issue_invoice, issue_request())
    request = VoidInvoice(workflow_id=WF, invoice_id=ref.invoice_id, mark="uncollectible")
    assert (await run(billing.void_invoice, request)).status == "uncollectible"
    assert (await run(billing.void_invoice, request)).status == "uncollectible"
    assert [e["type"] for e in listing(sandbox, "events")].count("invoice.marked_uncollectible") == 1


async def test_pay_defender_checks_the_account_against_the_roster_it_loads(stripe_settings: StripeSettings,
                                                                          sandbox: RunningSandbox) -> None:
    """Attack (security C2 §5): a forged ``pay_defender`` naming another connected account moves nothing."""
    roster = [defender("DEF-MX-001")]
    billing = BillingActivities(stripe_settings, lambda country: roster)
    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout(account="acct_defgt001"))  # a real account, not this Defender's
    assert caught.value.type == "InvalidPayout" and caught.value.non_retryable
    assert listing(sandbox, "transfers") == []
    ref = await run(billing.pay_defender, payout())
    assert ref.amount == usd(12000)


async def test_pay_defender_refuses_more_than_the_ceiling(stripe_settings: StripeSettings,
                                                          sandbox: RunningSandbox) -> None:
    billing = BillingActivities(stripe_settings.model_copy(update={"max_transfer": 10_000}))
    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout())  # USD 120.00 > USD 100.00
    assert caught.value.type == "InvalidPayout" and "ceiling" in caught.value.message
    assert listing(sandbox, "transfers") == []


async def test_a_reissue_makes_a_new_invoice_not_the_voided_one(billing: BillingActivities,
                                                                sandbox: RunningSandbox) -> None:
    first = await run(billing.issue_invoice, issue_request())
    await run(billing.void_invoice, VoidInvoice(workflow_id=WF, invoice_id=first.invoice_id))
    again = await run(billing.issue_invoice, issue_request().model_copy(update={"reissue": 1}))
    assert again.invoice_id != first.invoice_id and again.status == "open"
    assert await run(billing.issue_invoice, issue_request().model_copy(update={"reissue": 1})) == again
    statuses = sorted(i["status"] for i in listing(sandbox, "invoices"))
    assert statuses == ["open", "void"]


@pytest.fixture
def billing(stripe_settings: StripeSettings) -> BillingActivities:
    return BillingActivities(stripe_settings)


async def test_the_defenders_typed_text_does_not_reach_stripe(billing: BillingActivities,
                                                              sandbox: RunningSandbox) -> None:
    """Security M4: invoice lines priced by default carry codes, dates and hours; Stripe's state has no typed word."""
    import json
    from datetime import date
    from decimal import Decimal

    from casefac.money import ExchangeRate, Money
    from casefac.pricing import price_report
    from casefac.report import Adjustment, ExpenseLine, HourExpenseReport, HourLine, ReportKind

    words = ["Xochitl", "Ajú", "Cobán", "testigo", "cortesía"]
    report = HourExpenseReport(kind=ReportKind.FINAL, hours=[HourLine(
        date=date(2026, 5, 4), hours=Decimal("1.5"), task_code="L110", activity_code="A106",
        description="Entrevista con testigo Xochitl Ajú")], expenses=[ExpenseLine(
            date=date(2026, 5, 5), amount=Money(amount=25000, currency="GTQ"), expense_code="E109",
            description="Bus a Cobán con la testigo")])
    priced = price_report(report, [ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))],
                          [Adjustment(description="Descuento de cortesía", amount=usd(-500))], usd(3500), "USD",
                          "USD", with_text=())
    request = issue_request().model_copy(update={"lines": priced.invoice_lines, "total": priced.invoice_total})
    await run(billing.issue_invoice, request)
    stripe_state = json.dumps([listing(sandbox, t) for t in ("invoices", "invoiceitems", "events")],
                              ensure_ascii=False) + json.dumps(sandbox.admin("GET", "/_sandbox/mail"),
                                                               ensure_ascii=False)
    assert not [w for w in words if w in stripe_state]
    assert "2026-05-04 1.5h L110" in stripe_state and "E109" in stripe_state
