"""Test kit for the gateway: a recording workflow, provider-style request signing, and polling helpers.

Requests are signed here from the providers' documented algorithms (not with the gateway's own code), so
a verifier bug cannot hide behind a matching signer bug.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, SecretStr
from temporalio import workflow
from temporalio.client import WorkflowHandle

from casefac.events import EnvelopeEvent, InvoiceEvent, MailEvent, Signal
from casefac.keyring import KeyRing
from casefac.settings import DocuSignSettings, GatewaySettings, SendGridSettings, Settings, StripeSettings

PROBE = "probe"
TASK_QUEUE = "gateway-tests"
DOCUSIGN_KEYS = ["connect-key-old", "connect-key-new"]
STRIPE_SECRET = "whsec_test_secret"
CODEC_TOKEN = "test-codec-token"
UI_ORIGIN = "http://127.0.0.1:8233"

#: ``await start_recorder("case-JIM-2026-")`` → handle of a fresh recording workflow with that id prefix.
StartRecorder = Callable[[str], Awaitable[WorkflowHandle[Any, Any]]]
#: ``await gateway_for(client_provider, **create_app_kwargs)`` → an HTTP client on a fresh gateway app.
GatewayFactory = Callable[..., Awaitable[httpx.AsyncClient]]


class Received(BaseModel):
    signal: str
    payload: dict[str, Any]


@workflow.defn(name="GatewayRecorder")
class Recorder:
    """Stands in for the case/advocate workflows: records every signal, in order, for the test to query."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    def _record(self, name: str, payload: BaseModel) -> None:
        self.received.append(Received(signal=name, payload=payload.model_dump(mode="json")))

    @workflow.signal(name=Signal.ENVELOPE_EVENT)
    def envelope_event(self, event: EnvelopeEvent) -> None:
        self._record(Signal.ENVELOPE_EVENT, event)

    @workflow.signal(name=Signal.INVOICE_EVENT)
    def invoice_event(self, event: InvoiceEvent) -> None:
        self._record(Signal.INVOICE_EVENT, event)

    @workflow.signal(name=Signal.MAIL_EVENT)
    def mail_event(self, event: MailEvent) -> None:
        self._record(Signal.MAIL_EVENT, event)

    @workflow.signal(name=PROBE)
    def probe(self, marker: str) -> None:
        self.received.append(Received(signal=PROBE, payload={"marker": marker}))

    @workflow.query
    def signals(self) -> list[Received]:
        return self.received


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll ``check`` until true; fail after ``timeout`` (no fixed sleeps standing in for synchronisation)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


async def received(handle: WorkflowHandle[Any, Any]) -> list[Received]:
    return await handle.query(Recorder.signals)


async def wait_for_signals(handle: WorkflowHandle[Any, Any], count: int) -> list[Received]:
    """The recorded provider signals once there are at least ``count`` of them."""
    async def enough() -> bool:
        return len(await received(handle)) >= count

    await wait_until(enough)
    return await received(handle)


async def signals_after_probe(handle: WorkflowHandle[Any, Any]) -> list[Received]:
    """Everything recorded before a probe signal sent now: proves a rejected request signalled nothing.

    Signals to one workflow are delivered in order, and a rejected request has already been answered, so
    anything it had signalled would be recorded before the probe.
    """
    marker = f"probe-{time.monotonic_ns()}"
    await handle.signal(PROBE, marker)

    async def probed() -> bool:
        return any(r.payload.get("marker") == marker for r in await received(handle))

    await wait_until(probed)
    return [r for r in await received(handle) if r.signal != PROBE]


# --- DocuSign -------------------------------------------------------------------------------------
def recent_generated(ago: float = 60.0) -> str:
    """``generatedDateTime`` ``ago`` seconds back, as Connect writes it."""
    at = time.gmtime(time.time() - ago)
    return time.strftime("%Y-%m-%dT%H:%M:%S", at) + ".1234567Z"


