"""Webhook redelivery, faults, reset, persistence and the async form of ``running_sandbox``."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import stripe

from sandbox.capture import CaptureServer
from sandbox.config import SandboxConfig
from sandbox.testing import RunningSandbox, running_sandbox, wait_until


def _paid_invoice(sandbox: RunningSandbox) -> str:
    client = stripe.StripeClient(sandbox.config.stripe_api_key, base_addresses={"api": sandbox.base_url})
    customer = client.v1.customers.create(params={"email": "adv@firm.test"})
    client.v1.invoice_items.create(params={"customer": customer.id, "amount": 500, "currency": "usd"})
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 7,
            "pending_invoice_items_behavior": "include",
        }
    )
    client.v1.invoices.finalize_invoice(invoice.id)
    sandbox.admin("POST", f"/_sandbox/stripe/invoices/{invoice.id}/paid")
    return str(invoice.id)


def test_webhook_redelivered_until_receiver_recovers(sandbox: RunningSandbox, capture: CaptureServer) -> None:
    capture.fail_next(2, status=503, path_prefix="/stripe")
    _paid_invoice(sandbox)
    delivered = wait_until(lambda: capture.received("/stripe"), timeout=10)
    attempts = capture.received("/stripe", ok_only=False)
    assert [a.status for a in attempts] == [503, 503, 200]
    # Same event id on every attempt, fresh signature each time, all verifiable.
    assert len({a.json()["id"] for a in attempts}) == 1
    for attempt in attempts:
        stripe.Webhook.construct_event(
            attempt.body, attempt.headers["stripe-signature"], sandbox.config.stripe_webhook_secret
        )
    assert delivered[0].json()["type"] == "invoice.paid"
    record = sandbox.webhooks(provider="stripe")[0]
    assert record["delivered"] is True and record["attempts"] == 3 and record["last_status"] == 200


def test_pending_webhooks_and_forced_redelivery(capture: CaptureServer, tmp_path: Path) -> None:
    config = SandboxConfig(
        stripe_webhook_url=f"{capture.url}/slow",
        webhook_retry_base_seconds=30,
        webhook_max_attempts=3,
    )
    capture.fail_next(1, status=503, path_prefix="/slow")
    with running_sandbox(config) as sb:
        _paid_invoice(sb)
        wait_until(lambda: sb.webhooks(pending="true") and sb.webhooks(pending="true")[0]["attempts"] == 1)
        assert sb.admin("GET", "/_sandbox/state")["pending_webhooks"] == 1
        assert sb.admin("POST", "/_sandbox/webhooks/redeliver") == {"redelivering": 1}
        wait_until(lambda: not sb.webhooks(pending="true"), timeout=10)
        assert sb.webhooks()[0]["delivered"] is True


def test_fault_delay_and_listing(sandbox: RunningSandbox) -> None:
    sandbox.admin("POST", "/_sandbox/faults", {"route": "GET /v1/customers", "status": None, "delay_seconds": 0.3})
    assert len(sandbox.admin("GET", "/_sandbox/faults")) == 1
    client = stripe.StripeClient(sandbox.config.stripe_api_key, base_addresses={"api": sandbox.base_url})
    started = time.monotonic()
    client.v1.customers.list()
    assert time.monotonic() - started >= 0.3
    assert sandbox.admin("GET", "/_sandbox/faults") == []
    bad = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json={"status": 500})
    assert bad.status_code == 400


def test_reset_clears_state(sandbox: RunningSandbox) -> None:
    _paid_invoice(sandbox)
    assert sandbox.admin("GET", "/_sandbox/state")["invoices"] == 1
    sandbox.admin("POST", "/_sandbox/reset")
    state = sandbox.admin("GET", "/_sandbox/state")
    assert state["invoices"] == 0 and state["customers"] == 0
    assert state["accounts"] == len(sandbox.config.stripe_connected_accounts)
    assert httpx.get(f"{sandbox.base_url}/healthz").status_code == 200


def test_state_file_round_trip(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox-state.json"
    config = SandboxConfig(state_file=state_file)
    with running_sandbox(config) as sb:
        invoice_id = _paid_invoice(sb)
        customers = sb.admin("GET", "/_sandbox/customers")
        public_key = sb.admin("GET", "/_sandbox/sendgrid/public-key")
    assert state_file.exists()
    with running_sandbox(config) as sb:
        client = stripe.StripeClient(sb.config.stripe_api_key, base_addresses={"api": sb.base_url})
        assert client.v1.invoices.retrieve(invoice_id).status == "paid"
        assert sb.admin("GET", "/_sandbox/customers") == customers
        assert sb.admin("GET", "/_sandbox/sendgrid/public-key") == public_key
        sb.admin("POST", "/_sandbox/reset")
    with running_sandbox(config) as sb:
        assert sb.admin("GET", "/_sandbox/state")["invoices"] == 0


@pytest.mark.asyncio
async def test_async_context_manager() -> None:
    async with running_sandbox() as sb:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{sb.base_url}/healthz")
        assert response.json() == {"ok": True}
        assert sb.base_url.startswith("http://127.0.0.1:")
