"""What the fault tests share: the demo's journey with hooks at named steps, the sandbox's books, case
history, and the replay of recorded webhooks.

The journey is ``starters.demo.flow.play``, the same script ``casefac demo`` runs (parties over HTTP, staff
through the CLI's functions), so a fault test disturbs exactly what a person would exercise. ``play``
reports each step through a ``Reporter``; :class:`Script` is a reporter that runs a disturbance just before
the step whose text it names, which is the one seam we need to break things "in the middle".
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from rich.console import Console
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from casefac.case import CaseStage
from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.policy import CasePolicy
from casefac.roster import Roster
from casefac.status import CaseStatus
from sandbox.signatures import docusign_signature_headers, sendgrid_signature_headers, stripe_signature_header
from starters.demo.flow import DemoWorld, Reporter, play, verify
from starters.demo.sample import DemoCase, sample_case
from tests.conftest import eventually

Hook = Callable[[], Awaitable[None]]
T = TypeVar("T")

#: Step texts of ``play`` the tests hook into (a substring of the step's text; a hook that never ran fails).
REVIEW_REPORT = "staff approve the report"
INVOICE_AND_PAYOUT = "Stripe invoice sent and Defender paid"
PAY_INVOICE = "the Advocate pays on the Stripe hosted invoice page"
EVALUATE = "the Advocate and the Defender evaluate"
UPDATE_TASK = "the Defender updates task T1"
COMPLETE_CONTRACT = "the Advocate completes the contract"
DEFENDER_SIGNS = "the Defender signs the contract"
JIM_SIGNS = "JiM signs the contract"


# ------------------------------------------------------------------------------------------- the journey
class Script(Reporter):
    """``play``'s reporter, running ``hooks[key]`` just before the first step whose text contains ``key``.

    Output goes to a buffer (kept for failure messages), not the terminal.
    """

    def __init__(self, hooks: dict[str, Hook] | None = None) -> None:
        self.buffer = io.StringIO()
        super().__init__(Console(file=self.buffer, width=200, force_terminal=False))
        self.pending: dict[str, Hook] = dict(hooks or {})

    @asynccontextmanager
    async def step(self, stage: CaseStage, text: str) -> AsyncIterator[Callable[[str], None]]:
        for key in [k for k in self.pending if k in text]:
            await self.pending.pop(key)()
        async with super().step(stage, text) as note:
            yield note


@dataclass
class Scene:
    """One running system seen from outside: staff's Temporal client, HTTP, the sandbox and the roster."""

    client: Client
    http: httpx.AsyncClient
    sandbox_url: str
    staff_email: str
    roster: Roster
    policy: CasePolicy = field(default_factory=CasePolicy)

    @property
    def sandbox(self) -> SandboxBooks:
        return SandboxBooks(self.http, self.sandbox_url)

    def new_case(self) -> DemoCase:
        """A fresh demo case (new case id, new Advocate: the one-time agreement is part of every journey)."""
        return sample_case(self.roster)

    async def run(self, case: DemoCase, hooks: dict[str, Hook] | None = None) -> CaseStatus:
        """All five steps of ``case`` with ``hooks``; the closed status, after ``verify``'s own checks."""
        world = DemoWorld(client=self.client, http=self.http, sandbox_url=self.sandbox_url,
                          staff_email=self.staff_email, policy=self.policy)
        script = Script(hooks)
        with script:
            try:
                status = await play(world, case, script)
            except BaseException as exc:
                exc.add_note(f"journey so far:\n{script.buffer.getvalue()}")
                raise
        assert not script.pending, f"steps never reached, so these disturbances never ran: {list(script.pending)}"
        assert status.case_id == case.case_id, "play renumbered the case (id collision); rerun"
        problems = await verify(world, status)
        assert not problems, problems
        return status

    async def status(self, case_id: str) -> CaseStatus:
        return await self.client.get_workflow_handle(case_workflow_id(case_id)).query("status",
                                                                                      result_type=CaseStatus)

    async def status_if_up(self, case_id: str) -> CaseStatus | None:
        """The status, or None while Temporal (or the worker answering queries) is not back yet."""
        try:
            return await self.status(case_id)
        except Exception:  # RPCError, connection refused, query timeout: all "not yet"
            return None


# ------------------------------------------------------------------------------------- the sandbox's books
@dataclass(frozen=True)
class Books:
    """Every provider object the sandbox holds for one case (and its Advocate)."""

    envelopes: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    items: list[dict[str, Any]]
    transfers: list[dict[str, Any]]
    mails: list[dict[str, Any]]

    def assert_one_of_each(self) -> None:
        """One agreement envelope and one contract envelope, one customer, one invoice with each line once,
        one transfer, and no email sent twice for the same idempotency key."""
        kinds = sorted(_custom_field(e, "step") or "?" for e in self.envelopes)
        assert len(self.envelopes) == 2, f"expected the agreement and the contract envelope, found {kinds}"
        assert len(self.customers) == 1, [c["id"] for c in self.customers]
        assert len(self.invoices) == 1, [(i["id"], i["status"]) for i in self.invoices]
        lines = [str((i.get("metadata") or {}).get("line")) for i in self.items]
        assert len(lines) == len(set(lines)), f"an invoice line was added twice: {sorted(lines)}"
        assert len(self.transfers) == 1, [t["id"] for t in self.transfers]
        keys = [(m.get("custom_args") or {}).get("idempotency_key") for m in self.mails]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        assert not twice, f"emails sent twice: {twice}"


