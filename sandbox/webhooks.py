"""Signed webhook delivery with exponential redelivery, like the real providers.

Each delivery is stored in the state (so pending ones survive a restart). A background pump
starts due deliveries concurrently, up to ``webhook_concurrency`` at once and at most one attempt
per delivery, as the real providers do (they promise no order either, which the receivers must
and do tolerate). A non-2xx answer or a connection error schedules another attempt, so a gateway
answering 503 while Temporal is down gets the event later. Delivering one at a time would make
every webhook wait behind the slowest one in front of it: under load that queue, not the
receiver, set the signing and payment latency.
The payload is fixed at enqueue time (Stripe event id, DocuSign ``generatedDateTime``
stay stable); only signatures, timestamps and DocuSign's ``retryCount`` change per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.config import SandboxConfig
from sandbox.signatures import (
    docusign_signature_headers,
    sendgrid_signature_headers,
    stripe_signature_header,
)
from sandbox.state import SandboxState
from sandbox.util import iso_now, new_id, now_ts

log = logging.getLogger(__name__)


class WebhookDispatcher:
    """Queue + pump for outgoing provider webhooks."""

    def __init__(self, config: SandboxConfig, state: SandboxState, sendgrid_key: ec.EllipticCurvePrivateKey) -> None:
        self.config = config
        self.state = state
        self.sendgrid_key = sendgrid_key
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        # Ids of deliveries that may still be pending, so the pump never scans every delivery ever made
        # (that grew with the run: quadratic over a long benchmark). The table stays the truth.
        self._maybe_pending: set[str] = set()
        #: Set by the app when recording (:mod:`sandbox.recorder`): each delivery's first attempt is kept.
        self.recorder: Any = None

    # -- queue -------------------------------------------------------------------------
    def enqueue(
        self, provider: str, target: str | None, event: str, payload: Any, *, sign: bool = True
    ) -> dict[str, Any] | None:
        """Record a delivery and wake the pump; no target means the event is not delivered."""
        if not target:
            return None
        delivery: dict[str, Any] = {
            "id": new_id("whd"),
            "seq": self.state.next_seq(),
            "provider": provider,
            "target": target,
            "event": event,
            "payload": payload,
            "sign": sign,
            "attempts": 0,
            "last_status": None,
            "last_error": None,
            "delivered": False,
            "pending": True,
            "created": iso_now(),
            "delivered_at": None,
            "next_attempt_at": time.time(),
        }
        self.state.table("deliveries")[delivery["id"]] = delivery
        self._maybe_pending.add(delivery["id"])
        self.state.commit()
        self.wake()
        return delivery

    def redeliver_now(self) -> int:
        """Make every pending delivery due immediately; returns how many."""
        pending = [d for d in self.state.table("deliveries").values() if d["pending"]]
        for delivery in pending:
            delivery["next_attempt_at"] = time.time()
            self._maybe_pending.add(delivery["id"])
        self.wake()
        return len(pending)

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Start the pump on the running loop (called from the app lifespan)."""
        self._wake = asyncio.Event()
        self._maybe_pending = {d["id"] for d in self.state.table("deliveries").values() if d["pending"]}
        self._task = asyncio.create_task(self._pump(), name="sandbox-webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- pump --------------------------------------------------------------------------
    async def _pump(self) -> None:
        assert self._wake is not None
        in_flight: set[str] = set()
        tasks: set[asyncio.Task[None]] = set()
        slots = asyncio.Semaphore(self.config.webhook_concurrency)
        limits = httpx.Limits(max_connections=self.config.webhook_concurrency)
        async with httpx.AsyncClient(timeout=self.config.webhook_timeout_seconds, limits=limits) as client:
            try:
                while True:
                    self._wake.clear()
                    now = time.time()
                    waiting = self._waiting(in_flight)
                    due = sorted((d for d in waiting if d["next_attempt_at"] <= now), key=lambda d: d["seq"])
                    for delivery in due:
                        in_flight.add(delivery["id"])
                        task = asyncio.create_task(self._attempt_in_slot(client, slots, delivery, in_flight))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
                    later = [d["next_attempt_at"] for d in waiting if d["next_attempt_at"] > now]
                    timeout = max(0.0, min(later) - time.time()) if later else None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def _waiting(self, in_flight: set[str]) -> list[dict[str, Any]]:
        """Pending deliveries with no attempt in flight (forgetting the ids that are done or were reset)."""
        table = self.state.table("deliveries")
        waiting = []
        for delivery_id in list(self._maybe_pending):
            delivery = table.get(delivery_id)
            if delivery is None or not delivery["pending"]:
                self._maybe_pending.discard(delivery_id)
            elif delivery_id not in in_flight:
                waiting.append(delivery)
        return waiting

    async def _attempt_in_slot(
        self, client: httpx.AsyncClient, slots: asyncio.Semaphore, delivery: dict[str, Any], in_flight: set[str]
    ) -> None:
        """One attempt once a slot is free; then wake the pump so a rescheduled retry gets its timer."""
        try:
            async with slots:
                await self._attempt(client, delivery)
        finally:
            in_flight.discard(delivery["id"])
            self.wake()

    async def _attempt(self, client: httpx.AsyncClient, delivery: dict[str, Any]) -> None:
        body, headers = self._render(delivery)
        delivery["attempts"] += 1
        if self.recorder is not None and delivery["attempts"] == 1:
            self.recorder.webhook(delivery["provider"], delivery["event"], body)
        try:
            response = await client.post(delivery["target"], content=body, headers=headers)
            delivery["last_status"] = response.status_code
            delivery["last_error"] = None
            ok = 200 <= response.status_code < 300
        except Exception as exc:  # any failure (bad URL, refused, timeout) means: retry later
            delivery["last_status"] = None
            delivery["last_error"] = f"{type(exc).__name__}: {exc}"
            ok = False
        if ok:
            delivery["delivered"] = True
            delivery["pending"] = False
            delivery["delivered_at"] = iso_now()
        elif delivery["attempts"] >= self.config.webhook_max_attempts:
            delivery["pending"] = False
            log.warning("webhook %s to %s gave up", delivery["event"], delivery["target"])
        else:
            backoff = self.config.webhook_retry_base_seconds * 2 ** (delivery["attempts"] - 1)
            delivery["next_attempt_at"] = time.time() + min(backoff, self.config.webhook_retry_max_seconds)
        self.state.commit()

    def _render(self, delivery: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """Serialize and sign one attempt in the provider's own way."""
        payload = delivery["payload"]
        provider = delivery["provider"]
        headers = {"Content-Type": "application/json"}
        if provider == "docusign":
            payload = {**payload, "retryCount": delivery["attempts"]}
            body = json.dumps(payload).encode("utf-8")
            if delivery["sign"]:
                headers.update(docusign_signature_headers(body, self.config.docusign_connect_hmac_keys))
        elif provider == "stripe":
            body = json.dumps(payload, indent=2).encode("utf-8")
            headers["Stripe-Signature"] = stripe_signature_header(body, self.config.stripe_webhook_secret, now_ts())
            headers["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        else:
            body = json.dumps(payload).encode("utf-8")
            headers.update(sendgrid_signature_headers(body, self.sendgrid_key, now_ts()))
        return body, headers
