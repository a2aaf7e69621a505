"""Browser fixtures: the gateway served by uvicorn on a free loopback port (its own thread, its own Temporal
client, as in production), the real dev server and workflows, and headless Debian Chromium via Playwright.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium``. Without it these tests skip
(``make test`` installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from casefac.settings import Settings
from tests.portal.stack import ServedGateway, Stack, portal_settings, running_stack
from tests.workflow.harness import Harness

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

if not CHROMIUM.exists():
    if os.environ.get("CASEFAC_REQUIRE_BROWSER"):  # CI: a missing browser is a failed install, not a skip
        raise RuntimeError(f"{CHROMIUM} is missing but CASEFAC_REQUIRE_BROWSER is set")
    pytest.skip("headless Chromium (/usr/bin/chromium) is not installed: `apt-get install chromium` "
                "(make test installs it)", allow_module_level=True)


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


@pytest.fixture(scope="session")
def harness(stack: Stack) -> Harness:
    return stack.harness


@pytest.fixture(scope="session")
def served() -> ServedGateway:
    """The bound (not yet serving) gateway socket: its URL is the settings' public URL."""
    return ServedGateway()


@pytest.fixture(scope="session")
def settings(served: ServedGateway, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return portal_settings(Path(tmp_path_factory.mktemp("browser")), served.url)


@pytest.fixture(scope="session")
def gateway(stack: Stack, served: ServedGateway, settings: Settings) -> Iterator[ServedGateway]:
    served.start(settings, stack.client.service_client.config.target_host)
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


@pytest.fixture
async def phone(browser: Any, gateway: ServedGateway) -> AsyncIterator[Any]:
    """A fresh phone-sized page (390x844, touch) with the gateway as its base URL."""
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=gateway.url,
                                        locale="es-GT")
    page = await context.new_page()
    yield page
    await context.close()


async def shot(page: Any, name: str) -> Path:
    """Screenshot the whole page to ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


#: axe-core, vendored from the npm package (tests/browser/vendor, with its MPL-2.0 licence): never fetched.
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


async def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page as it is now, one line each (rule: first target).

    Injected through the DevTools protocol (``page.evaluate``), which the pages' strict CSP does not cover,
    so the pages are audited exactly as served.
    """
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    return await page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).slice(0, 3)}`);
        }""", AXE_TAGS)
