"""Attacks on the public edge (review M3, m1, m2, m3, m4, m9), each refused by the gateway alone.

No Temporal here: every request below must be answered before a workflow would be reached (the client
provider raises if anything tries).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from casefac.keyring import KeyRing
from casefac.settings import Settings
from gateway.app import create_app
from tests.gateway.gateway_kit import (
    DOCUSIGN_KEYS,
    SendGridKey,
    docusign_body,
    docusign_headers,
    gateway_settings,
    sendgrid_event,
)


async def _no_temporal() -> Client:
    raise RuntimeError("this request must not reach Temporal")


def _client(settings: Settings, *, client: tuple[str, int] = ("127.0.0.1", 50000),
            base_url: str = "http://gateway.test") -> httpx.AsyncClient:
    app = create_app(settings, _no_temporal)
    transport = httpx.ASGITransport(app=app, client=client, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest.fixture
def edge_settings(tmp_path: Path, sendgrid_key: SendGridKey) -> Settings:
    return gateway_settings(tmp_path, sendgrid_key, KeyRing.generate("edge-key"))


BASELINE = {"referrer-policy": "no-referrer", "x-content-type-options": "nosniff", "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin", "cache-control": "no-store"}


def _assert_baseline(response: httpx.Response) -> None:
    for name, value in BASELINE.items():
        assert response.headers.get(name) == value, (response.status_code, name, response.headers.get(name))
    csp = response.headers["content-security-policy"]
    assert "frame-src 'none'" in csp and "form-action 'self' https://*.docusign.net https://*.docusign.com" in csp
    assert "permissions-policy" in response.headers


async def test_every_response_carries_the_security_headers(edge_settings: Settings) -> None:
    """404, 405, JSON answers and refusal pages alike: a token URL must never leak in a Referer."""
    async with _client(edge_settings) as http:
        answers = [await http.get("/no-such-page"), await http.put("/p/anything"), await http.get("/p/anything"),
                   await http.post("/webhooks/docusign", content=b"{}"), await http.get("/healthz")]
    assert [a.status_code for a in answers] == [404, 405, 403, 401, 200]
    for response in answers:
        _assert_baseline(response)
    assert "strict-transport-security" not in answers[0].headers  # plain http locally


async def test_a_crash_still_carries_the_headers(edge_settings: Settings) -> None:
    app = create_app(edge_settings, _no_temporal)

    async def boom(request: object) -> None:
        raise RuntimeError("boom")

    app.add_route("/boom", boom)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://gateway.test") as http:
        response = await http.get("/boom")
    assert response.status_code == 500 and "boom" not in response.text
    _assert_baseline(response)


async def test_live_mode_adds_hsts(edge_settings: Settings) -> None:
    live = edge_settings.model_copy(update={"mode": "live"})
    async with _client(live, base_url="http://127.0.0.1") as http:
        response = await http.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_a_rebinding_host_is_refused(edge_settings: Settings) -> None:
    """Review m9: a web page whose own domain resolves to 127.0.0.1 must not read the gateway."""
    async with _client(edge_settings, base_url="http://attacker.example") as http:
        response = await http.get("/healthz")
    assert response.status_code == 400
    async with _client(edge_settings, base_url="http://localhost:8400") as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_healthz_says_only_ok_to_the_internet(edge_settings: Settings) -> None:
    """Review m4: no Temporal address or namespace, and no RPC per hit, for a public caller."""
    async with _client(edge_settings, client=("203.0.113.7", 40000)) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    async with _client(edge_settings) as http:  # loopback, but through a proxy: public too
        proxied = await http.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert proxied.json() == {"status": "ok"}


async def test_healthz_details_for_loopback_are_cached(edge_settings: Settings) -> None:
    calls = 0

    async def counting() -> Client:
        nonlocal calls
        calls += 1
        raise RuntimeError("down")

    app = create_app(edge_settings, counting)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        bodies = [(await http.get("/healthz")).json() for _ in range(5)]
    assert all(b["temporal"]["reachable"] is False for b in bodies) and calls == 1


async def test_a_replayed_sendgrid_batch_is_refused(edge_settings: Settings, sendgrid_key: SendGridKey) -> None:
    """Review m2: SendGrid signs ``timestamp + payload``; a captured batch must not verify forever."""
    body = json.dumps([sendgrid_event("bounce", "JIM-2026-0001", "sg-replay", type="bounce")]).encode()
    async with _client(edge_settings) as http:
        old = await http.post("/webhooks/sendgrid", content=body,
                              headers=sendgrid_key.headers(body, timestamp=int(time.time()) - 11 * 60))
        future = await http.post("/webhooks/sendgrid", content=body,
                                 headers=sendgrid_key.headers(body, timestamp=int(time.time()) + 10 * 60))
    assert (old.status_code, future.status_code) == (401, 401)


async def test_a_replayed_connect_delivery_is_dropped(edge_settings: Settings) -> None:
    """Review m2: ``generatedDateTime`` is inside the signed body; past Connect's retry horizon it is a replay."""
    body = docusign_body("case-JIM-2026-0001", generated="2026-01-28T10:00:00.1234567Z")
    async with _client(edge_settings) as http:
        response = await http.post("/webhooks/docusign", content=body,
                                   headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    assert response.status_code == 200 and response.json()["status"] == "too_old"


async def test_webhooks_take_json_only_and_small_bodies(edge_settings: Settings, sendgrid_key: SendGridKey) -> None:
    """Review m3: the provider sends JSON; anything else is refused, and bodies are capped per provider."""
    body = docusign_body("case-JIM-2026-0001")
    headers = {**docusign_headers(body, DOCUSIGN_KEYS[0]), "Content-Type": "text/plain"}
    big = b"[" + b" " * (1024 * 1024) + b"]"
    async with _client(edge_settings) as http:
        plain = await http.post("/webhooks/docusign", content=body, headers=headers)
        huge = await http.post("/webhooks/sendgrid", content=big, headers=sendgrid_key.headers(big))
    assert plain.status_code == 415 and huge.status_code == 413


async def test_a_signed_flood_of_problem_events_is_refused_whole(edge_settings: Settings,
                                                                 sendgrid_key: SendGridKey) -> None:
    """Review m3: a signed batch signalling thousands of cases one by one would outlast SendGrid's timeout."""
    events = [sendgrid_event("bounce", f"JIM-2026-{i:04d}", f"sg-{i}", type="bounce") for i in range(1000)]
    body = json.dumps(events).encode()
    async with _client(edge_settings) as http:
        response = await http.post("/webhooks/sendgrid", content=body, headers=sendgrid_key.headers(body))
    assert response.status_code == 413


async def test_the_sandbox_refuses_a_rebinding_host_too() -> None:
    """Review m9: a page on a rebinding domain must not read the sandbox outbox (live portal links)."""
    from sandbox.app import create_app as sandbox_app

    app = sandbox_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://attacker.example") as http:
        assert (await http.get("/outbox")).status_code == 400
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8300") as http:
        assert (await http.get("/outbox")).status_code == 200
