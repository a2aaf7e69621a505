"""Two systems to break: the in-process world (fast; no process needs to die) and the ``casefac up`` stack
with real child processes (for SIGKILL and dev-server restarts). One of each per test module that asks.

Every test leaves the sandbox without faults, whatever happened, so one test's leftovers never fail the next.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from casefac.roster import parse_roster
from casefac.temporal_client import connect_client
from starters.stack.plan import settings_with
from starters.stack.spec import load_spec
from starters.stack.up import LocalStack
from tests.e2e.world import World, real_world
from tests.faults.kit import Scene
from tests.faults.proxy import LossyProxy
from tests.faults.stack import FaultStack
from tests.portal.stack import STAFF_EMAIL


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """The e2e world (dev server in memory, sandbox, gateway, real activities, codec) for this module."""
    async with real_world(Path(tmp_path_factory.mktemp("fault-world"))) as running:
        yield running


@pytest.fixture(scope="module")
async def lossy(world: World) -> AsyncIterator[LossyProxy]:
    """The world's workers reach Stripe and DocuSign through a :class:`LossyProxy` (SendGrid stays direct:
    a mail whose acceptance was lost is sent again, by design; see ``activities/mail.py``)."""
    proxy = LossyProxy(world.sandbox.base_url).start()
    try:
        await world.stop_workers()
        s = world.settings
        world.settings = s.model_copy(update={
            "stripe": s.stripe.model_copy(update={"api_base": proxy.url}),
            "docusign": s.docusign.model_copy(update={"host": f"{proxy.url}/restapi"})})
        await world.start_workers(world.harness.client)
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
async def world_scene(world: World, lossy: LossyProxy) -> AsyncIterator[Scene]:
    """The world as the journey sees it; no fault or lost answer outlives the test."""
    scene = Scene(client=world.harness.client, http=world.parties.http, sandbox_url=world.sandbox.base_url,
                  staff_email=STAFF_EMAIL,
                  roster=parse_roster(world.settings.roster_file.read_text(encoding="utf-8")))
    try:
        yield scene
    finally:
        lossy.clear()
        await scene.sandbox.clear_faults()


@pytest.fixture(scope="module")
async def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FaultStack]:
    """``casefac up``'s stack on free ports in a temporary data dir, as ``casefac demo`` starts a private one;
    its output goes to ``up.log`` beside the data dir, each child's to ``data/logs/<child>.log``."""
    data_dir = tmp_path_factory.mktemp("fault-stack") / "data"
    with pytest.MonkeyPatch.context() as env, open(data_dir.parent / "up.log", "w", encoding="utf-8") as log:
        for name in [k for k in os.environ if k.startswith("CASEFAC_")]:  # children inherit the environment
            env.delenv(name)
        base = settings_with({"CASEFAC_DATA_DIR": str(data_dir)})
        async with LocalStack(base, load_spec(), console=Console(file=log, width=200), free_ports=True,
                              record=False) as stack:
            client = await connect_client(stack.settings, identity="fault-tests")
            async with httpx.AsyncClient(timeout=30) as http:
                yield FaultStack(stack, client, http)


@pytest.fixture
async def stack_scene(fault_stack: FaultStack) -> AsyncIterator[Scene]:
    """The stack as the journey sees it; afterwards no faults, and every child running again."""
    scene = fault_stack.scene
    try:
        yield scene
    finally:
        await scene.sandbox.clear_faults()
        await fault_stack.heal()
