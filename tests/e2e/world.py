"""The whole system in one process, everything real but the people: a Temporal dev server, the workflows,
the provider activities through the official SDKs against the sandbox, the gateway on a loopback port
(receiving the sandbox's signed webhooks, serving the portal), and the AES-GCM codec on every client.

Shared by the end-to-end, data-protection and fault tests. The parties act through ``PortalParties``
exactly as people would; staff act through updates, as the CLI does.
"""

from __future__ import annotations

import itertools
import logging
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import build_activities
from activities.agreement import AgreementActivities, record_lookup
from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.codec import EncryptionCodec
from casefac.converter import data_converter
from casefac.keyring import KeyRing
from casefac.policy import CasePolicy
from casefac.settings import (
    DocuSignSettings,
    GatewaySettings,
    RecordsSettings,
    SendGridSettings,
    Settings,
    StripeSettings,
)
from casefac.status import CaseStatus
from records.connect import Records
from records.database import create_records_engine, migrate
from sandbox.config import SandboxConfig
from sandbox.testing import RunningSandbox, running_sandbox
from starters.demo_parties import PortalParties
from tests.conftest import binary
from tests.portal.stack import LINK_SECRET, STAFF_EMAIL, ServedGateway
from tests.workflow.fakes import FakeProviders
from tests.workflow.harness import Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow
from workflows.guard import CasefacGuard
from workflows.signing_view import SigningViewWorkflow


@dataclass
class World:
    env: WorkflowEnvironment
    settings: Settings
    sandbox: RunningSandbox
    gateway: ServedGateway
    parties: PortalParties
    harness: Harness
    converter: DataConverter
    _workers: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def target(self) -> str:
        return self.env.client.service_client.config.target_host

    async def client(self, converter: DataConverter | None = None) -> Client:
        """Another client of the same server, e.g. one WITHOUT the codec, to read what the server stores."""
        return await Client.connect(self.target, data_converter=converter or DataConverter.default)

    async def start_workers(self, client: Client) -> None:
        # As workers/main.py wires it: one AgreementActivities, seeded from the case record (W1).
        agreement = AgreementActivities(CasePolicy(), record_lookup(lambda: Records.from_settings(self.settings)))
        queues = build_activities(self.settings,
                                  main_extra=[agreement.request_agreement, agreement.confirm_agreement])
        for queue, acts in queues.items():
            await self._workers.enter_async_context(Worker(
                client, task_queue=queue, activities=acts, workflow_runner=workflow_runner(),
                graceful_shutdown_timeout=timedelta(seconds=15),  # let in-flight provider calls finish
                workflows=[CaseFacilitationWorkflow, AdvocateWorkflow, SigningViewWorkflow]
                if queue == TaskQueue.MAIN else [],
                interceptors=[CasefacGuard()]))

    async def stop_workers(self) -> None:
        await self._workers.aclose()
        self._workers = AsyncExitStack()

    async def use_converter(self, converter: DataConverter) -> None:
        """Restart workers and the staff client on ``converter`` (a rotated key ring, say)."""
        await self.stop_workers()
        client = await Client.connect(self.target, data_converter=converter)
        self.converter = converter
        self.harness.client = client
        for case in self.harness.cases:  # staff's handles now read and write with the new ring
            case.handle = client.get_workflow_handle(case.handle.id, result_type=CaseStatus)
        await self.start_workers(client)

    def restart_gateway(self, converter: DataConverter) -> None:
        """Stop the gateway and serve it again on the same port (links and webhook URLs stay valid)."""
        port = self.gateway.port
        self.gateway.stop()
        self.gateway = ServedGateway(port).start(self.settings, self.target, converter=converter)


def world_settings(data_dir: Path, sb: RunningSandbox, gateway_url: str, sendgrid_key: str,
                   records_url: str | None = None) -> Settings:
    """Settings pointing every provider at the sandbox and every webhook at the gateway."""
    cfg = sb.config
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings init option
        data_dir=data_dir,
        docusign=DocuSignSettings(host=sb.docusign_host, account_id=cfg.docusign_account_id,
                                  static_token=SecretStr(cfg.docusign_static_token),
                                  connect_hmac_keys=[SecretStr(k) for k in cfg.docusign_connect_hmac_keys]),
        sendgrid=SendGridSettings(host=sb.base_url, api_key=SecretStr(cfg.sendgrid_api_key), staff_email=STAFF_EMAIL,
                                  webhook_public_key=sendgrid_key),
        stripe=StripeSettings(api_base=sb.base_url, api_key=SecretStr(cfg.stripe_api_key),
                              webhook_secret=SecretStr(cfg.stripe_webhook_secret)),
        gateway=GatewaySettings(public_url=gateway_url, link_secret=SecretStr(LINK_SECRET)),
        records=RecordsSettings(url=SecretStr(records_url) if records_url else None),
    )


@asynccontextmanager
async def real_world(data_dir: Path, *, encrypted: bool = True, records_url: str | None = None) -> AsyncIterator[World]:
    """Start everything; ``encrypted`` puts the codec (a fresh key ring in ``data_dir``) on every client; the case
    record is an SQLite file in ``data_dir`` unless ``records_url`` names another database."""
    codec = None
    if encrypted:
        ring = KeyRing.load_or_create(data_dir / "keyring.json")
        codec = EncryptionCodec(ring)
    converter = data_converter(codec)
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                search_attributes=list(sa.ALL), data_converter=converter)
    gateway = ServedGateway()  # bound first: the sandbox's webhooks and the emails' links point at it
    config = SandboxConfig(stripe_webhook_url=f"{gateway.url}/webhooks/stripe",
                           sendgrid_webhook_url=f"{gateway.url}/webhooks/sendgrid",
                           webhook_retry_base_seconds=0.05, webhook_retry_max_seconds=0.5)
    world: World | None = None
    try:
        async with running_sandbox(config) as sb, httpx.AsyncClient(timeout=30) as http:
            key = (await http.get(f"{sb.base_url}/_sandbox/sendgrid/public-key")).json()["public_key"]
            settings = world_settings(data_dir, sb, gateway.url, key, records_url)
            gateway.start(settings, env.client.service_client.config.target_host, converter=converter)
            harness = Harness(env=env, client=env.client, fakes=FakeProviders(), policy=CasePolicy(),
                              run=uuid.uuid4().hex[:6].upper(), numbers=itertools.count(random.randint(1000, 90000)))
            world = World(env=env, settings=settings, sandbox=sb, gateway=gateway,
                          parties=PortalParties(http, sb.base_url), harness=harness, converter=converter)
            engine = create_records_engine(settings.records_url)
            migrate(engine)
            engine.dispose()
            await world.start_workers(env.client)
            yield world
    finally:
        if world is not None:
            await world.stop_workers()
        gateway.stop()
        await env.shutdown()


class LogCapture(logging.Handler):
    """Every log record the system writes (message, arguments and ``extra`` fields), for leak checks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("sandbox"):  # the providers' side, not ours
            return
        extra = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()} {extra}")

    def text(self) -> str:
        return "\n".join(self.lines)


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