def docusign_body(workflow_id: str | None, *, event: str = "recipient-completed", envelope_id: str = "env-1",
                  recipient_id: str | None = "1", generated: str = "",
                  retry_count: int = 0, **summary_extra: Any) -> bytes:
    # A recent generation time (Connect's own format, 7 digits): older deliveries are replays (review m2).
    generated = generated or recent_generated()
    custom = [{"name": "case_id", "value": "JIM-2026-0001", "show": "false"}]
    if workflow_id is not None:
        custom.append({"name": "workflow_id", "value": workflow_id, "show": "false"})
    data: dict[str, Any] = {
        "accountId": "acct-1",
        "userId": "user-1",
        "envelopeId": envelope_id,
        "envelopeSummary": {
            "envelopeId": envelope_id,
            "status": "sent",
            "customFields": {"textCustomFields": custom},
            "recipients": {"signers": [
                {"recipientId": "1", "email": "advocate@example.org", "name": "Ada Advocate",
                 "status": "completed"},
            ]},
            **summary_extra,
        },
    }
    if recipient_id is not None:
        data["recipientId"] = recipient_id
    return json.dumps({
        "event": event, "apiVersion": "v2.1", "uri": f"/restapi/v2.1/accounts/acct-1/envelopes/{envelope_id}",
        "retryCount": retry_count, "configurationId": "10001", "generatedDateTime": generated, "data": data,
    }).encode()


def docusign_headers(body: bytes, *keys: str, first_index: int = 1) -> dict[str, str]:
    """``X-DocuSign-Signature-N: base64(HMAC-SHA256(key, body))``."""
    return {
        f"X-DocuSign-Signature-{i}": base64.b64encode(hmac.new(k.encode(), body, hashlib.sha256).digest()).decode()
        for i, k in enumerate(keys, start=first_index)
    } | {"Content-Type": "application/json"}


# --- Stripe ---------------------------------------------------------------------------------------
def stripe_body(workflow_id: str | None, *, event_id: str = "evt_1", event_type: str = "invoice.paid",
                invoice_id: str = "in_1", amount_paid: int = 123_000) -> bytes:
    metadata = {"case_id": "JIM-2026-0001"} | ({"workflow_id": workflow_id} if workflow_id else {})
    return json.dumps({
        "id": event_id, "object": "event", "api_version": "2025-01-27", "created": int(time.time()),
        "livemode": False, "type": event_type,
        "data": {"object": {"id": invoice_id, "object": "invoice", "amount_paid": amount_paid,
                            "currency": "usd", "customer_email": "advocate@example.org",
                            "metadata": metadata}},
    }, indent=2).encode()


def stripe_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """``Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>``."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={ts},v1={digest}", "Content-Type": "application/json"}


# --- SendGrid -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SendGridKey:
    private: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SendGridKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_b64(self) -> str:
        der = self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """ECDSA P-256/SHA-256 over ``timestamp + payload``, base64 DER."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": ts,
            "Content-Type": "application/json",
        }


def sendgrid_event(event: str, case_id: str | None, sg_event_id: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "email": "defensora@example.org", "timestamp": int(time.time()), "event": event,
        "sg_event_id": sg_event_id, "sg_message_id": "msg-1.sandbox0.0", "kind": "contract_to_sign",
        "role": "defender",
    }
    if case_id is not None:
        base["case_id"] = case_id
    return base | extra


def gateway_settings(data_dir: Path, sendgrid_key: SendGridKey, keyring: KeyRing) -> Settings:
    """Settings whose webhook secrets, keys and codec token match what these kits sign and send."""
    ring_file = data_dir / "keyring.json"
    keyring.save(ring_file)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
        data_dir=data_dir,
        keyring_file=ring_file,
        docusign=DocuSignSettings(connect_hmac_keys=[SecretStr(k) for k in DOCUSIGN_KEYS]),
        stripe=StripeSettings(webhook_secret=SecretStr(STRIPE_SECRET), webhook_tolerance_seconds=300),
        sendgrid=SendGridSettings(webhook_public_key=sendgrid_key.public_b64),
        gateway=GatewaySettings(codec_token=SecretStr(CODEC_TOKEN), ui_origin=UI_ORIGIN),
    )
