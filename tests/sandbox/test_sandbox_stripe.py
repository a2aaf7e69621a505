"""Stripe emulator driven by the real stripe SDK (StripeClient v1 services)."""

from __future__ import annotations

import re

import httpx
import pytest
import stripe

from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox, wait_until


@pytest.fixture
def client(sandbox: RunningSandbox) -> stripe.StripeClient:
    return stripe.StripeClient(sandbox.config.stripe_api_key, base_addresses={"api": sandbox.base_url})


def _invoice(client: stripe.StripeClient, key: str = "wf-1") -> stripe.Invoice:
    customer = client.v1.customers.create(
        params={"email": "advocate@firm.test", "name": "Advocate", "metadata": {"advocate_id": "ADV-1"}},
        options={"idempotency_key": f"{key}-customer"},
    )
    for amount, description in ((100000, "Facilitation fee"), (23000, "Travel (E110)")):
        client.v1.invoice_items.create(
            params={
                "customer": customer.id,
                "amount": amount,
                "currency": "usd",
                "description": description,
                "metadata": {"case_id": "CASE-9"},
            },
            options={"idempotency_key": f"{key}-item-{amount}"},
        )
    return client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "pending_invoice_items_behavior": "include",
            "metadata": {"case_id": "CASE-9", "workflow_id": key},
        },
        options={"idempotency_key": f"{key}-invoice"},
    )


def test_customers_create_search_list(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create(params={"email": "a@firm.test", "metadata": {"advocate_id": "ADV-1"}})
    client.v1.customers.create(params={"email": "b@firm.test", "metadata": {"advocate_id": "ADV-2"}})
    assert created.id.startswith("cus_") and created.livemode is False
    found = client.v1.customers.search(params={"query": "metadata['advocate_id']:'ADV-1'"})
    assert found.object == "search_result" and [c.id for c in found.data] == [created.id]
    by_email = client.v1.customers.search(params={"query": "email:'b@firm.test'"})
    assert [c.email for c in by_email.data] == ["b@firm.test"]
    listed = client.v1.customers.list(params={"email": "a@firm.test"})
    assert listed.object == "list" and [c.id for c in listed.data] == [created.id]
    assert client.v1.customers.retrieve(created.id).metadata["advocate_id"] == "ADV-1"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_missing")
    assert info.value.http_status == 404 and info.value.code == "resource_missing"


def test_invoice_flow_pay_and_signed_webhook(
    client: stripe.StripeClient, sandbox: RunningSandbox, capture: CaptureServer
) -> None:
    draft = _invoice(client)
    assert draft.status == "draft" and draft.amount_due == 123000
    assert [line.description for line in draft.lines.data] == ["Facilitation fee", "Travel (E110)"]

    invoice = client.v1.invoices.finalize_invoice(draft.id, options={"idempotency_key": "wf-1-finalize"})
    assert invoice.status == "open" and invoice.number and invoice.due_date
    assert invoice.hosted_invoice_url == f"{sandbox.base_url}/stripe/invoices/{invoice.id}/pay"
    client.v1.invoices.send_invoice(invoice.id)
    assert sandbox.admin("GET", "/_sandbox/mail?to=advocate@firm.test")[0]["subject"].startswith("Invoice")

    page = httpx.get(invoice.hosted_invoice_url)
    assert "USD 1,230.00" in page.text and "SANDBOX" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    paid_page = httpx.post(httpx.URL(invoice.hosted_invoice_url).join(action.group(1)), follow_redirects=True)
    assert "Paid" in paid_page.text

    retrieved = client.v1.invoices.retrieve(invoice.id)
    assert retrieved.status == "paid" and retrieved.amount_paid == 123000

    delivery = wait_until(lambda: capture.received("/stripe"), timeout=10)[0]
    event = stripe.Webhook.construct_event(
        delivery.body, delivery.headers["stripe-signature"], sandbox.config.stripe_webhook_secret, tolerance=300
    )
    assert event.type == "invoice.paid" and event.id.startswith("evt_")
    assert event.data.object.id == invoice.id and event.data.object.metadata["case_id"] == "CASE-9"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.headers["stripe-signature"], "whsec_other")

    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.invoices.void_invoice(invoice.id)
    assert info.value.http_status == 400


