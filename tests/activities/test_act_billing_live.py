"""Stripe as live mode has it: failed results replayed under their key, a balance, capabilities, 10 lines.

Each test is a step staff meet in production: the first attempt fails, the failure is replayed to every
retry with the same idempotency key, and the staff retry (``key_generation`` + 1) goes through without a
second invoice or transfer.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing import BillingActivities
from casefac.activity_io import IssueInvoice, PayDefender
from casefac.money import Money
from casefac.pricing import PricedLine
from casefac.settings import StripeSettings
from sandbox.testing import RunningSandbox
from tests.activities.act_factories import advocate


@pytest.fixture
def billing(stripe_settings: StripeSettings) -> BillingActivities:
    return BillingActivities(stripe_settings)


def usd(cents: int) -> Money:
    return Money(amount=cents, currency="USD")


def payout(amount: int = 15500, generation: int = 0, account: str = "acct_defmx001") -> PayDefender:
    return PayDefender(workflow_id="case-JIM-2026-0042", case_id="JIM-2026-0042", report_number=1,
                       defender_id="DEF-MX-001", account_id=account, amount=usd(amount), key_generation=generation)


def invoice_request(lines: int = 3, generation: int = 0) -> IssueInvoice:
    priced = [PricedLine(description=f"2026-03-{d:02d} 1h Fact investigation", amount=usd(4500), code="L110")
              for d in range(1, lines + 1)]
    return IssueInvoice(workflow_id="case-JIM-2026-0042", case_id="JIM-2026-0042", report_number=1,
                        advocate=advocate(), lines=priced, total=usd(4500 * lines), days_until_due=30,
                        key_generation=generation)


def listing(sandbox: RunningSandbox, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = sandbox.admin("GET", f"/_sandbox/{table}")
    return rows


def fault(sandbox: RunningSandbox, route: str, phase: str, status: int = 500) -> None:
    """``during``: fails as it executes, nothing done; ``after``: done, then fails. Stripe stores both answers."""
    sandbox.admin("POST", "/_sandbox/faults", {"route": route, "status": status, "phase": phase})


async def run(fn: Any, *args: Any) -> Any:
    return await ActivityEnvironment().run(fn, *args)


async def test_transfer_500_during_execution_is_replayed_and_the_staff_retry_pays_once(
        billing: BillingActivities, sandbox: RunningSandbox) -> None:
    fault(sandbox, "POST /v1/transfers$", "during")

    with pytest.raises(ApplicationError) as first:
        await run(billing.pay_defender, payout())
    assert first.value.type == "StripeUnavailable" and not first.value.non_retryable  # Temporal retries it…

    with pytest.raises(ApplicationError) as replayed:  # …and Stripe replays the 500 under the same key
        await run(billing.pay_defender, payout())
    assert replayed.value.non_retryable and "replayed by Stripe" in replayed.value.message
    assert "fix: Stripe replays this failure for 24 h" in replayed.value.message
    assert listing(sandbox, "transfers") == []

    ref = await run(billing.pay_defender, payout(generation=1))  # staff retry: fresh key, look-up first
    [transfer] = listing(sandbox, "transfers")
    assert ref.transfer_id == transfer["id"] and transfer["amount"] == 15500
    again = await run(billing.pay_defender, payout(generation=2))  # a second staff retry pays nothing more
    assert again == ref and len(listing(sandbox, "transfers")) == 1


async def test_transfer_500_after_execution_is_found_not_repeated(billing: BillingActivities,
                                                                  sandbox: RunningSandbox) -> None:
    """The transfer went through but the answer was a 500: the retry finds it by transfer group."""
    fault(sandbox, "POST /v1/transfers$", "after")
    with pytest.raises(ApplicationError):
        await run(billing.pay_defender, payout())
    ref = await run(billing.pay_defender, payout())
    [transfer] = listing(sandbox, "transfers")
    assert ref.transfer_id == transfer["id"]


async def test_finalize_500_during_execution_resumes_under_fresh_keys(billing: BillingActivities,
                                                                      sandbox: RunningSandbox) -> None:
    fault(sandbox, "POST /v1/invoices/[^/]+/finalize$", "during")
    with pytest.raises(ApplicationError):
        await run(billing.issue_invoice, invoice_request())
    with pytest.raises(ApplicationError) as replayed:
        await run(billing.issue_invoice, invoice_request())
    assert replayed.value.non_retryable and "replayed by Stripe" in replayed.value.message

    ref = await run(billing.issue_invoice, invoice_request(generation=1))
    assert ref.status == "open" and ref.amount_due == usd(13500)
    assert (len(listing(sandbox, "invoices")), len(listing(sandbox, "invoiceitems"))) == (1, 3)


async def test_customer_create_500_during_execution_resumes_under_a_fresh_key(billing: BillingActivities,
                                                                              sandbox: RunningSandbox) -> None:
    fault(sandbox, "POST /v1/customers$", "during")
    with pytest.raises(ApplicationError):
        await run(billing.issue_invoice, invoice_request())
    with pytest.raises(ApplicationError) as replayed:
        await run(billing.issue_invoice, invoice_request())
    assert replayed.value.non_retryable and "Stripe create customer" in replayed.value.message

    ref = await run(billing.issue_invoice, invoice_request(generation=1))
    assert ref.status == "open" and len(listing(sandbox, "customers")) == 1


async def test_balance_insufficient_names_the_top_up_then_the_staff_retry_pays(
        billing: BillingActivities, sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": 5000})

    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout(15500))
    err = caught.value
    assert err.type == "StripeRejected" and err.non_retryable and "code balance_insufficient" in err.message
    assert ("fix: top up the Stripe balance in USD by USD 105.00 (available USD 50.00, this payout USD 155.00"
            in err.message)
    assert err.details[0]["fix"].endswith("then `casefac retry JIM-2026-0042`")

    sandbox.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": 5000 + 10500})  # finance
    with pytest.raises(ApplicationError) as same_key:  # the old key still answers the stored refusal
        await run(billing.pay_defender, payout(15500))
    assert "code balance_insufficient" in same_key.value.message

    ref = await run(billing.pay_defender, payout(15500, generation=1))
    [transfer] = listing(sandbox, "transfers")
    assert ref.transfer_id == transfer["id"]
    balance = stripe.StripeClient(sandbox.config.stripe_api_key,
                                  base_addresses={"api": sandbox.base_url}).v1.balance.retrieve()
    assert [(b.currency, b.amount) for b in balance.available if b.currency == "usd"] == [("usd", 0)]


async def test_account_without_transfers_capability_says_finish_onboarding(
        billing: BillingActivities, sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/stripe/accounts/acct_defmx001", {"capabilities": {"transfers": "inactive"}})
    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout())
    assert caught.value.non_retryable and "code insufficient_capabilities_for_transfer" in caught.value.message
    assert "finish its onboarding" in caught.value.message

    sandbox.admin("POST", "/_sandbox/stripe/accounts/acct_defmx001", {"capabilities": {"transfers": "active"}})
    await run(billing.pay_defender, payout(generation=1))
    assert len(listing(sandbox, "transfers")) == 1


async def test_test_mode_key_against_a_live_account_says_which_key_to_set(
        billing: BillingActivities, sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/stripe/accounts/acct_defmx001", {"live_mode_only": True})
    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout())
    assert caught.value.non_retryable and "code resource_missing" in caught.value.message
    assert "fix: CASEFAC_STRIPE__API_KEY is a key of the other mode (test vs live)" in caught.value.message
    assert listing(sandbox, "transfers") == []


async def test_a_25_line_report_is_invoiced_through_paged_lines(billing: BillingActivities,
                                                                sandbox: RunningSandbox) -> None:
    ref = await run(billing.issue_invoice, invoice_request(lines=25))
    assert ref.status == "open" and ref.amount_due == usd(4500 * 25)

    client = stripe.StripeClient(sandbox.config.stripe_api_key, base_addresses={"api": sandbox.base_url})
    invoice = client.v1.invoices.retrieve(ref.invoice_id)
    assert len(invoice.lines.data) == 10 and invoice.lines.has_more  # as Stripe embeds them
    paged = list(client.v1.invoices.line_items.list(ref.invoice_id, {"limit": 10}).auto_paging_iter())
    assert len(paged) == 25 and len({line.id for line in paged}) == 25
    assert all(line.metadata.to_dict() == {} for line in paged)  # not mirrored from the items: not relied on


async def test_a_25_line_report_resumes_after_keys_expired_without_duplicates(
        billing: BillingActivities, sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/faults", {"route": "POST /v1/invoiceitems$", "status": None, "count": 17})
    sandbox.admin("POST", "/_sandbox/faults", {"route": "POST /v1/invoiceitems$", "status": 503})
    with pytest.raises(ApplicationError):
        await run(billing.issue_invoice, invoice_request(lines=25))
    sandbox.admin("POST", "/_sandbox/stripe/idempotency/expire")  # 24 h later

    ref = await run(billing.issue_invoice, invoice_request(lines=25))
    assert ref.amount_due == usd(4500 * 25) and ref.status == "open"
    assert len(listing(sandbox, "invoiceitems")) == 25


@pytest.mark.parametrize(("route", "phase"), [("POST /v1/invoices/[^/]+/send$", "after"),
                                              ("POST /v1/invoices/[^/]+/finalize$", "during")])
async def test_a_quick_staff_retry_finds_the_new_advocates_customer_and_invoice_not_yet_searchable(
        billing: BillingActivities, sandbox: RunningSandbox, route: str, phase: str) -> None:
    """A new Advocate's first invoice: attempt 1 makes the customer and the invoice, then finalize/send fails
    with a failure Stripe replays. Staff retry (fresh keys) within the search index's lag: the customer is
    found through the consistent list by email, so no twin customer and no second invoice."""
    sandbox.admin("POST", "/_sandbox/stripe/search-lag", {"seconds": 60})
    fault(sandbox, route, phase)
    with pytest.raises(ApplicationError):
        await run(billing.issue_invoice, invoice_request())
    with pytest.raises(ApplicationError) as replayed:  # Temporal's retry: same keys, the stored failure
        await run(billing.issue_invoice, invoice_request())
    assert replayed.value.non_retryable and "replayed by Stripe" in replayed.value.message
    [customer] = listing(sandbox, "customers")
    assert customer["metadata"]["advocate_id"] == "ADV-0001"

    ref = await run(billing.issue_invoice, invoice_request(generation=1))  # staff retry, seconds later

    customers = [c for c in listing(sandbox, "customers") if c["metadata"].get("advocate_id") == "ADV-0001"]
    invoices = [i for i in listing(sandbox, "invoices") if i["metadata"].get("workflow_id") == "case-JIM-2026-0042"
                and i["metadata"].get("report_number") == "1"]
    assert (len(customers), len(invoices)) == (1, 1)  # no twin customer, no second invoice
    assert customers[0]["id"] == customer["id"]
    assert [i["id"] for i in invoices] == [ref.invoice_id]
    assert invoices[0]["customer"] == customer["id"]
    assert ref.status == "open" and ref.amount_due == usd(13500)
    assert len(listing(sandbox, "invoiceitems")) == 3
