"""The sandbox behaves as the live providers do where casefac's correctness depends on it.

Stripe: failed results stored and replayed under the idempotency key, a balance transfers draw on, Connect
capabilities, 10 embedded invoice lines, a customer search index that trails creation; SendGrid and
DocuSign: rate-limit headers; the account set-up endpoints ``casefac doctor`` reads.
"""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

from sandbox.testing import RunningSandbox


@pytest.fixture
def client(sandbox: RunningSandbox) -> stripe.StripeClient:
    return stripe.StripeClient(sandbox.config.stripe_api_key, base_addresses={"api": sandbox.base_url},
                               max_network_retries=0)


def transfer(client: stripe.StripeClient, key: str, amount: int = 5000) -> stripe.Transfer:
    return client.v1.transfers.create({"amount": amount, "currency": "usd", "destination": "acct_defmx001"},
                                      {"idempotency_key": key})


def test_a_failure_during_execution_is_replayed_under_its_key_until_it_expires(
        client: stripe.StripeClient, sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/faults", {"route": "POST /v1/transfers$", "status": 500, "phase": "during"})
    with pytest.raises(stripe.APIError) as first:
        transfer(client, "k-1")
    with pytest.raises(stripe.APIError) as again:  # no fault left: Stripe's stored answer
        transfer(client, "k-1")
    assert first.value.http_status == again.value.http_status == 500
    assert again.value.headers is not None and again.value.headers.get("Idempotent-Replayed") == "true"
    assert transfer(client, "k-2").amount == 5000  # another key runs
    sandbox.admin("POST", "/_sandbox/stripe/idempotency/expire")  # 24 h later
    assert transfer(client, "k-1").amount == 5000


def test_a_refusal_while_executing_is_stored_a_validation_error_is_not(client: stripe.StripeClient,
                                                                        sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": 1000})
    with pytest.raises(stripe.InvalidRequestError) as short:
        transfer(client, "k-b", 5000)
    assert short.value.code == "balance_insufficient"
    sandbox.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": 10000})
    with pytest.raises(stripe.InvalidRequestError) as replayed:
        transfer(client, "k-b", 5000)
    assert replayed.value.code == "balance_insufficient"
    with pytest.raises(stripe.InvalidRequestError):  # parameter validation: nothing executed, nothing kept
        client.v1.transfers.create({"amount": 5000, "currency": "usd"}, {"idempotency_key": "k-v"})
    assert client.v1.transfers.create({"amount": 5000, "currency": "usd", "destination": "acct_defmx001"},
                                      {"idempotency_key": "k-v"}).amount == 5000


def test_transfers_draw_on_the_balance_and_need_the_transfers_capability(client: stripe.StripeClient,
                                                                         sandbox: RunningSandbox) -> None:
    before = {b.currency: b.amount for b in client.v1.balance.retrieve().available}
    transfer(client, "k-t", 2500)
    after = {b.currency: b.amount for b in client.v1.balance.retrieve().available}
    assert after["usd"] == before["usd"] - 2500
    with pytest.raises(stripe.InvalidRequestError) as cad:  # nothing available in CAD: not converted
        client.v1.transfers.create({"amount": 1, "currency": "eur", "destination": "acct_defmx001"})
    assert cad.value.code == "balance_insufficient"
    sandbox.admin("POST", "/_sandbox/stripe/accounts/acct_defgt001", {"capabilities": {"transfers": "inactive"}})
    with pytest.raises(stripe.InvalidRequestError) as capability:
        client.v1.transfers.create({"amount": 1, "currency": "usd", "destination": "acct_defgt001"})
    assert capability.value.code == "insufficient_capabilities_for_transfer"


def test_an_invoice_embeds_ten_lines_and_pages_the_rest(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"email": "a@firm.test"})
    invoice = client.v1.invoices.create({"customer": customer.id, "collection_method": "send_invoice",
                                         "days_until_due": 30, "pending_invoice_items_behavior": "exclude"})
    for n in range(12):
        client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 100 + n,
                                        "currency": "usd", "metadata": {"line": str(n)}})
    fetched = client.v1.invoices.retrieve(invoice.id)
    assert len(fetched.lines.data) == 10 and fetched.lines.has_more and fetched.amount_due == sum(range(100, 112))
    lines = list(client.v1.invoices.line_items.list(invoice.id, {"limit": 5}).auto_paging_iter())
    assert [line.amount for line in lines] == list(range(100, 112))
    items = client.v1.invoice_items.list({"invoice": invoice.id, "limit": 100})
    assert sorted(i.metadata["line"] for i in items.data) == sorted(str(n) for n in range(12))