class SandboxBooks:
    """The sandbox's admin API (``/_sandbox/...``): faults, listings, webhook deliveries."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def _get(self, path: str, **params: Any) -> Any:
        response = await self.http.get(self.base_url + path, params=params)
        response.raise_for_status()
        return response.json()

    async def fault(self, route: str, *, status: int | None = 500, delay: float = 0.0, count: int = 1) -> None:
        """The next ``count`` calls matching ``route`` ("METHOD path-regex") wait ``delay`` s, then answer
        ``status`` (``None``: then go through, just late)."""
        response = await self.http.post(f"{self.base_url}/_sandbox/faults", json={
            "route": route, "status": status, "delay_seconds": delay, "count": count})
        response.raise_for_status()

    async def faults(self) -> list[dict[str, Any]]:
        return list(await self._get("/_sandbox/faults"))

    async def clear_faults(self) -> None:
        (await self.http.delete(f"{self.base_url}/_sandbox/faults")).raise_for_status()

    async def listing(self, table: str) -> list[dict[str, Any]]:
        return list(await self._get(f"/_sandbox/{table}"))

    async def invoices_of(self, case_id: str) -> list[dict[str, Any]]:
        return [i for i in await self.listing("invoices") if (i.get("metadata") or {}).get("case_id") == case_id]

    async def deliveries(self) -> list[dict[str, Any]]:
        return list(await self._get("/_sandbox/webhooks"))

    async def redeliver(self) -> int:
        response = await self.http.post(f"{self.base_url}/_sandbox/webhooks/redeliver")
        response.raise_for_status()
        return int(response.json()["redelivering"])

    async def books(self, case: DemoCase) -> Books:
        wid, adv = case_workflow_id(case.case_id), case.request.advocate.id
        envelopes = [e for e in await self.listing("envelopes")
                     if _custom_field(e, "workflow_id") in (wid, advocate_workflow_id(adv))]
        customers = [c for c in await self.listing("customers") if (c.get("metadata") or {}).get("advocate_id") == adv]
        invoices = await self.invoices_of(case.case_id)
        ids = {i["id"] for i in invoices}
        items = [i for i in await self.listing("invoiceitems") if i.get("invoice") in ids]
        transfers = [t for t in await self.listing("transfers") if t.get("transfer_group") == wid]
        mails = list(await self._get("/_sandbox/mail", custom_args=f"case_id={case.case_id}"))
        return Books(envelopes, customers, invoices, items, transfers, mails)


def _custom_field(envelope: dict[str, Any], name: str) -> str | None:
    """A text custom field of a sandbox envelope (the e-sign activity sets ``workflow_id``, ``step``…)."""
    fields = (envelope.get("customFields") or {}).get("textCustomFields") or []
    return next((str(f.get("value")) for f in fields if f.get("name") == name), None)


# ------------------------------------------------------------------------------------------ case history
@dataclass(frozen=True)
class Attempt:
    """One activity as history records it: the attempt that ran last and the failure before it."""

    activity: str
    attempt: int
    last_failure: str


async def attempts(client: Client, workflow_id: str) -> list[Attempt]:
    """Every started activity in ``workflow_id``'s history (all runs of it), in order.

    History records only the attempt that finished, with the previous attempt's failure: an attempt above 1
    is the proof that Temporal retried. Failure texts are encrypted like payloads; the client decodes them.
    """
    handle = client.get_workflow_handle(workflow_id)
    types: dict[int, str] = {}
    found: list[Attempt] = []
    event: HistoryEvent
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            types[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif event.HasField("activity_task_started_event_attributes"):
            started = event.activity_task_started_event_attributes
            failure = ""
            if started.HasField("last_failure"):
                error = await client.data_converter.decode_failure(started.last_failure)
                failure = f"{type(error).__name__}: {getattr(error, 'message', error)}"
            found.append(Attempt(types.get(started.scheduled_event_id, "?"), started.attempt, failure))
    return found


def retried(found: Iterable[Attempt], activity: str) -> list[Attempt]:
    return [a for a in found if a.activity == activity and a.attempt > 1]


async def open_timers(client: Client, workflow_id: str) -> set[str]:
    """Timer ids started in history and neither fired nor cancelled yet: what the server must keep."""
    started: set[str] = set()
    event: HistoryEvent
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("timer_started_event_attributes"):
            started.add(event.timer_started_event_attributes.timer_id)
        elif event.HasField("timer_fired_event_attributes"):
            started.discard(event.timer_fired_event_attributes.timer_id)
        elif event.HasField("timer_canceled_event_attributes"):
            started.discard(event.timer_canceled_event_attributes.timer_id)
    return started


# ------------------------------------------------------------------------------------- webhook replays
@dataclass(frozen=True)
class WebhookSigner:
    """Signs a recorded delivery again as its provider would (fresh signature and timestamp)."""

    docusign_keys: list[str]
    stripe_secret: str
    sendgrid_key: ec.EllipticCurvePrivateKey

    def request(self, delivery: dict[str, Any]) -> tuple[str, bytes, dict[str, str]]:
        payload, provider = delivery["payload"], delivery["provider"]
        headers = {"Content-Type": "application/json"}
        if provider == "docusign":
            body = json.dumps({**payload, "retryCount": delivery["attempts"] + 1}).encode()
            headers |= docusign_signature_headers(body, self.docusign_keys)
        elif provider == "stripe":
            body = json.dumps(payload).encode()
            headers["Stripe-Signature"] = stripe_signature_header(body, self.stripe_secret, int(time.time()))
        else:
            body = json.dumps(payload).encode()
            headers |= sendgrid_signature_headers(body, self.sendgrid_key, int(time.time()))
        return delivery["target"], body, headers


@dataclass(frozen=True)
class Replayed:
    """One replayed delivery and the gateway's answer (``word``: its ``status`` field, e.g. "signalled")."""

    event: str
    code: int
    word: str


