"""A real Temporal dev server running the real workflows with in-process fake providers, for portal tests.

Shared by ``tests/portal`` (gateway app over ``httpx.ASGITransport``) and ``tests/browser`` (the same app
served by uvicorn for Chromium). The fakes send no mail, so tests mint portal links with the gateway's
``LinkSigner`` exactly as the mail activity would.
"""

from __future__ import annotations

import itertools
import random
import socket
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.agreement import AgreementActivities
from activities.signing_view import SigningViewActivities
from casefac import search_attributes as sa
from casefac.activity_io import PortalAction, TaskQueue
from casefac.converter import data_converter
from casefac.links import LinkSigner
from casefac.parties import Role
from casefac.policy import CasePolicy
from casefac.settings import DocuSignSettings, GatewaySettings, SendGridSettings, Settings, StripeSettings
from gateway.app import create_app
from gateway.client import LazyClient
from sandbox.threaded import ThreadedServer
from tests.conftest import binary
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Case, Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard
from workflows.signing_view import SigningViewWorkflow

LINK_SECRET = "portal-tests-link-secret-0123456789"
STAFF_EMAIL = "coordinators@jim.test"


@dataclass
class Stack:
    env: WorkflowEnvironment
    fakes: FakeProviders
    harness: Harness

    @property
    def client(self) -> Client:
        return self.env.client


@asynccontextmanager
async def running_stack(converter: DataConverter | None = None) -> AsyncIterator[Stack]:
    """Dev server (search attributes registered), one worker per task queue with the fake providers, and a
    case harness. Shared by the portal, browser and CLI tests; ``converter`` defaults to no codec."""
    converter = converter or data_converter(None)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                search_attributes=list(sa.ALL), data_converter=converter)
    fakes = FakeProviders()
    queues = fakes.by_queue()
    queues[TaskQueue.MAIN].append(AgreementActivities(CasePolicy()).request_agreement)
    queues[TaskQueue.MAIN].append(AgreementActivities(CasePolicy()).confirm_agreement)  # W1
    # The recipient view runs on the worker now (M7), against the DocuSign the gateway settings name.
    queues[TaskQueue.ESIGN].append(SigningViewActivities(DocuSignSettings()).create_signing_view)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(env.shutdown)
        for queue, acts in queues.items():
            await stack.enter_async_context(Worker(
                env.client, task_queue=queue, activities=acts, activity_executor=ThreadPoolExecutor(4),
                workflows=[CaseFacilitationWorkflow, AdvocateWorkflow, SigningViewWorkflow]
                if queue == TaskQueue.MAIN else [],
                workflow_runner=workflow_runner(), interceptors=[CasefacGuard()]))
        # A random block of case numbers: ids never collide with a dev server reused by hand.
        numbers = itertools.count(random.randint(1000, 90000))
        harness = Harness(env=env, client=env.client, fakes=fakes, policy=CasePolicy(),
                          run=uuid.uuid4().hex[:6].upper(), numbers=numbers)
        yield Stack(env=env, fakes=fakes, harness=harness)


def portal_settings(data_dir: Path, public_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
        data_dir=data_dir,
        sendgrid=SendGridSettings(staff_email=STAFF_EMAIL),
        # Not the public development secrets: the gateway's URL is not loopback (M6 refuses those then).
        stripe=StripeSettings(webhook_secret=SecretStr("whsec_portal-tests-0123456789abcdefghijklmnop")),
        docusign=DocuSignSettings(connect_hmac_keys=[SecretStr("portal-tests-connect-key-0123456789")]),
        gateway=GatewaySettings(public_url=public_url, link_secret=SecretStr(LINK_SECRET), link_ttl_hours=24,
                                link_ttl_hours_by_action={}),
    )


def link_signer(settings: Settings) -> LinkSigner:
    return LinkSigner.from_settings(settings.gateway)


def link(settings: Settings, case: Case, action: str, role: Role = Role.DEFENDER, *,
         now: datetime | None = None) -> str:
    """The portal path (``/p/<token>``) the case's email would carry for ``role``."""
    party = {Role.DEFENDER: case.defender_id or "", Role.ADVOCATE: case.req.advocate.id,
             Role.STAFF: "coordinators"}[role]
    granted = PortalAction(action=action, role=role, party_id=party, case_id=case.case_id)  # type: ignore[arg-type]
    return "/p/" + link_signer(settings).token(granted, now or datetime.now(UTC))


class ServedGateway:
    """The gateway app under uvicorn in a daemon thread, on a loopback socket bound up front.

    Binding first gives the URL before anything starts (the sandbox and the links need it) and leaves no
    port race. The thread runs its own event loop with its own lazily connected Temporal client, as the
    real gateway process does.
    """

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: ThreadedServer | None = None

    def start(self, settings: Settings, temporal_target: str, *,
              converter: DataConverter | None = None) -> ServedGateway:
        converter = converter or data_converter(None)

        async def connect() -> Client:
            return await Client.connect(temporal_target, data_converter=converter)

        app = create_app(settings, LazyClient(connect), codec=converter.payload_codec)
        self.server = ThreadedServer(app, self.sock, name="portal-uvicorn", server_header=False)
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.sock.close()
