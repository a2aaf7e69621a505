"""Webhook → signal delivery, and the mapping from Temporal's answers to HTTP answers for providers.

Providers retry on any non-2xx, so the status code is the whole contract:
- delivered, or the workflow is gone (finished, or never existed: a stale event) → 200, so the provider
  stops; retrying could never succeed.
- Temporal unreachable, overloaded or slow → 503, so the provider retries later and nothing is lost.
- anything else unexpected → 500 (also retried), logged with the exception.
Deduplication is the workflow's job (it remembers event ids); the gateway only passes ids through stably.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel
from starlette.responses import JSONResponse
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from casefac.settings import Settings
from gateway.httputil import answer

log = logging.getLogger(__name__)

#: Returns a connected client; may raise when Temporal is down (the gateway then answers 503).
ClientProvider = Callable[[], Awaitable[Client]]

#: Webhook targets: only our two workflow types, ids that carry no personal data (DESIGN §6).
WORKFLOW_ID = re.compile(r"(case|advocate)-[A-Z0-9-]+")
MAX_WORKFLOW_ID = 200

#: Temporal said "not now": the provider should retry later.
_TRANSIENT = frozenset({
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.ABORTED,
})


class SignalOutcome(enum.Enum):
    DELIVERED = "signalled"
    STALE = "stale"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


def valid_workflow_id(value: object) -> str | None:
    """``value`` when it is a routable workflow id, else ``None`` (never signal an arbitrary workflow)."""
    if isinstance(value, str) and len(value) <= MAX_WORKFLOW_ID and WORKFLOW_ID.fullmatch(value):
        return value
    return None


@dataclass(frozen=True)
class Gateway:
    """What every router needs: settings, the (lazy) Temporal client, and how long a signal may take.

    ``signal_timeout`` is kept well below providers' delivery timeouts, so a slow Temporal yields our
    explicit 503 (retry later) rather than a provider-side timeout.
    """

    settings: Settings
    clients: ClientProvider
    signal_timeout: float = 8.0

    async def signal(self, workflow_id: str, signal: str, payload: BaseModel, *, ref: str) -> SignalOutcome:
        """Signal ``workflow_id``; ``ref`` names the provider event in logs (ids only, no personal data)."""
        try:
            async with asyncio.timeout(self.signal_timeout):
                try:
                    client = await self.clients()
                except Exception as exc:  # connect failures surface as RuntimeError from the SDK
                    log.warning("signal %s to %s (%s): cannot reach Temporal (%s)", signal, workflow_id, ref,
                                type(exc).__name__)
                    return SignalOutcome.UNAVAILABLE
                await client.get_workflow_handle(workflow_id).signal(signal, payload)
        except TimeoutError:
            log.warning("signal %s to %s (%s) timed out after %.1fs", signal, workflow_id, ref,
                        self.signal_timeout)
            return SignalOutcome.UNAVAILABLE
        except RPCError as exc:
            return _rpc_outcome(exc, f"signal {signal} to {workflow_id} ({ref})")
        except Exception:  # e.g. the codec failing to encrypt: a bug or misconfiguration, not an outage
            log.exception("signal %s to %s (%s) failed", signal, workflow_id, ref)
            return SignalOutcome.FAILED
        log.info("signalled %s to %s (%s)", signal, workflow_id, ref)
        return SignalOutcome.DELIVERED


def _rpc_outcome(exc: RPCError, what: str) -> SignalOutcome:
    if exc.status == RPCStatusCode.NOT_FOUND:
        log.info("%s: workflow not found or closed; stale event acknowledged", what)
        return SignalOutcome.STALE
    if exc.status in _TRANSIENT:
        log.warning("%s: Temporal unavailable (%s)", what, exc.status.name)
        return SignalOutcome.UNAVAILABLE
    log.error("%s failed: %s %s", what, exc.status.name, exc.message)
    return SignalOutcome.FAILED


def outcome_response(outcome: SignalOutcome) -> JSONResponse:
    """The HTTP answer for one signal's outcome (see the module docstring for why)."""
    if outcome is SignalOutcome.UNAVAILABLE:
        return answer(503, outcome.value, headers={"Retry-After": "30"})
    if outcome is SignalOutcome.FAILED:
        return answer(500, outcome.value)
    return answer(200, outcome.value)