def concerning(deliveries: Iterable[dict[str, Any]], case: DemoCase) -> list[dict[str, Any]]:
    """The deliveries about ``case`` or its Advocate's agreement (the ids are in every payload)."""
    marks = (case.case_id, case.request.advocate.id)
    return [d for d in deliveries if any(m in json.dumps(d["payload"]) for m in marks)]


async def replay_twice_shuffled(http: httpx.AsyncClient, signer: WebhookSigner, deliveries: list[dict[str, Any]],
                                rng: random.Random, *, at_once: int = 6) -> list[Replayed]:
    """POST each delivery twice more, started in one shuffled order, ``at_once`` in flight together (as
    providers deliver: concurrently, so two copies of one event can race); the gateway's answer to each."""
    order = [d for d in deliveries for _ in range(2)]
    rng.shuffle(order)
    gate = asyncio.Semaphore(at_once)

    async def post(delivery: dict[str, Any]) -> Replayed:
        async with gate:
            url, body, headers = signer.request(delivery)
            response = await http.post(url, content=body, headers=headers)
            word = response.json().get("status") if response.headers.get("content-type") == "application/json" \
                else None
            return Replayed(f"{delivery['provider']} {delivery['event']}", response.status_code, str(word))

    return list(await asyncio.gather(*(post(d) for d in order)))


# ------------------------------------------------------------------------------------ comparing outcomes
def essence(status: CaseStatus, case: DemoCase) -> dict[str, Any]:
    """What must not depend on how the webhooks arrived: the case's facts, with this case's own ids and
    the times taken out, so two cases can be compared."""
    ids: list[str] = [case.case_id, case.request.advocate.id]
    ids += [i.invoice_id for i in status.invoices] + [i.number for i in status.invoices if i.number]
    ids += [p.reference for p in status.payouts if p.reference]
    if status.envelope:
        ids.append(status.envelope.envelope_id)
    if status.agreement.envelope_id:
        ids.append(status.agreement.envelope_id)

    def plain(text: str | None) -> str | None:
        if text is None:
            return None
        for value in sorted(ids, key=len, reverse=True):
            text = text.replace(value, "<id>")
        return text

    return {
        "stage": status.stage, "outcome": status.outcome, "agreement": status.agreement.status,
        "envelope": (status.envelope.status, sorted(status.envelope.signed)) if status.envelope else None,
        "contract": status.contract.number if status.contract else None,
        "tasks": [(t.id, t.status) for t in status.tasks],
        "reports": [(r.number, r.status) for r in status.reports],
        "invoices": [(i.status, i.amount_due, i.reminders_sent) for i in status.invoices],
        "payouts": [(p.method, p.status, p.amount) for p in status.payouts],
        "money": status.money, "evaluations_from": status.evaluations_from,
        "attention": status.attention,
        # As a multiset: a payment may be logged just before or just after the stage moves on, by a race
        # that is no fault's doing; a duplicate's extra entry still shows.
        "timeline": sorted((plain(e.event) or "", plain(e.actor) or "") for e in status.timeline),
    }


async def until(probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], what: str,
                timeout: float = 30.0) -> T:
    """``tests.conftest.eventually`` with the timeout these multi-process waits need."""
    return await eventually(probe, check, timeout=timeout, what=what)

