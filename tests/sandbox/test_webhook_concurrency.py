"""Concurrent webhook delivery: a slow receiver holds up no one, order with one slot, one attempt per delivery.

The dispatcher is built directly (config, state, SendGrid key) and pumps on the test's own event loop, as
does the receiver: a small HTTP/1.1 server whose answers the tests control with ``asyncio.Event`` gates,
so "still in flight" is a fact held by the test, not a timing guess. Every wait is on a condition.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.config import SandboxConfig
from sandbox.state import SandboxState
from sandbox.webhooks import WebhookDispatcher
from tests.conftest import eventually

MakeDispatcher = Callable[..., Awaitable[WebhookDispatcher]]


@pytest.fixture(autouse=True)
def _clean() -> None:
    """Overrides the package's autouse reset: these tests build their own dispatcher and need no sandbox."""


class Receiver:
    """Webhook target on a free loopback port, served on the running loop.

    Per path: ``gate(path)`` holds requests until the returned event is set; ``fail_first(path, n)`` answers
    503 to the first ``n``. Per delivery (the payload's ``id``): arrival order, answers, and how many of
    its requests were in progress at once (``active``/``peak``); ``peak_total`` over all deliveries.
    """

    def __init__(self) -> None:
        self.arrivals: list[str] = []
        self.answers: dict[str, list[int]] = {}
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.active_total = 0
        self.peak_total = 0
        self._gates: dict[str, asyncio.Event] = {}
        self._failures: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def gate(self, path: str) -> asyncio.Event:
        self._gates[path] = asyncio.Event()
        return self._gates[path]

    def fail_first(self, path: str, count: int) -> None:
        self._failures[path] += count

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for gate in self._gates.values():
            gate.set()
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:  # keep-alive: one request after another on this connection
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                path = request_line.split(" ")[1]
                headers = dict(line.split(":", 1) for line in header_lines if line)
                lengths = [v for k, v in headers.items() if k.strip().lower() == "content-length"]
                body = await reader.readexactly(int(lengths[0]) if lengths else 0)
                status = await self._answer(path, json.loads(body))
                reason = HTTPStatus(status).phrase
                writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, path: str, payload: dict[str, Any]) -> int:
        key = str(payload["id"])
        self.arrivals.append(key)
        self.active[key] += 1
        self.peak[key] = max(self.peak[key], self.active[key])
        self.active_total += 1
        self.peak_total = max(self.peak_total, self.active_total)
        try:
            gate = self._gates.get(path)
            if gate is not None:
                await gate.wait()
            status = 200
            if self._failures[path] > 0:
                self._failures[path] -= 1
                status = 503
            self.answers.setdefault(key, []).append(status)
            return status
        finally:
            self.active[key] -= 1
            self.active_total -= 1


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


@pytest.fixture
async def dispatchers() -> AsyncIterator[MakeDispatcher]:
    """``await make(**config)``: a started dispatcher with fast retries; every one is stopped afterwards."""
    started: list[WebhookDispatcher] = []

    async def make(**overrides: Any) -> WebhookDispatcher:
        settings: dict[str, Any] = {
            "webhook_retry_base_seconds": 0.05,
            "webhook_retry_max_seconds": 0.2,
            "webhook_timeout_seconds": 30.0,  # a gated request must not time out while the test holds it
            **overrides,
        }
        key = ec.generate_private_key(ec.SECP256R1())
        dispatcher = WebhookDispatcher(SandboxConfig(**settings), SandboxState(), key)
        await dispatcher.start()
        started.append(dispatcher)
        return dispatcher

    try:
        yield make
    finally:
        for dispatcher in started:
            await dispatcher.stop()


