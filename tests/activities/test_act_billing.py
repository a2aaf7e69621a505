"""Stripe activities against the sandbox's Stripe v1 emulator with the real stripe SDK (StripeClient)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing import BillingActivities
from casefac.activity_io import InvoiceRef, IssueInvoice, PayDefender, TransferRef, VoidInvoice
from casefac.money import Money
from casefac.pricing import PricedLine
from casefac.settings import StripeSettings
from sandbox.testing import RunningSandbox
from tests.activities.act_factories import advocate
from tests.activities.conftest import inject


@pytest.fixture
def billing(stripe_settings: StripeSettings) -> BillingActivities:
    return BillingActivities(stripe_settings)


def usd(cents: int) -> Money:
    return Money(amount=cents, currency="USD")


def issue_request(case_id: str = "JIM-2026-0042", report: int = 1, advocate_id: str = "ADV-0001") -> IssueInvoice:
    lines = [
        PricedLine(description="2026-03-02 3h Fact investigation: locate client", amount=usd(13500), code="L110"),
        PricedLine(description="2026-03-03 Local travel: bus", amount=usd(2050), code="E109",
                   source=Money(amount=35000, currency="MXN")),
        PricedLine(description="Adjustment: courtesy discount", amount=usd(-1000), code="ADJ"),
    ]
    return IssueInvoice(workflow_id=f"case-{case_id}", case_id=case_id, report_number=report,
                        advocate=advocate(advocate_id), lines=lines, total=usd(14550), days_until_due=30)


def listing(sandbox: RunningSandbox, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = sandbox.admin("GET", f"/_sandbox/{table}")
    return rows


async def run(fn: Any, *args: Any) -> Any:
    return await ActivityEnvironment().run(fn, *args)


async def test_issue_invoice(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    ref: InvoiceRef = await run(billing.issue_invoice, issue_request())

    [invoice] = listing(sandbox, "invoices")
    assert ref.invoice_id == invoice["id"] and ref.status == "open"
    assert ref.amount_due == usd(14550) and ref.number == invoice["number"]
    assert ref.hosted_invoice_url and ref.hosted_invoice_url.startswith(sandbox.base_url)
    assert ref.due_date == (datetime.now(UTC) + timedelta(days=30)).date()
    assert invoice["collection_method"] == "send_invoice"
    assert invoice["due_date"] - invoice["status_transitions"]["finalized_at"] == 30 * 86400
    assert invoice["metadata"] == {"case_id": "JIM-2026-0042", "workflow_id": "case-JIM-2026-0042",
                                   "report_number": "1"}
    items = listing(sandbox, "invoiceitems")
    assert [(i["amount"], i["metadata"]["code"], i["invoice"]) for i in items] == [
        (13500, "L110", invoice["id"]), (2050, "E109", invoice["id"]), (-1000, "ADJ", invoice["id"])]
    [customer] = listing(sandbox, "customers")
    assert customer["metadata"]["advocate_id"] == "ADV-0001" and customer["email"] == "adv-0001@law.example.org"
    # Stripe emailed the hosted invoice link (send)
    assert any(m["custom_args"].get("stripe_invoice") == invoice["id"] for m in sandbox.admin("GET", "/_sandbox/mail"))


async def test_issue_invoice_twice_changes_nothing(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    first = await run(billing.issue_invoice, issue_request())
    again = await run(billing.issue_invoice, issue_request())

    assert again == first
    assert (len(listing(sandbox, "invoices")), len(listing(sandbox, "invoiceitems")),
            len(listing(sandbox, "customers"))) == (1, 3, 1)
    assert len([m for m in sandbox.admin("GET", "/_sandbox/mail") if "stripe_invoice" in m["custom_args"]]) == 1


async def test_customer_is_shared_by_the_advocates_cases(billing: BillingActivities,
                                                         sandbox: RunningSandbox) -> None:
    a = await run(billing.issue_invoice, issue_request("JIM-2026-0042"))
    b = await run(billing.issue_invoice, issue_request("JIM-2026-0043"))
    c = await run(billing.issue_invoice, issue_request("JIM-2026-0044", advocate_id="ADV-0002"))

    assert len({a.invoice_id, b.invoice_id, c.invoice_id}) == 3
    invoices = {i["id"]: i for i in listing(sandbox, "invoices")}
    assert invoices[a.invoice_id]["customer"] == invoices[b.invoice_id]["customer"]
    assert invoices[a.invoice_id]["customer"] != invoices[c.invoice_id]["customer"]
    assert len(listing(sandbox, "customers")) == 2
    assert all(len(i["lines"]["data"]) == 3 for i in invoices.values())


async def test_changed_advocate_details_update_the_customer_only_when_staff_say_so(
        billing: BillingActivities, sandbox: RunningSandbox) -> None:
    """Review M3: a case's snapshot of the Advocate (older, or another case's) never reverts the customer."""
    await run(billing.issue_invoice, issue_request())
    stale = issue_request("JIM-2026-0043").model_copy(
        update={"advocate": advocate(email="alex@oldfirm.example.org")})
    await run(billing.issue_invoice, stale)
    [customer] = listing(sandbox, "customers")
    assert customer["email"] == "adv-0001@law.example.org"
    moved = issue_request("JIM-2026-0044").model_copy(
        update={"advocate": advocate(email="alex@newfirm.example.org"), "update_customer": True})
    await run(billing.issue_invoice, moved)
    [customer] = listing(sandbox, "customers")
    assert customer["email"] == "alex@newfirm.example.org"


@pytest.mark.parametrize("route", [
    "POST /v1/invoices$",
    "POST /v1/invoiceitems",
    "POST /v1/invoices/[^/]+/finalize",
    "POST /v1/invoices/[^/]+/send",
])
async def test_issue_invoice_resumes_after_a_crash(billing: BillingActivities, sandbox: RunningSandbox,
                                                   route: str) -> None:
    if "invoiceitems" in route:
        inject(sandbox, route, None, count=1)  # the first item goes through: a half-built draft is left
    inject(sandbox, route, 500, count=1)

    with pytest.raises(ApplicationError) as caught:
        await run(billing.issue_invoice, issue_request())
    assert caught.value.type == "StripeUnavailable" and not caught.value.non_retryable

    ref = await run(billing.issue_invoice, issue_request())
    assert ref.status == "open" and ref.amount_due == usd(14550)
    assert len(listing(sandbox, "invoices")) == 1
    assert len(listing(sandbox, "invoiceitems")) == 3
    assert len(listing(sandbox, "customers")) == 1


async def test_resume_after_idempotency_keys_expired(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    """Past Stripe's 24 h key window the metadata lookup alone must prevent duplicates."""
    inject(sandbox, "POST /v1/invoices/[^/]+/finalize", 500, count=1)
    with pytest.raises(ApplicationError):
        await run(billing.issue_invoice, issue_request())
    sandbox.runtime.state.table("idempotency").clear()

    ref = await run(billing.issue_invoice, issue_request())
    assert ref.status == "open"
    assert (len(listing(sandbox, "invoices")), len(listing(sandbox, "invoiceitems"))) == (1, 3)