def test_void_and_payment_failed_events(
    client: stripe.StripeClient, sandbox: RunningSandbox, capture: CaptureServer
) -> None:
    invoice = client.v1.invoices.finalize_invoice(_invoice(client, "wf-2").id)
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{invoice.id}/payment_failed")
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void"
    wait_until(lambda: len(capture.received("/stripe")) >= 2, timeout=10)
    types = [d.json()["type"] for d in capture.received("/stripe")]
    assert types == ["invoice.payment_failed", "invoice.voided"]
    draft = _invoice(client, "wf-3")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(draft.id)


def test_idempotency_replay_and_conflict(client: stripe.StripeClient) -> None:
    params = {"email": "x@firm.test", "metadata": {"advocate_id": "ADV-9"}}
    first = client.v1.customers.create(params=params, options={"idempotency_key": "k-1"})
    again = client.v1.customers.create(params=params, options={"idempotency_key": "k-1"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.customers.list().data) == 1
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.customers.create(params={"email": "other@firm.test"}, options={"idempotency_key": "k-1"})
    assert info.value.http_status == 400


def test_transfers(client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    destination = sandbox.config.stripe_connected_accounts[0]
    transfer = client.v1.transfers.create(
        params={
            "amount": 50000,
            "currency": "usd",
            "destination": destination,
            "transfer_group": "CASE-9",
            "metadata": {"defender_id": "DEF-1"},
        },
        options={"idempotency_key": "wf-1-transfer-DEF-1"},
    )
    assert transfer.id.startswith("tr_") and transfer.destination == destination
    assert client.v1.transfers.retrieve(transfer.id).amount == 50000
    assert [t.id for t in client.v1.transfers.list(params={"transfer_group": "CASE-9"}).data] == [transfer.id]
    account = client.v1.accounts.create(params={"type": "express", "country": "MX"})
    assert client.v1.accounts.retrieve(account.id).country == "MX"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params={"amount": 1, "currency": "usd", "destination": "acct_nope"})
    assert info.value.param == "destination"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.create(params={"currency": "usd", "destination": destination})
    assert missing.value.code == "parameter_missing"


def test_bad_key_and_rate_limit(sandbox: RunningSandbox) -> None:
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": sandbox.base_url}).v1.customers.list()
    client = stripe.StripeClient(
        sandbox.config.stripe_api_key, base_addresses={"api": sandbox.base_url}, max_network_retries=0
    )
    sandbox.admin("POST", "/_sandbox/faults", {"route": "POST /v1/customers$", "status": 429, "count": 1})
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.create(params={"email": "r@firm.test"})
    assert client.v1.customers.create(params={"email": "r@firm.test"}).id.startswith("cus_")


def test_partial_payment_credit_note_and_uncollectible(
    client: stripe.StripeClient, sandbox: RunningSandbox, capture: CaptureServer
) -> None:
    """Review M6: the emulator's invoice moves as Stripe's does: total stays, amounts due/paid/remaining move."""
    invoice = client.v1.invoices.finalize_invoice(_invoice(client, "wf-m6").id)
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{invoice.id}/partial_payment", {"amount": 23000})
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{invoice.id}/credit_note", {"amount": 10000})
    seen = client.v1.invoices.retrieve(invoice.id)
    assert (seen.status, seen.total, seen.amount_due, seen.amount_paid, seen.amount_remaining) == (
        "open", 123000, 113000, 23000, 90000)
    assert seen.pre_payment_credit_notes_amount == 10000
    marked = client.v1.invoices.mark_uncollectible(invoice.id)
    assert marked.status == "uncollectible" and marked.status_transitions.marked_uncollectible_at
    wait_until(lambda: len(capture.received("/stripe")) >= 3, timeout=10)
    events = [d.json() for d in capture.received("/stripe")]
    assert [e["type"] for e in events] == ["invoice.updated", "invoice.updated", "invoice.marked_uncollectible"]
    assert events[0]["data"]["object"]["amount_paid"] == 23000
    with pytest.raises(stripe.InvalidRequestError):  # only an open invoice
        client.v1.invoices.mark_uncollectible(invoice.id)
    paid = client.v1.invoices.finalize_invoice(_invoice(client, "wf-m6b").id)
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{paid.id}/partial_payment", {"amount": 23000})
    client.v1.invoices.pay(paid.id)
    done = client.v1.invoices.retrieve(paid.id)
    assert (done.status, done.amount_paid, done.amount_remaining) == ("paid", 123000, 0)