async def until(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    async def probe() -> bool:
        return bool(predicate())

    await eventually(probe, bool, timeout=timeout, what=what)


def row(dispatcher: WebhookDispatcher, delivery: dict[str, Any] | None) -> dict[str, Any]:
    """The delivery as the state's ``deliveries`` table holds it."""
    assert delivery is not None
    return dispatcher.state.table("deliveries")[delivery["id"]]


def send(dispatcher: WebhookDispatcher, receiver: Receiver, path: str, key: str) -> dict[str, Any]:
    delivery = dispatcher.enqueue("stripe", receiver.url(path), "test.event", {"id": key, "type": "test.event"})
    assert delivery is not None
    return delivery


def test_default_concurrency_is_sixteen() -> None:
    assert SandboxConfig().webhook_concurrency == 16
    with pytest.raises(ValueError):
        SandboxConfig(webhook_concurrency=0)


async def test_slow_receiver_does_not_hold_up_the_others(receiver: Receiver, dispatchers: MakeDispatcher) -> None:
    dispatcher = await dispatchers()
    release = receiver.gate("/slow")
    slow = send(dispatcher, receiver, "/slow", "evt_slow")  # enqueued first: in a single queue it would block
    fast = send(dispatcher, receiver, "/fast", "evt_fast")

    await until(lambda: receiver.active["evt_slow"] == 1, "the slow attempt in flight")
    await until(lambda: row(dispatcher, fast)["delivered"], "the fast delivery while the slow one is held")
    assert receiver.active["evt_slow"] == 1  # still held: the fast one really went past it
    held = row(dispatcher, slow)
    assert (held["delivered"], held["pending"], held["attempts"]) == (False, True, 1)
    assert row(dispatcher, fast)["attempts"] == 1 and row(dispatcher, fast)["last_status"] == 200

    release.set()
    await until(lambda: row(dispatcher, slow)["delivered"], "the slow delivery once released")
    assert [row(dispatcher, d)["attempts"] for d in (slow, fast)] == [1, 1]
    assert not any(row(dispatcher, d)["pending"] for d in (slow, fast))
    assert sorted(receiver.arrivals) == ["evt_fast", "evt_slow"]


async def test_no_more_attempts_in_flight_than_the_limit(receiver: Receiver, dispatchers: MakeDispatcher) -> None:
    dispatcher = await dispatchers(webhook_concurrency=3)
    release = receiver.gate("/held")
    deliveries = [send(dispatcher, receiver, "/held", f"evt_{i}") for i in range(6)]

    await until(lambda: receiver.active_total == 3, "three attempts in flight")
    # The other three were started in the same pump pass as the first three, before any request could reach
    # the receiver: had they a slot, they would have counted their attempt by now.
    assert sorted(row(dispatcher, d)["attempts"] for d in deliveries) == [0, 0, 0, 1, 1, 1]

    release.set()
    await until(lambda: all(row(dispatcher, d)["delivered"] for d in deliveries), "all six delivered")
    assert receiver.peak_total == 3
    assert [row(dispatcher, d)["attempts"] for d in deliveries] == [1] * 6


async def test_one_slot_delivers_in_enqueue_order(receiver: Receiver, dispatchers: MakeDispatcher) -> None:
    dispatcher = await dispatchers(webhook_concurrency=1)
    release = receiver.gate("/first")
    first = send(dispatcher, receiver, "/first", "evt_first")
    keys = ["evt_c", "evt_a", "evt_e", "evt_b", "evt_d", "evt_g", "evt_f"]  # not sorted: order is enqueue order
    rest = [send(dispatcher, receiver, "/ordered", key) for key in keys]

    await until(lambda: receiver.active["evt_first"] == 1, "the first delivery in flight")
    assert [row(dispatcher, d)["attempts"] for d in rest] == [0] * len(rest)  # all waiting for the one slot
    release.set()
    await until(lambda: all(row(dispatcher, d)["delivered"] for d in [first, *rest]), "all delivered")

    assert receiver.arrivals == ["evt_first", *keys]
    assert receiver.peak_total == 1


async def test_a_delivery_never_has_two_attempts_in_flight(receiver: Receiver, dispatchers: MakeDispatcher) -> None:
    dispatcher = await dispatchers()
    release = receiver.gate("/held")
    held = [send(dispatcher, receiver, "/held", f"evt_held_{i}") for i in range(3)]
    await until(lambda: all(receiver.active[f"evt_held_{i}"] == 1 for i in range(3)), "three attempts in flight")

    for round_ in range(3):
        assert dispatcher.redeliver_now() == 3  # the held ones are still pending, so all due again now
        # A delivery enqueued after the redelivery is started by a pump pass that also saw the held ones due;
        # once it is delivered, any second attempt of theirs would have been started (and counted) already.
        marker = send(dispatcher, receiver, "/fast", f"evt_marker_{round_}")
        await until(lambda m=marker: row(dispatcher, m)["delivered"], f"marker {round_} delivered")
        assert [row(dispatcher, d)["attempts"] for d in held] == [1, 1, 1]
        assert all(receiver.active[f"evt_held_{i}"] == 1 for i in range(3))

    release.set()
    await until(lambda: all(row(dispatcher, d)["delivered"] for d in held), "held deliveries delivered")
    assert [row(dispatcher, d)["attempts"] for d in held] == [1, 1, 1]
    assert max(receiver.peak.values()) == 1
    assert Counter(receiver.arrivals) == Counter({**{f"evt_held_{i}": 1 for i in range(3)},
                                                  **{f"evt_marker_{i}": 1 for i in range(3)}})


async def test_failed_attempt_is_retried_until_delivered(receiver: Receiver, dispatchers: MakeDispatcher) -> None:
    dispatcher = await dispatchers()
    receiver.fail_first("/flaky", 1)
    delivery = send(dispatcher, receiver, "/flaky", "evt_flaky")

    await until(lambda: row(dispatcher, delivery)["delivered"], "delivery after one 503")
    record = row(dispatcher, delivery)
    assert (record["attempts"], record["last_status"], record["last_error"], record["pending"]) == (2, 200, None, False)
    assert receiver.answers["evt_flaky"] == [503, 200]


async def test_backed_off_delivery_waits_aside_and_redeliver_now_brings_it_forward(
    receiver: Receiver, dispatchers: MakeDispatcher
) -> None:
    dispatcher = await dispatchers(webhook_retry_base_seconds=60.0, webhook_retry_max_seconds=60.0)
    receiver.fail_first("/flaky", 1)
    flaky = send(dispatcher, receiver, "/flaky", "evt_flaky")
    first_due = flaky["next_attempt_at"]
    await until(lambda: row(dispatcher, flaky)["attempts"] == 1 and row(dispatcher, flaky)["last_status"] == 503,
                "the first attempt refused")
    assert row(dispatcher, flaky)["next_attempt_at"] >= first_due + 59  # rescheduled a minute out

    fast = send(dispatcher, receiver, "/fast", "evt_fast")  # not held up by the one waiting out its backoff
    await until(lambda: row(dispatcher, fast)["delivered"], "a later delivery meanwhile")
    assert row(dispatcher, flaky)["pending"] and row(dispatcher, flaky)["attempts"] == 1

    assert dispatcher.redeliver_now() == 1
    await until(lambda: row(dispatcher, flaky)["delivered"], "the redelivered attempt")
    assert row(dispatcher, flaky)["attempts"] == 2
    assert receiver.answers["evt_flaky"] == [503, 200]
