"""Fuzzed webhook deliveries to the gateway (real dev server, recording workflow, httpx.ASGITransport).

Properties, per provider:

- forged or unsigned, whatever the body: 401 (413 only for bodies over the size limit, which are refused
  before reading further) and not one signal sent;
- correctly signed (the fuzzed bytes signed with the right secret or key) but hostile: never a 5xx; every
  signal the gateway sends validates as its model; the recording workflow receives exactly what was sent
  and never fails a workflow task;
- with Temporal unreachable: never a 5xx other than 503 (so the provider retries);
- DocuSign: a genuine delivery generated past the retry horizon is acknowledged and dropped, a fresh one
  reaches the case (bodies carry ``generatedDateTime`` relative to now, ``strategies.generated``).

Bodies include malformed JSON, wrong JSON types at every level, 5 MB bodies, invalid UTF-8, duplicate
keys, deep nesting, lone surrogates and huge numbers; Stripe headers include hundreds of ``v1`` entries
and overflowing timestamps (see ``strategies.webhook_bodies`` and ``webhook_kit``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from hypothesis import event, given
from hypothesis import strategies as st
from temporalio.client import Client

from casefac.settings import Settings
from gateway.app import create_app
from gateway.httputil import MAX_WEBHOOK_BODY
from gateway.webhooks_docusign import EVENT_KINDS as DOCUSIGN_KINDS
from tests.fuzz import strategies as fz
from tests.fuzz.profiles import fuzz
from tests.fuzz.threads import on_loop, run_in_thread
from tests.fuzz.webhook_kit import (
    FORGED_VARIANTS,
    SIGNED_VARIANTS,
    TEMPLATES,
    CaptureSignals,
    Rig,
    as_recorded,
    capturing,
    forge,
    over_limit,
    recorder_history_failures,
    sign,
    signal_problem,
)
from tests.gateway.gateway_kit import (
    STRIPE_SECRET,
    TASK_QUEUE,
    Recorder,
    SendGridKey,
    docusign_body,
    signals_after_probe,
)

#: Hypothesis warns when it prints a multi-megabyte falsifying example; printing it is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

PROVIDERS = ["docusign", "stripe", "sendgrid"]


@pytest_asyncio.fixture
async def rig(fuzz_temporal: Client, fuzz_settings: Settings, fuzz_sendgrid_key: SendGridKey) -> AsyncIterator[Rig]:
    """A fresh gateway app and recording workflow per test, so captured and recorded signals line up."""
    capture = CaptureSignals()
    client = capturing(fuzz_temporal, capture)

    async def provider() -> Client:
        return client

    recorder = await fuzz_temporal.start_workflow(Recorder.run, id=f"case-FUZZ-{uuid.uuid4().hex[:12].upper()}",
                                                  task_queue=TASK_QUEUE, execution_timeout=timedelta(minutes=15))
    # raise_app_exceptions=False: an unhandled exception must show up as the 500 a provider would see.
    transport = httpx.ASGITransport(app=create_app(fuzz_settings, provider), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        yield Rig(http=http, recorder=recorder, capture=capture, sendgrid=fuzz_sendgrid_key)
    await recorder.terminate("fuzzing done")


def delivery(provider: str) -> st.SearchStrategy[tuple[str, bytes]]:
    """``(provider, body)`` so one test can draw the provider and a body shaped for it."""
    return st.tuples(st.just(provider), fz.webhook_bodies(TEMPLATES[provider]))


async def _forged(rig: Rig, provider: str, raw: bytes, variant: str, junk: str, attacker: SendGridKey) -> str:
    """One unsigned or forged delivery: 401 (413 if oversized) and not one signal sent."""
    body = fz.with_ids(raw, rig.recorder.id)
    before = len(rig.capture.sent)
    response = await rig.post(provider, body, forge(provider, body, variant, rig.sendgrid, attacker, junk))
    expected = 413 if over_limit(body) else 401
    assert response.status_code == expected, (variant, response.status_code, response.text[:300])
    assert len(rig.capture.sent) == before, "a forged delivery sent a signal"
    return f"{provider} {variant}: {response.status_code}"


async def test_forged_or_unsigned_deliveries_are_401_and_signal_nothing(rig: Rig) -> None:
    """Anyone can reach the webhooks: without our secret nothing may reach a case, whatever the body says."""
    loop = asyncio.get_running_loop()
    attacker = SendGridKey.generate()

    @fuzz(2.0)
    @given(st.sampled_from(PROVIDERS).flatmap(
        lambda p: st.tuples(delivery(p), st.sampled_from(FORGED_VARIANTS[p]))), fz.header_values)
    def one_delivery(case: tuple[tuple[str, bytes], str], junk: str) -> None:
        (provider, raw), variant = case
        event(on_loop(loop, _forged(rig, provider, raw, variant, junk, attacker)))

    await run_in_thread(one_delivery)
    assert await signals_after_probe(rig.recorder) == []


async def _signed(rig: Rig, provider: str, raw: bytes, variant: str) -> str:
    """One correctly signed hostile delivery: no 5xx, valid signals only, as many as the answer reports."""
    body = fz.with_ids(raw, rig.recorder.id)
    before = len(rig.capture.sent)
    response = await rig.post(provider, body, sign(provider, body, variant, rig.sendgrid))
    assert response.status_code < 500, f"{provider} answered {response.status_code}: {response.text[:300]}"
    if over_limit(body):
        assert response.status_code == 413
    new = rig.capture.sent[before:]
    problems = [p for s in new if (p := signal_problem(s))]
    assert not problems, problems
    answer: dict[str, Any] = response.json() if response.headers.get("content-type") == "application/json" else {}
    if response.status_code != 200:
        assert not new, f"{response.status_code} but {len(new)} signal(s) sent"
    elif provider == "sendgrid":
        assert len(new) == answer.get("signalled", 0) + answer.get("stale", 0), (answer, len(new))
    else:
        assert len(new) == (answer.get("status") in ("signalled", "stale")), (answer, len(new))
    return f"{provider}: {response.status_code} {answer.get('status', '')}"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_signed_hostile_deliveries_are_never_5xx(rig: Rig, provider: str) -> None:
    """Providers retry any 5xx for days: a body we cannot use must get a 4xx (or 200 ignored), never a 500."""
    loop = asyncio.get_running_loop()
    outcomes: Counter[str] = Counter()

    @fuzz(2.0)
    @given(raw=fz.webhook_bodies(TEMPLATES[provider]), variant=st.sampled_from(SIGNED_VARIANTS[provider]))
    def one_delivery(raw: bytes, variant: str) -> None:
        outcome = on_loop(loop, _signed(rig, provider, raw, variant))
        outcomes[outcome] += 1
        event(outcome)

    await run_in_thread(one_delivery)
    print(f"{provider}: {sorted(outcomes.items())}, {len(rig.to_recorder())} signal(s) to the recorder")
    # What the gateway sent is exactly what the recording workflow holds, and it never failed a task.
    assert await signals_after_probe(rig.recorder) == as_recorded(rig.to_recorder())
    assert await recorder_history_failures(rig.recorder) == []
    # The run went past the checks into the signal path (a fixed ``generatedDateTime`` once left DocuSign's
    # deliveries all dropped as replays), and for DocuSign through the replay horizon both ways.
    assert rig.to_recorder(), f"no {provider} delivery reached the case: {sorted(outcomes.items())}"
    if provider == "docusign":
        assert outcomes["docusign: 200 signalled"] > 0 and outcomes["docusign: 200 too_old"] > 0, outcomes


async def _at_age(rig: Rig, event_name: str, ago: int, style: str) -> str:
    """One genuine delivery generated ``ago`` seconds back: dropped past the horizon, signalled inside it."""
    generated = fz.connect_time(ago, style)
    body = docusign_body(rig.recorder.id, event=event_name, envelope_id="env-horizon", generated=generated)
    before = len(rig.capture.sent)
    response = await rig.post("docusign", body, sign("docusign", body, "both", rig.sendgrid))
    new = rig.capture.sent[before:]
    assert response.status_code == 200, (generated, response.text)
    if ago > fz.DOCUSIGN_HORIZON_SECONDS:
        assert response.json()["status"] == "too_old" and not new, (generated, response.text, new)
        return "dropped"
    assert response.json()["status"] == "signalled" and len(new) == 1, (generated, response.text, new)
    signal = new[0].args[0]
    assert signal.kind == DOCUSIGN_KINDS[event_name] and signal.at is not None, signal
    at = signal.at if signal.at.tzinfo else signal.at.replace(tzinfo=UTC)  # naive: read as UTC
    assert abs((datetime.now(UTC) - at).total_seconds() - ago) < 120, (generated, signal.at)
    return "signalled"


async def test_docusign_deliveries_past_the_horizon_are_dropped_fresh_ones_reach_the_case(rig: Rig) -> None:
    """Review m2: ``generatedDateTime`` is inside the signed body; a genuine delivery generated longer ago than
    Connect keeps retrying is a replay: 200 ``too_old`` (nobody retries it) and no signal. Inside the horizon,
    in any ISO form (Connect's 7 digits, whole seconds, an offset, no zone), it reaches the case with its time."""
    loop = asyncio.get_running_loop()
    outcomes: Counter[str] = Counter()

    @fuzz(1.0)
    @given(event_name=st.sampled_from(sorted(DOCUSIGN_KINDS)), ago=st.one_of(fz.fresh_ages, fz.stale_ages),
           style=fz.generated_styles)
    def one_delivery(event_name: str, ago: int, style: str) -> None:
        outcome = on_loop(loop, _at_age(rig, event_name, ago, style))
        outcomes[outcome] += 1
        event(outcome)

    await run_in_thread(one_delivery)
    assert outcomes["signalled"] > 0 and outcomes["dropped"] > 0, outcomes
    recorded = await signals_after_probe(rig.recorder)
    assert recorded == as_recorded(rig.to_recorder())
    assert len(recorded) == outcomes["signalled"], (len(recorded), outcomes)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_signed_hostile_deliveries_with_temporal_down_are_never_500(
        fuzz_settings: Settings, fuzz_sendgrid_key: SendGridKey, provider: str) -> None:
    """While Temporal is down the only 5xx allowed is 503 (retry later): a 500 would hide a real bug."""

    async def unreachable() -> Client:
        raise RuntimeError("Failed client connect: connection refused")

    transport = httpx.ASGITransport(app=create_app(fuzz_settings, unreachable), raise_app_exceptions=False)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        async def post(raw: bytes) -> str:
            body = fz.with_ids(raw, "case-FUZZ-DOWN")
            response = await http.post(f"/webhooks/{provider}", content=body,
                                       headers=sign(provider, body, "plain", fuzz_sendgrid_key))
            assert response.status_code < 500 or response.status_code == 503, (response.status_code, response.text)
            return f"{provider}: {response.status_code}"

        @fuzz(0.5)
        @given(raw=fz.webhook_bodies(TEMPLATES[provider]))
        def one_delivery(raw: bytes) -> None:
            event(on_loop(loop, post(raw)))

        await run_in_thread(one_delivery)


# ------------------------------------------------------------------------ deterministic edge cases
def _stripe_signed(body: bytes, timestamp: str) -> dict[str, str]:
    """A genuine Stripe signature for ``body`` at an arbitrary (possibly absurd) ``t=``."""
    digest = hmac.new(STRIPE_SECRET.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={digest}"}


@pytest.mark.parametrize("timestamp", ["9" * 400, "0", str(2**63), "-1"], ids=["400-digits", "epoch", "2^63", "-1"])
async def test_stripe_correctly_signed_timestamp_overflows_are_400(rig: Rig, timestamp: str) -> None:
    """A genuine HMAC over an absurd time is a replay or a broken clock: 400 (no retry), never 5xx or accepted."""
    body = fz.with_ids(json.dumps({"id": "evt_ts", "object": "event", "type": "invoice.paid", "data": {"object": {
        "id": "in_1", "metadata": {"workflow_id": fz.WORKFLOW_TOKEN}}}}).encode(), rig.recorder.id)
    response = await rig.post("stripe", body, _stripe_signed(body, timestamp))
    assert response.status_code == 400, response.text
    assert await signals_after_probe(rig.recorder) == []


async def test_stripe_many_v1_entries_with_the_right_one_still_verifies(rig: Rig) -> None:
    """During secret rotation Stripe sends several ``v1``: ten thousand junk ones must neither crash nor hide
    the genuine one."""
    body = fz.with_ids(json.dumps({"id": "evt_many", "object": "event", "type": "invoice.paid", "data": {"object": {
        "id": "in_many", "object": "invoice", "amount_paid": 5, "metadata": {"workflow_id": fz.WORKFLOW_TOKEN}}}}
    ).encode(), rig.recorder.id)
    ts = int(time.time())
    digest = hmac.new(STRIPE_SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    header = f"t={ts}," + ",".join(f"v1={i:064x}" for i in range(10_000)) + f",v1={digest}"
    response = await rig.post("stripe", body, {"Stripe-Signature": header, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    [got] = await signals_after_probe(rig.recorder)
    assert got.payload["event_id"] == "evt_many"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("size", [MAX_WEBHOOK_BODY, MAX_WEBHOOK_BODY + 1])
async def test_five_megabyte_bodies_are_handled_or_refused_not_crashed(rig: Rig, provider: str, size: int) -> None:
    """Exactly at the limit a valid body is read and answered; one byte over is 413 before it is buffered."""
    template = {"docusign": {"event": "envelope-sent", "data": {"envelopeId": "env-big"}},
                "stripe": {"id": "evt_big", "object": "event", "type": "invoice.created"},
                "sendgrid": [{"event": "delivered", "sg_event_id": "sg-big"}]}[provider]
    body = fz.giant(template, size)
    assert len(body) == size
    response = await rig.post(provider, body, sign(provider, body, "plain", rig.sendgrid))
    if size > MAX_WEBHOOK_BODY:
        assert response.status_code == 413, response.text[:300]
    else:
        assert response.status_code == 200, response.text[:300]  # valid JSON, just big: read and ignored