async def test_total_mismatch_is_not_finalized(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    wrong = issue_request().model_copy(update={"total": usd(99999)})
    with pytest.raises(ApplicationError) as caught:
        await run(billing.issue_invoice, wrong)
    assert caught.value.type == "InvoiceTotalMismatch" and caught.value.non_retryable
    [invoice] = listing(sandbox, "invoices")
    assert invoice["status"] == "draft"


async def test_void_invoice(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    ref = await run(billing.issue_invoice, issue_request())
    request = VoidInvoice(workflow_id="case-JIM-2026-0042", invoice_id=ref.invoice_id)

    assert (await run(billing.void_invoice, request)).status == "void"
    assert (await run(billing.void_invoice, request)).status == "void"
    assert len([e for e in listing(sandbox, "events") if e["type"] == "invoice.voided"]) == 1


async def test_void_paid_invoice_is_refused(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    ref = await run(billing.issue_invoice, issue_request())
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{ref.invoice_id}/paid")

    with pytest.raises(ApplicationError) as caught:
        await run(billing.void_invoice, VoidInvoice(workflow_id="case-JIM-2026-0042", invoice_id=ref.invoice_id))
    assert caught.value.type == "InvoiceAlreadyPaid" and caught.value.non_retryable


def payout(report: int = 1, account: str = "acct_defmx001") -> PayDefender:
    return PayDefender(workflow_id="case-JIM-2026-0042", case_id="JIM-2026-0042", report_number=report,
                       defender_id="DEF-MX-001", account_id=account, amount=usd(12000))


async def test_pay_defender_once_per_report(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    first: TransferRef = await run(billing.pay_defender, payout())
    again = await run(billing.pay_defender, payout())
    second_report = await run(billing.pay_defender, payout(report=2))

    assert again == first != second_report
    assert first.amount == usd(12000)
    transfers = listing(sandbox, "transfers")
    assert len(transfers) == 2
    assert {t["transfer_group"] for t in transfers} == {"case-JIM-2026-0042"}
    assert transfers[0]["destination"] == "acct_defmx001"
    assert transfers[0]["metadata"] == {"case_id": "JIM-2026-0042", "workflow_id": "case-JIM-2026-0042",
                                        "report_number": "1", "defender_id": "DEF-MX-001"}


async def test_pay_defender_survives_lost_response(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    sandbox.runtime.state.table("idempotency").clear()
    await run(billing.pay_defender, payout())
    sandbox.runtime.state.table("idempotency").clear()  # even past the key window: found by transfer_group
    await run(billing.pay_defender, payout())
    assert len(listing(sandbox, "transfers")) == 1


async def test_unknown_account_is_rejected(billing: BillingActivities) -> None:
    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout(account="acct_unknown1"))
    assert caught.value.type == "StripeRejected" and caught.value.non_retryable
    assert "resource_missing" in caught.value.message


@pytest.mark.parametrize(("status", "retryable", "error_type"), [
    (429, True, "StripeUnavailable"),
    (500, True, "StripeUnavailable"),
    (409, True, "StripeUnavailable"),
    (400, False, "StripeRejected"),
    (402, False, "StripeRejected"),
])
async def test_errors_are_mapped(billing: BillingActivities, sandbox: RunningSandbox, status: int,
                                 retryable: bool, error_type: str) -> None:
    inject(sandbox, "POST /v1/transfers", status)
    with pytest.raises(ApplicationError) as caught:
        await run(billing.pay_defender, payout())
    assert (caught.value.type, caught.value.non_retryable) == (error_type, not retryable)
    assert len(listing(sandbox, "transfers")) == 0


async def test_unreachable_stripe_is_retryable(stripe_settings: StripeSettings) -> None:
    dead = BillingActivities(stripe_settings.model_copy(update={"api_base": "http://127.0.0.1:9"}))
    with pytest.raises(ApplicationError) as caught:
        await run(dead.pay_defender, payout())
    assert caught.value.type == "StripeUnavailable" and not caught.value.non_retryable


async def test_customer_not_yet_searchable_waits(billing: BillingActivities, sandbox: RunningSandbox) -> None:
    """Search lag (live Stripe) + changed details: the create replays with other params → retry, no twin."""
    await run(billing.issue_invoice, issue_request())
    sandbox.runtime.state.table("customers")["hidden"] = sandbox.runtime.state.table("customers").popitem()[1]
    sandbox.runtime.state.table("customers")["hidden"]["metadata"] = {}  # invisible to search, like a lagging index
    changed = issue_request("JIM-2026-0043").model_copy(update={"advocate": advocate(name="Alex Rivera-Soto")})
    with pytest.raises(ApplicationError) as caught:
        await run(billing.issue_invoice, changed)
    assert caught.value.type == "StripeUnavailable" and not caught.value.non_retryable
    assert caught.value.next_retry_delay is not None
    assert len(listing(sandbox, "customers")) == 1


async def test_long_report_resumes_without_duplicate_lines(billing: BillingActivities,
                                                           sandbox: RunningSandbox) -> None:
    lines = [PricedLine(description=f"2026-03-{d:02d} 1h Fact investigation", amount=usd(4500), code="L110")
             for d in range(1, 16)]
    request = issue_request().model_copy(update={"lines": lines, "total": usd(4500 * 15)})
    inject(sandbox, "POST /v1/invoiceitems", None, count=12)
    inject(sandbox, "POST /v1/invoiceitems", 503, count=1)
    with pytest.raises(ApplicationError):
        await run(billing.issue_invoice, request)
    sandbox.runtime.state.table("idempotency").clear()  # resumed after Stripe forgot the keys

    ref = await run(billing.issue_invoice, request)
    assert ref.amount_due == usd(4500 * 15) and ref.status == "open"
    assert len(listing(sandbox, "invoiceitems")) == 15