@pytest.mark.parametrize(("path", "method", "body"), [
    ("/v3/mail/send", "POST", {}), ("/restapi/v2.1/accounts/x/envelopes", "POST", {})])
def test_rate_limits_carry_retry_after_and_x_ratelimit_reset(sandbox: RunningSandbox, path: str, method: str,
                                                             body: dict[str, object]) -> None:
    sandbox.admin("POST", "/_sandbox/faults", {"route": f"{method} {path}$", "status": 429,
                                                "retry_after_seconds": 30})
    response = httpx.request(method, sandbox.base_url + path, json=body)
    assert response.status_code == 429 and response.headers["Retry-After"] == "30"
    assert 25 <= int(response.headers["X-RateLimit-Reset"]) - time.time() <= 31
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_the_setup_endpoints_doctor_reads(sandbox: RunningSandbox, client: stripe.StripeClient) -> None:
    auth = {"Authorization": f"Bearer {sandbox.config.sendgrid_api_key}"}
    assert "mail.send" in httpx.get(f"{sandbox.base_url}/v3/scopes", headers=auth).json()["scopes"]
    assert httpx.get(f"{sandbox.base_url}/v3/scopes", headers={"Authorization": "Bearer no"}).status_code == 401
    sandbox.admin("POST", "/_sandbox/sendgrid/senders", {"verified": ["jim@example.org"]})
    [sender] = httpx.get(f"{sandbox.base_url}/v3/verified_senders", headers=auth).json()["results"]
    assert sender["from_email"] == "jim@example.org" and sender["verified"] is True
    assert httpx.get(f"{sandbox.base_url}/v3/whitelabel/domains", headers=auth).json()[0]["valid"] is True
    sandbox.admin("POST", "/_sandbox/stripe/platform", {"connect_enabled": False})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.list({"limit": 1})
    with pytest.raises(stripe.InvalidRequestError):
        transfer(client, "k-c")


def test_customer_search_trails_creation_the_list_does_not(client: stripe.StripeClient,
                                                           sandbox: RunningSandbox) -> None:
    """Stripe's search index lags writes ("less than a minute"); ``GET /v1/customers?email=`` is consistent."""
    assert sandbox.admin("POST", "/_sandbox/stripe/search-lag", {"seconds": 0.5}) == {"seconds": 0.5}
    created = client.v1.customers.create({"email": "lag@firm.test", "metadata": {"advocate_id": "ADV-LAG"}})
    query = {"query": "metadata['advocate_id']:'ADV-LAG'"}
    assert client.v1.customers.search(query).data == []  # not indexed yet
    assert [c.id for c in client.v1.customers.list({"email": "lag@firm.test"}).data] == [created.id]
    assert client.v1.customers.retrieve(created.id).id == created.id
    time.sleep(0.6)
    assert [c.id for c in client.v1.customers.search(query).data] == [created.id]

    sandbox.admin("POST", "/_sandbox/stripe/search-lag", {"seconds": 60})
    fresh = client.v1.customers.create({"email": "lag@firm.test", "metadata": {"advocate_id": "ADV-LAG"}})
    assert [c.id for c in client.v1.customers.search(query).data] == [created.id]
    assert {c.id for c in client.v1.customers.list({"email": "lag@firm.test"}).data} == {created.id, fresh.id}

    sandbox.admin("POST", "/_sandbox/reset")  # the config's lag (none) again
    assert sandbox.config.stripe_search_lag_seconds == 0.0
    again = client.v1.customers.create({"email": "lag@firm.test", "metadata": {"advocate_id": "ADV-LAG"}})
    assert [c.id for c in client.v1.customers.search(query).data] == [again.id]
    assert httpx.post(f"{sandbox.base_url}/_sandbox/stripe/search-lag", json={"seconds": -1}).status_code == 400
