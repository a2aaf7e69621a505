"""Drives cases the way staff, parties and provider webhooks would, against the time-skipping server."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from casefac.activity_io import CONTRACT_SIGNERS
from casefac.case import CaseRequest, CaseStage, MatterType
from casefac.case import Client as CaseClient
from casefac.evaluation import Evaluation, Outcome, OutcomeResult
from casefac.events import EnvelopeEvent, InvoiceEvent, Signal
from casefac.ids import advocate_workflow_id
from casefac.messages import (
    ApproveContract,
    CancelCase,
    EditContract,
    Receipt,
    ReportOutcome,
    RespondToAssignment,
    ReviewCase,
    ReviewReport,
    SubmitEvaluation,
    SubmitReport,
    Update,
)
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor, Advocate, Role, Service
from casefac.policy import CasePolicy
from casefac.report import ExpenseLine, HourExpenseReport, HourLine, ReportKind
from casefac.state import AdvocateState
from casefac.status import CaseStatus
from starters.cases import open_case
from tests.conftest import eventually
from tests.workflow.fakes import FakeProviders

STAFF = Actor(role=Role.STAFF, id="coord.ana")
FINANCE = Actor(role=Role.FINANCE, id="fin.luis")


def advocate(adv_id: str, currency: str = "USD") -> Advocate:
    return Advocate(id=adv_id, name="Dana Whitfield", organization="Whitfield Immigration Law",
                    email="dana@whitfield-law.example.com", country="US" if currency == "USD" else "CA",
                    billing_currency=currency)  # type: ignore[arg-type]


@dataclass
class Case:
    h: Harness
    handle: WorkflowHandle[Any, CaseStatus]
    req: CaseRequest
    defender_id: str | None = None

    @property
    def case_id(self) -> str:
        return self.req.case_id

    @property
    def advocate(self) -> Actor:
        return Actor(role=Role.ADVOCATE, id=self.req.advocate.id)

    @property
    def defender(self) -> Actor:
        assert self.defender_id
        return Actor(role=Role.DEFENDER, id=self.defender_id)

    async def status(self) -> CaseStatus:
        return await self.handle.query("status", result_type=CaseStatus)

    async def until(self, predicate: Any, what: str, timeout: float = 15.0) -> CaseStatus:
        return await eventually(self.status, predicate, timeout=timeout, what=f"{self.case_id}: {what}")

    async def stage(self, stage: CaseStage) -> CaseStatus:
        return await self.until(lambda s: s.stage == stage, f"stage {stage.value}")

    async def update(self, name: str, msg: Any) -> Receipt:
        return await self.handle.execute_update(name, msg, result_type=Receipt)

    # ---- step 1: review
    async def assign(self, defender_id: str = "DEF-GT-001") -> None:
        await self.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
        await self.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="accept", defender_id=defender_id))
        self.defender_id = defender_id
        await self.until(lambda s: s.waiting is not None and s.waiting.role == "defender", "offer sent")

    async def accept(self) -> None:
        await self.update(Update.RESPOND_TO_ASSIGNMENT, RespondToAssignment(actor=self.defender, accept=True))
        await self.stage(CaseStage.AGREEMENT)

    # ---- step 2: agreement
    async def sign_advocate_agreement(self) -> None:
        entity = self.h.client.get_workflow_handle(advocate_workflow_id(self.req.advocate.id))

        async def agreement() -> AdvocateState | None:
            try:
                return await entity.query("agreement", result_type=AdvocateState)
            except RPCError:
                return None
        state = await eventually(agreement, lambda s: s is not None and s.status == "pending",
                                 what="agreement envelope sent")
        assert state is not None and state.envelope_id
        await entity.signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(event_id=f"{state.envelope_id}:completed",
                                                                 envelope_id=state.envelope_id, kind="completed"))
        await self.until(lambda s: s.agreement.status == "signed", "agreement signed")

    async def complete_and_approve_contract(self) -> int:
        s = await self.until(lambda s: s.contract is not None, "contract drafted")
        assert s.contract is not None
        terms = s.contract.terms.model_copy(update={"special_terms": "Weekly updates by secure messaging."})
        r = await self.update(Update.EDIT_CONTRACT, EditContract(actor=self.advocate, base_revision=s.contract.number,
                                                                 terms=terms, note="completed by the Advocate"))
        assert r.number is not None
        await self.update(Update.APPROVE_CONTRACT, ApproveContract(actor=self.defender, revision=r.number))
        await self.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=r.number))
        return r.number

    async def envelope(self) -> str:
        s = await self.until(lambda s: s.envelope is not None and s.envelope.status == "sent", "envelope out")
        assert s.envelope is not None
        return s.envelope.envelope_id

    async def envelope_event(self, envelope_id: str, kind: str, recipient_id: str | None = None,
                             event_id: str | None = None) -> None:
        await self.handle.signal(Signal.ENVELOPE_EVENT, EnvelopeEvent(
            event_id=event_id or f"{envelope_id}:{kind}:{recipient_id}", envelope_id=envelope_id, kind=kind,  # type: ignore[arg-type]
            recipient_id=recipient_id))

    async def sign_all(self) -> None:
        env_id = await self.envelope()
        for rid in CONTRACT_SIGNERS.values():
            await self.envelope_event(env_id, "recipient_completed", rid)
        await self.envelope_event(env_id, "completed")
        await self.stage(CaseStage.ASSIGNMENT)

    # ---- steps 3-4
    def report(self, kind: ReportKind = ReportKind.FINAL, *, hours: str = "3.5",
               expense: Money | None = None) -> HourExpenseReport:
        today = date.today()
        return HourExpenseReport(
            kind=kind,
            hours=[HourLine(date=today, hours=Decimal(hours), task_code="L110", activity_code="A106",
                            description="Located the client and held a video call")],
            expenses=[ExpenseLine(date=today, amount=expense or Money(amount=25000, currency="GTQ"),
                                  expense_code="E109", description="Bus fare to the client's town")])

    async def submit(self, report: HourExpenseReport) -> int:
        r = await self.update(Update.SUBMIT_REPORT, SubmitReport(actor=self.defender, report=report))
        assert r.number is not None
        await self.stage(CaseStage.PAYMENT)
        return r.number

    def gtq_rates(self) -> list[ExchangeRate]:
        return [ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))]

    async def approve(self, number: int, rates: list[ExchangeRate] | None = None) -> None:
        await self.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for report review")
        await self.update(Update.REVIEW_REPORT, ReviewReport(actor=STAFF, report_number=number, decision="approve",
                                                             exchange_rates=rates or self.gtq_rates()))

    async def pay_invoices(self) -> None:
        s = await self.until(lambda s: bool(s.invoices), "invoice issued")
        for inv in s.invoices:
            await self.handle.signal(Signal.INVOICE_EVENT, InvoiceEvent(event_id=f"evt_{inv.invoice_id}",
                                                                        invoice_id=inv.invoice_id, kind="paid"))

    # ---- step 5
    async def evaluate_and_report(self) -> None:
        await self.stage(CaseStage.EVALUATION)
        ev = Evaluation(communication=5, quality=4, timeliness=5, overall=5, would_work_again=True,
                        comments="Excellent work")
        await self.update(Update.SUBMIT_EVALUATION, SubmitEvaluation(actor=self.advocate, evaluation=ev))
        await self.update(Update.SUBMIT_EVALUATION, SubmitEvaluation(actor=self.defender, evaluation=ev))
        await self.update(Update.REPORT_OUTCOME, ReportOutcome(actor=self.advocate,
                                                               outcome=Outcome(result=OutcomeResult.GRANTED)))

    async def cancel(self, reason: str = "The client withdrew", invoices: str | None = None) -> None:
        await self.update(Update.CANCEL_CASE, CancelCase(actor=STAFF, reason=reason,
                                                         invoices=invoices))  # type: ignore[arg-type]

    async def to_assignment(self, defender_id: str = "DEF-GT-001") -> None:
        await self.assign(defender_id)
        await self.accept()
        await self.sign_advocate_agreement()
        await self.complete_and_approve_contract()
        await self.sign_all()

    async def close_from_assignment(self) -> CaseStatus:
        """A final report, approved; both evaluations and the outcome; the invoice paid: the closed status."""
        number = await self.submit(self.report(ReportKind.FINAL))
        await self.approve(number)
        return await self.close_from_payment()

    async def close_from_payment(self) -> CaseStatus:
        """Both evaluations and the outcome, the invoice paid: the closed status."""
        await self.evaluate_and_report()
        await self.pay_invoices()
        result: CaseStatus = await self.handle.result()
        return result


@dataclass
class Harness:
    env: WorkflowEnvironment
    client: Client
    fakes: FakeProviders
    policy: CasePolicy
    run: str
    numbers: itertools.count[int]
    cases: list[Case] = field(default_factory=list)

    def request(self, *, advocate_id: str | None = None, country: str = "GT", currency: str = "USD",
                policy: CasePolicy | None = None) -> CaseRequest:
        n = next(self.numbers)
        return CaseRequest(
            case_id=f"JIM-2026-{n:04d}",
            advocate=advocate(advocate_id or f"ADV-{self.run}-{n}", currency),
            client=CaseClient(full_name="Rosa Ixchel Coc", last_known_location="Cobán, Alta Verapaz"),
            country=country,  # type: ignore[arg-type]
            matter_type=MatterType.PROTECTION,
            services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
            description="Locate the client and obtain her birth certificate for an asylum hearing.",
            deadline=date.today() + timedelta(days=60),
            opened_by=STAFF,
            policy=policy,
        )

    async def open(self, **kwargs: Any) -> Case:
        req = self.request(**kwargs)
        handle = await open_case(self.client, req, self.policy)
        case = Case(h=self, handle=handle, req=req)
        self.cases.append(case)
        return case


async def mails_eventually(h: Harness, kind: str, count: int = 1, *, role: str | None = None,
                           case_id: str | None = None) -> list[Any]:
    """Wait until at least ``count`` emails of ``kind`` (for ``case_id``) went out."""

    async def probe() -> list[Any]:
        return [m for m in h.fakes.mails(kind, role) if case_id is None or m.case_id == case_id]

    return await eventually(probe, lambda ms: len(ms) >= count, what=f"{count} x {kind} mail")


async def history_events(handle: WorkflowHandle[Any, Any]) -> list[Any]:
    return [e async for e in handle.fetch_history_events()]

