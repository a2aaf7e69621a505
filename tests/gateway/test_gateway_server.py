"""``gateway.server``: the real uvicorn server, its settings-built Temporal client, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client

from casefac.keyring import KeyRingError
from casefac.settings import Settings
from gateway.server import build_server
from tests.gateway.gateway_kit import DOCUSIGN_KEYS, StartRecorder, docusign_body, docusign_headers, wait_for_signals


async def _serving(settings: Settings) -> AsyncIterator[str]:
    server = build_server(settings)
    server.config.port = 0  # any free port
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def live_gateway(settings: Settings, temporal_client: Client) -> AsyncIterator[str]:
    address = temporal_client.service_client.config.target_host
    wired = settings.model_copy(update={"temporal": settings.temporal.model_copy(update={"address": address})})
    async for url in _serving(wired):
        yield url


async def test_served_gateway_signals_through_its_own_client(
    live_gateway: str, start_recorder: StartRecorder
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = docusign_body(handle.id)
    async with httpx.AsyncClient(base_url=live_gateway) as http:
        health = await http.get("/healthz")
        assert health.json()["temporal"]["reachable"] is True
        response = await http.post("/webhooks/docusign", content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.payload["kind"] == "recipient_completed"


async def test_served_gateway_without_temporal_answers_503(settings: Settings) -> None:
    down = settings.model_copy(update={"temporal": settings.temporal.model_copy(update={"address": "127.0.0.1:1"})})
    body = docusign_body("case-JIM-2026-0001")
    async for url in _serving(down):
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/healthz")).json()["temporal"]["reachable"] is False
            response = await http.post("/webhooks/docusign", content=body,
                                       headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
            assert response.status_code == 503


def test_missing_key_ring_stops_start_up(settings: Settings) -> None:
    with pytest.raises(KeyRingError, match="does not exist"):
        build_server(settings.model_copy(update={"keyring_file": settings.data_dir / "absent.json"}))
