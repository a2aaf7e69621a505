"""How the Advocate and the Defender act in the bench: two interchangeable ways, chosen by ``--parties``.

``updates`` (the default): a party's portal form becomes the very update the gateway would send
(``gateway/portal/updates.send_update``: same name, same payload model, same actor), executed directly and
timed. The portal's HTML rendering and the outbox polling are left out, because they measure the gateway
and the sandbox's mail listing, not the engine. What stays in the loop, in both modes, is everything that
reaches the case from outside as a provider event: signatures go through the sandbox's DocuSign signing
page (a fresh recipient view, as the gateway's sign page creates it, then Sign), payment through the Stripe
hosted invoice page (Pay); the sandbox then fires its signed webhooks to the gateway, which signals.

``portal``: ``starters.demo_parties.PortalParties``, exactly as ``casefac demo`` and the end-to-end tests
act: the newest email's signed link, the portal page, the form, the button.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin

from activities.esign import JIM_CLIENT_USER_ID, create_signing_url
from casefac.activity_io import CONTRACT_SIGNERS
from casefac.evaluation import Evaluation, Outcome, OutcomeResult
from casefac.messages import (
    ApproveContract,
    EditContract,
    ReportOutcome,
    RespondToAssignment,
    SubmitEvaluation,
    SubmitReport,
    Update,
    UpdateTask,
)
from casefac.money import Money
from casefac.parties import Actor, Role
from casefac.report import ExpenseLine, HourExpenseReport, HourLine, ReportKind
from casefac.state import EnvelopeState, InvoiceState
from casefac.status import SignerView
from starters.demo.sample import EXPENSE_GTQ, HOURS
from starters.demo_parties import PortalParties, read_page

if TYPE_CHECKING:
    from bench.case_driver import CaseRun

SPECIAL_TERMS = "Weekly updates by secure messaging."
TASK_NOTE = "Client located; video call held."
#: GTQ 250.00 in minor units (the demo's expense, typed by the Defender as "250.00").
EXPENSE_MINOR = int(Decimal(EXPENSE_GTQ) * 100)


class PartyFailed(RuntimeError):
    """A page of the sandbox (signing, hosted invoice) did not answer as a person would expect."""


class Parties(Protocol):
    """What the Advocate and the Defender do in a case, whichever way they do it."""

    async def respond(self, run: CaseRun) -> None: ...
    async def sign_agreement(self, run: CaseRun) -> None: ...
    async def complete_contract(self, run: CaseRun) -> None: ...
    async def approve_contract(self, run: CaseRun) -> None: ...
    async def sign_contract(self, run: CaseRun, role: Role, envelope: EnvelopeState) -> None: ...
    async def update_task(self, run: CaseRun, task_id: str) -> None: ...
    async def submit_report(self, run: CaseRun) -> int: ...
    async def pay_invoice(self, run: CaseRun, invoice: InvoiceState) -> None: ...
    async def evaluate(self, run: CaseRun, role: Role) -> None: ...
    async def report_outcome(self, run: CaseRun) -> None: ...


def _report() -> HourExpenseReport:
    today = datetime.now(UTC).date()
    return HourExpenseReport(
        kind=ReportKind.FINAL,
        hours=[HourLine(date=today, hours=Decimal(HOURS), task_code="L110", activity_code="A106",
                        description="Located the client and held a video call")],
        expenses=[ExpenseLine(date=today, amount=Money(amount=EXPENSE_MINOR, currency="GTQ"), expense_code="E109",
                              description="Bus fares to the client's town")])


def _evaluation(comments: str) -> Evaluation:
    return Evaluation(communication=5, quality=5, timeliness=5, overall=5, would_work_again=True, comments=comments)


async def sign_on_sandbox(run: CaseRun, view: SignerView) -> None:
    """A fresh recipient view (the gateway's sign page makes the same SDK call), the signing page, Sign.

    Sign answers 303 to the return URL (the portal's thank-you page), which is not followed: the signature
    is done, and the Connect webhooks are on their way to the gateway.
    """
    world = run.world
    url = await asyncio.to_thread(create_signing_url, world.settings.docusign, view.envelope_id, view.recipient_id,
                                  view.client_user_id, view.name, view.email, f"{world.gateway_url}/bench/signed")
    page = await world.http.get(url)
    if page.status_code != 200:
        raise PartyFailed(f"the DocuSign signing page answered {page.status_code}: {read_page(page.text)[1][:300]}")
    form = next((f for f in read_page(page.text)[0] if f.action.endswith("/sign")), None)
    if form is None:
        raise PartyFailed("no Sign form on the DocuSign signing page")
    done = await world.http.post(urljoin(url, form.action), data=form.data("sign"))
    if done.status_code != 303:
        raise PartyFailed(f"Sign answered {done.status_code}: {read_page(done.text)[1][:300]}")


async def pay_on_sandbox(run: CaseRun, invoice: InvoiceState) -> None:
    """The Stripe hosted invoice page and its Pay button (the sandbox then fires a signed ``invoice.paid``)."""
    http = run.world.http
    if not invoice.hosted_invoice_url:
        raise PartyFailed(f"invoice {invoice.invoice_id} has no hosted invoice page")
    page = await http.get(invoice.hosted_invoice_url)
    form = next((f for f in read_page(page.text)[0] if f.action.endswith("/pay")), None)
    if form is None:
        raise PartyFailed(f"no Pay button on the hosted invoice page ({page.status_code})")
    paid = await http.post(urljoin(invoice.hosted_invoice_url, form.action), data=form.data(None),
                           follow_redirects=True)
    if paid.status_code >= 400:
        raise PartyFailed(f"Pay answered {paid.status_code}: {read_page(paid.text)[1][:300]}")


class UpdateParties:
    """The parties' portal forms as the updates the gateway sends; signatures and payment on the sandbox."""

    def __init__(self) -> None:
        self._revision = 0
        self._report = 0

    async def respond(self, run: CaseRun) -> None:
        await run.update(Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=run.defender_actor, accept=True))

    async def sign_agreement(self, run: CaseRun) -> None:
        entity = run.advocate_handle()
        view = await run.wait(lambda: entity.query("signer", result_type=SignerView | None),  # type: ignore[arg-type]
                              lambda v: v is not None, "the Advocate Agreement envelope")
        await sign_on_sandbox(run, view)

    async def complete_contract(self, run: CaseRun) -> None:
        status = await run.until(lambda s: s.contract is not None, "the contract draft")
        assert status.contract is not None
        current = status.contract
        receipt = await run.update(Update.EDIT_CONTRACT, EditContract(
            actor=run.advocate_actor, base_revision=current.number,
            terms=current.terms.model_copy(update={"special_terms": SPECIAL_TERMS})))
        self._revision = receipt.number or current.number + 1

    async def approve_contract(self, run: CaseRun) -> None:
        await run.update(Update.APPROVE_CONTRACT, ApproveContract(actor=run.defender_actor, revision=self._revision))

    async def sign_contract(self, run: CaseRun, role: Role, envelope: EnvelopeState) -> None:
        if role is Role.STAFF:  # JiM's signer comes from settings, as on the gateway's sign page
            ds = run.world.settings.docusign
            view = SignerView(envelope_id=envelope.envelope_id, recipient_id=CONTRACT_SIGNERS[role],
                              client_user_id=JIM_CLIENT_USER_ID, name=ds.jim_signer_name, email=ds.jim_signer_email)
        else:
            handle = run.handle
            view = await run.wait(lambda: handle.query("signer", role.value, result_type=SignerView | None),  # type: ignore[arg-type]
                                  lambda v: v is not None and v.envelope_id == envelope.envelope_id,
                                  f"the {role.value}'s signer on the contract envelope")
        await sign_on_sandbox(run, view)

    async def update_task(self, run: CaseRun, task_id: str) -> None:
        await run.update(Update.UPDATE_TASK, UpdateTask(actor=run.defender_actor, task_id=task_id, status="done",
                                                        note=TASK_NOTE))

    async def submit_report(self, run: CaseRun) -> int:
        receipt = await run.update(Update.SUBMIT_REPORT, SubmitReport(actor=run.defender_actor, report=_report()))
        return receipt.number or 1

    async def pay_invoice(self, run: CaseRun, invoice: InvoiceState) -> None:
        await pay_on_sandbox(run, invoice)

    async def evaluate(self, run: CaseRun, role: Role) -> None:
        actor: Actor = run.advocate_actor if role is Role.ADVOCATE else run.defender_actor
        await run.update(Update.SUBMIT_EVALUATION, SubmitEvaluation(actor=actor, evaluation=_evaluation("Bench.")))

    async def report_outcome(self, run: CaseRun) -> None:
        await run.update(Update.REPORT_OUTCOME, ReportOutcome(
            actor=run.advocate_actor, outcome=Outcome(result=OutcomeResult.GRANTED, notes="Asylum granted.")))


class PortalPartiesBench:
    """``PortalParties`` as in ``casefac demo``: emails, portal pages, the sandbox's DocuSign and Stripe pages."""

    def __init__(self, run: CaseRun) -> None:
        self._p = PortalParties(run.world.http, run.world.sandbox_url)

    async def respond(self, run: CaseRun) -> None:
        await run.party("respond", self._p.defender_responds(run.case_id, run.defender_email, accept=True))

    async def sign_agreement(self, run: CaseRun) -> None:
        await run.party("sign", self._p.sign(run.case_id, run.advocate_email, agreement=True))

    async def complete_contract(self, run: CaseRun) -> None:
        await run.party("edit", self._p.advocate_completes_contract(run.case_id, run.advocate_email, SPECIAL_TERMS))

    async def approve_contract(self, run: CaseRun) -> None:
        await run.party("approve", self._p.defender_approves_contract(run.case_id, run.defender_email))

    async def sign_contract(self, run: CaseRun, role: Role, envelope: EnvelopeState) -> None:
        email = {Role.ADVOCATE: run.advocate_email, Role.DEFENDER: run.defender_email,
                 Role.STAFF: run.world.settings.sendgrid.staff_email}[role]
        await run.party("sign", self._p.sign(run.case_id, email))

    async def update_task(self, run: CaseRun, task_id: str) -> None:
        await run.party("task", self._p.defender_updates_task(run.case_id, run.defender_email, task_id, "done",
                                                              TASK_NOTE))

    async def submit_report(self, run: CaseRun) -> int:
        today = datetime.now(UTC).date().isoformat()
        await run.party("report", self._p.defender_submits_report(
            run.case_id, run.defender_email,
            hours=[{"date": today, "hours": HOURS, "task_code": "L110", "activity_code": "A106",
                    "description": "Located the client and held a video call"}],
            expenses=[{"date": today, "amount": EXPENSE_GTQ, "currency": "GTQ", "expense_code": "E109",
                       "description": "Bus fares to the client's town"}]))
        return 1

    async def pay_invoice(self, run: CaseRun, invoice: InvoiceState) -> None:
        await run.party("pay", self._p.pay_invoice(run.case_id, run.advocate_email))

    async def evaluate(self, run: CaseRun, role: Role) -> None:
        email = run.advocate_email if role is Role.ADVOCATE else run.defender_email
        await run.party("evaluate", self._p.evaluate(run.case_id, email, comments="Bench."))

    async def report_outcome(self, run: CaseRun) -> None:
        await run.party("outcome", self._p.advocate_reports_outcome(run.case_id, run.advocate_email, "granted",
                                                                    notes="Asylum granted."))


def parties_for(run: CaseRun) -> Parties:
    return PortalPartiesBench(run) if run.world.parties == "portal" else UpdateParties()

