"""Webhook fuzzing rig: the gateway app on a real dev server, with every outgoing signal captured.

Signals are captured by a client interceptor *as the gateway sends them*, so the check "every signal
validates as its model" sees exactly what the gateway built, and the recording workflow shows what arrived
(the two lists must agree, in order). Requests are signed with ``tests.gateway.gateway_kit``'s signers,
which follow the providers' documented algorithms rather than the gateway's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, Interceptor, OutboundInterceptor, SignalWorkflowInput, WorkflowHandle

from casefac.events import EnvelopeEvent, InvoiceEvent, MailEvent, Signal
from gateway.httputil import MAX_WEBHOOK_BODY
from tests.fuzz import strategies as fz
from tests.gateway.gateway_kit import DOCUSIGN_KEYS, STRIPE_SECRET, Received, SendGridKey, docusign_headers

URLS = {"docusign": "/webhooks/docusign", "stripe": "/webhooks/stripe", "sendgrid": "/webhooks/sendgrid"}
TEMPLATES = {"docusign": fz.docusign_template, "stripe": fz.stripe_template, "sendgrid": fz.sendgrid_template}
SIGNAL_MODELS: dict[str, type[BaseModel]] = {Signal.ENVELOPE_EVENT: EnvelopeEvent, Signal.INVOICE_EVENT: InvoiceEvent,
                                             Signal.MAIL_EVENT: MailEvent}


@dataclass(frozen=True)
class Sent:
    workflow_id: str
    signal: str
    args: tuple[Any, ...]


class CaptureSignals(Interceptor):
    """Remembers every signal the gateway's client sends (before it goes out, so stale ones count too)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Outbound(next, self.sent)


class _Outbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, sent: list[Sent]) -> None:
        super().__init__(next)
        self._sent = sent

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        self._sent.append(Sent(input.id, input.signal, tuple(input.args)))
        await super().signal_workflow(input)


def capturing(client: Client, capture: CaptureSignals) -> Client:
    """The same connection and converter (codec included), plus the capture interceptor."""
    return Client(**{**client.config(), "interceptors": [capture]})


def signal_problem(sent: Sent) -> str | None:
    """Why a captured signal is not a valid payload of its signal model, or None."""
    model = SIGNAL_MODELS.get(sent.signal)
    if model is None:
        return f"unexpected signal {sent.signal!r}"
    if len(sent.args) != 1 or not isinstance(sent.args[0], model):
        return f"{sent.signal} carries {[type(a).__name__ for a in sent.args]}, not one {model.__name__}"
    payload = sent.args[0]
    try:
        again = model.model_validate_json(payload.model_dump_json())
    except Exception as exc:  # the exact bytes the converter would send must validate
        return f"{sent.signal} payload does not validate as {model.__name__}: {exc}"
    same = again.model_dump() == payload.model_dump()
    return None if same else f"{sent.signal} payload changes on a JSON round trip"


