"""One whole Case Facilitation driven as people would: parties through the portal links in their sandbox
emails and the sandbox's DocuSign and Stripe pages; staff through updates, as the CLI sends them.

Signatures and payment reach the case only as signed webhooks fired by the sandbox's pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from casefac.case import CaseStage
from casefac.messages import ApproveContract, ReviewReport, Update
from casefac.money import ExchangeRate
from starters.demo_parties import PartyError
from tests.portal.stack import STAFF_EMAIL
from tests.workflow.fakes import ROSTER
from tests.workflow.harness import STAFF, Case

from .world import World


@dataclass(frozen=True)
class Words:
    """What the people type: distinctive, so a leak of any of it is easy to find."""

    special_terms: str = "Weekly updates by secure messaging."
    task_note: str = "Clienta localizada"
    hour_line: str = "Llamada"
    expense_line: str = "Bus"
    evaluation: str = "Muy bien"
    outcome: str = "Asylum granted."


async def full_case(world: World, words: Words = Words(), *, defender_id: str = "DEF-GT-001",
                    after_open: Callable[[Case], Awaitable[None]] | None = None) -> Case:
    """The case from request to CLOSED, every step as its party takes it; ``after_open`` runs once it is open."""
    h, parties = world.harness, world.parties
    case = await h.open()
    if after_open is not None:
        await after_open(case)
    adv = str(case.req.advocate.email)
    defender = ROSTER.get(defender_id)
    assert defender is not None
    dfd = str(defender.email)

    await case.assign(defender.id)
    step = await parties.defender_responds(case.case_id, dfd)
    assert "Usted aceptó el caso" in step.text
    await case.stage(CaseStage.AGREEMENT)

    signed = await parties.sign(case.case_id, adv, agreement=True)
    assert "Thank you for signing!" in signed.text
    await case.until(lambda s: s.agreement.status == "signed", "agreement signed", timeout=20)

    step = await parties.advocate_completes_contract(case.case_id, adv, words.special_terms)
    assert "revision 2" in step.text
    step = await parties.defender_approves_contract(case.case_id, dfd)
    assert "Usted aprobó la versión 2" in step.text
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=2))
    for email in (adv, dfd, STAFF_EMAIL):
        step = await parties.sign(case.case_id, email)
        assert step.ok and ("gracias por firmar" in step.text.lower() or "thank you for signing" in step.text.lower())
    await case.until(lambda s: s.stage == CaseStage.ASSIGNMENT, "contract signed", timeout=30)

    step = await parties.defender_updates_task(case.case_id, dfd, "T1", "done", words.task_note)
    assert "La tarea T1 quedó como «Terminada»." in step.text
    today = date.today().isoformat()
    with pytest.raises(PartyError, match="report for"):  # an error first, shown beside the field
        await parties.defender_submits_report(case.case_id, dfd, hours=[{
            "date": today, "hours": "0.15", "task_code": "L110", "activity_code": "A106",
            "description": words.hour_line}])
    step = await parties.defender_submits_report(case.case_id, dfd, hours=[
        {"date": today, "hours": "2,5", "task_code": "L110", "activity_code": "A106", "description": words.hour_line},
        {"date": today, "hours": "1", "task_code": "L140", "activity_code": "A110", "description": "Copias"},
    ], expenses=[
        {"date": today, "amount": "250,50", "currency": "GTQ", "expense_code": "E109",
         "description": words.expense_line},
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
    assert "Recibimos su evaluación" in (await parties.evaluate(case.case_id, dfd, comments=words.evaluation)).text
    assert "We received your evaluation" in (await parties.evaluate(case.case_id, adv, overall=4)).text
    step = await parties.advocate_reports_outcome(case.case_id, adv, "granted", notes=words.outcome)
    assert "Granted" in step.text
    await case.until(lambda s: s.stage == CaseStage.CLOSED, "closed", timeout=20)
    return case
