"""The sandbox parties (``starters.demo_parties``) take a case through all five steps over HTTP.

Everything real except the people: dev server, workflows, provider activities through the official SDKs
against the sandbox, the gateway on a loopback port (DocuSign Connect and Stripe webhooks reach it), and
the portal pages the parties read from their sandbox emails and post like a browser would.
"""

from __future__ import annotations

import itertools
import random
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import build_activities
from activities.agreement import AgreementActivities
from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.case import CaseStage
from casefac.converter import data_converter
from casefac.messages import ApproveContract, ReviewReport, Update
from casefac.money import ExchangeRate
from casefac.policy import CasePolicy
from casefac.settings import DocuSignSettings, GatewaySettings, SendGridSettings, Settings, StripeSettings
from sandbox.config import SandboxConfig
from sandbox.testing import RunningSandbox, running_sandbox
from starters.demo_parties import PartyError, PortalParties
from tests.conftest import binary
from tests.portal.stack import LINK_SECRET, STAFF_EMAIL, ServedGateway
from tests.workflow.fakes import ROSTER, FakeProviders
from tests.workflow.harness import STAFF, Harness
from workers.runner import workflow_runner
from workflows.advocate import AdvocateWorkflow
from workflows.case import CaseFacilitationWorkflow

pytestmark = pytest.mark.integration


@dataclass
class World:
    harness: Harness
    sandbox: RunningSandbox
    parties: PortalParties


def _settings(data_dir: Path, sb: RunningSandbox, gateway_url: str, sendgrid_key: str) -> Settings:
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
    )


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    data_dir = Path(tmp_path_factory.mktemp("parties"))
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=binary("temporal"),
                                                search_attributes=list(sa.ALL), data_converter=data_converter(None))
    gateway = ServedGateway()  # bound first: the sandbox's webhooks and the emails' links point at it
    config = SandboxConfig(stripe_webhook_url=f"{gateway.url}/webhooks/stripe",
                           sendgrid_webhook_url=f"{gateway.url}/webhooks/sendgrid",
                           webhook_retry_base_seconds=0.05, webhook_retry_max_seconds=0.5)
    try:
        async with running_sandbox(config) as sb, httpx.AsyncClient(timeout=30) as http:
            key = (await http.get(f"{sb.base_url}/_sandbox/sendgrid/public-key")).json()["public_key"]
            settings = _settings(data_dir, sb, gateway.url, key)
            gateway.start(settings, env.client.service_client.config.target_host)
            queues = build_activities(settings, main_extra=[AgreementActivities(CasePolicy()).request_agreement])
            async with AsyncExitStack() as workers:
                for queue, acts in queues.items():
                    await workers.enter_async_context(Worker(
                        env.client, task_queue=queue, activities=acts, workflow_runner=workflow_runner(),
                        workflows=[CaseFacilitationWorkflow, AdvocateWorkflow] if queue == TaskQueue.MAIN else []))
                harness = Harness(env=env, client=env.client, fakes=FakeProviders(), policy=CasePolicy(),
                                  run=uuid.uuid4().hex[:6].upper(),
                                  numbers=itertools.count(random.randint(1000, 90000)))
                yield World(harness, sb, PortalParties(http, sb.base_url))
    finally:
        gateway.stop()
        await env.shutdown()


async def test_the_parties_take_a_case_through_all_five_steps(world: World) -> None:
    h, parties = world.harness, world.parties
    case = await h.open()
    adv = str(case.req.advocate.email)
    defender = ROSTER.get("DEF-GT-001")
    assert defender is not None
    dfd = str(defender.email)

    await case.assign(defender.id)
    step = await parties.defender_responds(case.case_id, dfd)
    assert "Usted aceptó el caso" in step.text
    await case.stage(CaseStage.AGREEMENT)

    signed = await parties.sign(case.case_id, adv, agreement=True)
    assert "Thank you for signing!" in signed.text
    await case.until(lambda s: s.agreement.status == "signed", "agreement signed", timeout=20)

    step = await parties.advocate_completes_contract(case.case_id, adv, "Weekly updates by secure messaging.")
    assert "revision 2" in step.text
    step = await parties.defender_approves_contract(case.case_id, dfd)
    assert "Usted aprobó la versión 2" in step.text
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=2))
    for email in (adv, dfd, STAFF_EMAIL):
        step = await parties.sign(case.case_id, email)
        assert step.ok and ("gracias por firmar" in step.text.lower() or "thank you for signing" in step.text.lower())
    await case.until(lambda s: s.stage == CaseStage.ASSIGNMENT, "contract signed", timeout=30)

    step = await parties.defender_updates_task(case.case_id, dfd, "T1", "done", "Clienta localizada")
    assert "La tarea T1 quedó como «Terminada»." in step.text
    today = date.today().isoformat()
    with pytest.raises(PartyError, match="report for"):
        await parties.defender_submits_report(case.case_id, dfd, hours=[{
            "date": today, "hours": "0.15", "task_code": "L110", "activity_code": "A106", "description": "Llamada"}])
    step = await parties.defender_submits_report(case.case_id, dfd, hours=[
        {"date": today, "hours": "2,5", "task_code": "L110", "activity_code": "A106", "description": "Llamada"},
        {"date": today, "hours": "1", "task_code": "L140", "activity_code": "A110", "description": "Copias"},
    ], expenses=[
        {"date": today, "amount": "250,50", "currency": "GTQ", "expense_code": "E109", "description": "Bus"},
        {"date": today, "amount": "12", "currency": "USD", "expense_code": "E105", "description": "Teléfono"},
    ])
    assert "Recibimos su informe n.º 1" in step.text
    await case.until(lambda s: s.stage == CaseStage.PAYMENT and s.waiting is not None
                     and s.waiting.role == "staff", "report waiting for review", timeout=20)
    await case.update(Update.REVIEW_REPORT, ReviewReport(
        actor=STAFF, report_number=1, decision="approve",
        exchange_rates=[ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))]))

    paid = await parties.pay_invoice(case.case_id, adv)
    assert paid.ok and "Paid" in paid.text
    await case.until(lambda s: bool(s.invoices) and s.invoices[0].status == "paid", "invoice paid", timeout=20)

    await case.until(lambda s: s.stage == CaseStage.EVALUATION, "evaluation", timeout=20)
    assert "Recibimos su evaluación" in (await parties.evaluate(case.case_id, dfd, comments="Muy bien")).text
    assert "We received your evaluation" in (await parties.evaluate(case.case_id, adv, overall=4)).text
    step = await parties.advocate_reports_outcome(case.case_id, adv, "granted", notes="Asylum granted.")
    assert "Granted" in step.text
    closed = await case.until(lambda s: s.stage == CaseStage.CLOSED, "closed", timeout=20)
    assert closed.outcome == "granted" and closed.evaluations_from == ["advocate", "defender"]


async def test_a_missing_email_is_a_clear_error(world: World) -> None:
    quick = PortalParties(world.parties.http, world.sandbox.base_url, mail_wait=0.3)
    with pytest.raises(PartyError, match=re.escape("no email to nobody@example.org for case JIM-2026-0001")):
        await quick.evaluate("JIM-2026-0001", "nobody@example.org")