# ------------------------------------------------------------------------------------------ signing
def sign(provider: str, body: bytes, variant: str, sendgrid: SendGridKey) -> dict[str, str]:
    """Headers that genuinely sign ``body`` (some variants hostile in form, never in key)."""
    if provider == "docusign":
        keys = {"key0": DOCUSIGN_KEYS[:1], "key1": DOCUSIGN_KEYS[1:], "both": DOCUSIGN_KEYS}.get(variant, DOCUSIGN_KEYS)
        headers = docusign_headers(body, *keys, first_index=7 if variant == "high_index" else 1)
        if variant == "with_junk":
            headers["X-DocuSign-Signature-9"] = "not-base64-at-all\x7f"
        return headers
    if provider == "stripe":
        ts = int(time.time())
        digest = hmac.new(STRIPE_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        header = {
            "many_v1": f"t={ts}," + ",".join(f"v1={i:064x}" for i in range(200)) + f",v1={digest}",
            "v0_too": f"t={ts},v0={digest},v1={digest}",
            "leading_zeros": f"t=000{ts},v1={digest}",
            "spaces": f"t={ts}, v1={digest}",
        }.get(variant, f"t={ts},v1={digest}")
        return {"Stripe-Signature": header, "Content-Type": "application/json"}
    return sendgrid.headers(body)


SIGNED_VARIANTS = {"docusign": ["key0", "key1", "both", "with_junk", "high_index"],
                   "stripe": ["plain", "many_v1", "v0_too", "leading_zeros", "spaces"],
                   "sendgrid": ["plain"]}


def forge(provider: str, body: bytes, variant: str, sendgrid: SendGridKey, attacker: SendGridKey,
          junk: str = "") -> dict[str, str]:
    """Headers that do NOT sign ``body`` with our secrets: missing, malformed, wrong key, other body, or the
    fuzzed ``junk`` value in the signature header(s)."""
    other = body + b" "
    if variant == "fuzzed":
        return {"docusign": {"X-DocuSign-Signature-1": junk, "X-DocuSign-Signature-2": junk[::-1]},
                "stripe": {"Stripe-Signature": junk},
                "sendgrid": {"X-Twilio-Email-Event-Webhook-Signature": junk,
                             "X-Twilio-Email-Event-Webhook-Timestamp": junk[:12]}}[provider]
    if provider == "docusign":
        good = docusign_headers(other, DOCUSIGN_KEYS[0])["X-DocuSign-Signature-1"]
        return {
            "missing": {},
            "empty": {"X-DocuSign-Signature-1": ""},
            "wrong_key": docusign_headers(body, "attacker-key"),
            "other_body": {"X-DocuSign-Signature-1": good},
            "truncated": {"X-DocuSign-Signature-1": good[:-4]},
            "hex_digest": {"X-DocuSign-Signature-1": hmac.new(DOCUSIGN_KEYS[0].encode(), body,
                                                              hashlib.sha256).hexdigest()},
            "wrong_header": {"X-DocuSign-Sig-1": docusign_headers(body, DOCUSIGN_KEYS[0])["X-DocuSign-Signature-1"]},
            "key_as_signature": {"X-DocuSign-Signature-1": base64.b64encode(DOCUSIGN_KEYS[0].encode()).decode()},
        }.get(variant, {})
    if provider == "stripe":
        ts = int(time.time())

        def v1(secret: str, t: int | str, content: bytes) -> str:
            return hmac.new(secret.encode(), f"{t}.".encode() + content, hashlib.sha256).hexdigest()

        return {
            "missing": {},
            "garbage": {"Stripe-Signature": "garbage"},
            "wrong_secret": {"Stripe-Signature": f"t={ts},v1={v1('whsec_attacker', ts, body)}"},
            "other_body": {"Stripe-Signature": f"t={ts},v1={v1(STRIPE_SECRET, ts, other)}"},
            "other_timestamp": {"Stripe-Signature": f"t={ts + 1},v1={v1(STRIPE_SECRET, ts, body)}"},
            "many_wrong_v1": {"Stripe-Signature": f"t={ts}," + ",".join(f"v1={i:064x}" for i in range(5_000))},
            "timestamp_overflow": {"Stripe-Signature": f"t={'9' * 400},v1={v1('whsec_attacker', 1, body)}"},
            "negative_timestamp": {"Stripe-Signature": f"t=-1,v1={v1('whsec_attacker', -1, body)}"},
            "v0_only": {"Stripe-Signature": f"t={ts},v0={v1(STRIPE_SECRET, ts, body)}"},
            "no_timestamp": {"Stripe-Signature": f"v1={v1(STRIPE_SECRET, ts, body)}"},
        }.get(variant, {})
    genuine = sendgrid.headers(body)
    return {
        "missing": {},
        "no_timestamp": {k: v for k, v in genuine.items() if "Timestamp" not in k},
        "other_timestamp": {**genuine, "X-Twilio-Email-Event-Webhook-Timestamp": "1"},
        "wrong_key": attacker.headers(body),
        "other_body": sendgrid.headers(other),
        "garbage": {"X-Twilio-Email-Event-Webhook-Signature": "%%%", "X-Twilio-Email-Event-Webhook-Timestamp": "1"},
        "not_der": {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"\x00" * 64).decode(),
                    "X-Twilio-Email-Event-Webhook-Timestamp": "1"},
    }.get(variant, {})


FORGED_VARIANTS = {
    "docusign": ["fuzzed", "missing", "empty", "wrong_key", "other_body", "truncated", "hex_digest", "wrong_header",
                 "key_as_signature"],
    "stripe": ["fuzzed", "missing", "garbage", "wrong_secret", "other_body", "other_timestamp", "many_wrong_v1",
               "timestamp_overflow", "negative_timestamp", "v0_only", "no_timestamp"],
    "sendgrid": ["fuzzed", "missing", "no_timestamp", "other_timestamp", "wrong_key", "other_body", "garbage",
                 "not_der"],
}


# ----------------------------------------------------------------------------------------------- rig
@dataclass
class Rig:
    """One gateway app, one recording workflow, and the signals captured on the way out."""

    http: httpx.AsyncClient
    recorder: WorkflowHandle[Any, Any]
    capture: CaptureSignals
    sendgrid: SendGridKey
    statuses: dict[int, int] = field(default_factory=dict)

    async def post(self, provider: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        response = await self.http.post(URLS[provider], content=body, headers=headers)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response

    def to_recorder(self) -> list[Sent]:
        return [s for s in self.capture.sent if s.workflow_id == self.recorder.id]


def over_limit(body: bytes) -> bool:
    return len(body) > MAX_WEBHOOK_BODY


async def recorder_history_failures(handle: WorkflowHandle[Any, Any]) -> list[str]:
    return [e.workflow_task_failed_event_attributes.failure.message async for e in handle.fetch_history_events()
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]


def as_recorded(sent: list[Sent]) -> list[Received]:
    """What the recording workflow should hold for these captured signals."""
    return [Received(signal=s.signal, payload=s.args[0].model_dump(mode="json")) for s in sent]


__all__ = ["FORGED_VARIANTS", "SIGNED_VARIANTS", "TEMPLATES", "URLS", "CaptureSignals", "Rig", "as_recorded",
           "capturing", "forge", "over_limit", "recorder_history_failures", "sign", "signal_problem"]
