"""C1 on the local stack, in a real browser: the dev Temporal UI decrypts through the loopback codec service.

``casefac up`` runs as a subprocess; a workflow is started with an encrypted input (no worker needed: the
UI shows the started event's input); headless Chromium opens the workflow page and must see the decoded
text, which only the codec service can produce. The decode is in the audit log, without the text.
Skips without ``/usr/bin/chromium``, like ``tests/browser``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from casefac.temporal_client import connect_client
from tests.integration.conftest import UpProcess, stack_env

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium) missing")]
MARKER = "Decoded-by-the-loopback-codec"


class ProbeInput(BaseModel):
    note: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    data_dir = tmp_path_factory.mktemp("codec-ui") / "data"
    up = UpProcess(env=stack_env(data_dir), data_dir=data_dir)
    up.start()
    try:
        yield up
    finally:
        up.stop()


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        yield await context.new_page()
        await browser.close()


async def test_the_dev_ui_shows_decoded_payloads_through_the_loopback_codec(stack: UpProcess, page: Any) -> None:
    settings = stack.settings()
    client = await connect_client(settings)
    workflow_id = f"codec-probe-{uuid.uuid4().hex[:8]}"
    await client.start_workflow("CodecProbe", ProbeInput(note=MARKER), id=workflow_id, task_queue="codec-probe")
    codec_calls: list[tuple[str, int]] = []
    page.on("response", lambda r: codec_calls.append((r.url, r.status))
            if f":{settings.codec.port}/" in r.url else None)
    ui = f"http://127.0.0.1:{settings.temporal.ui_port}"
    await page.goto(f"{ui}/namespaces/default/workflows/{workflow_id}")
    await page.get_by_text(MARKER).first.wait_for(timeout=45_000)
    assert any(url.split("?")[0].endswith("/decode") and status == 200 for url, status in codec_calls), codec_calls
    audit = settings.data_dir / "codec-audit.jsonl"
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert any(workflow_id in entry["workflows"] and entry["outcome"] == "ok" for entry in lines)
    assert MARKER not in audit.read_text()
    await client.get_workflow_handle(workflow_id).terminate("probe done")
