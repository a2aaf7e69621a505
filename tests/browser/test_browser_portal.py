"""People on phones: a Spanish-speaking Defender and an English-speaking Advocate in headless Chromium.

Every page is screenshotted to ``test-artifacts/screenshots/`` (390x844) for a human look.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from casefac.case import CaseStage
from casefac.messages import ApproveContract, Update
from casefac.parties import Role
from casefac.report import ReportKind
from casefac.settings import Settings
from tests.browser.conftest import shot
from tests.portal.stack import link
from tests.workflow.harness import STAFF, Harness

pytestmark = pytest.mark.browser


async def _visible_text(page: Any) -> str:
    return " ".join((await page.inner_text("body")).split())


async def test_defender_accepts_reviews_contract_and_reports_mixed_currency_expenses(
        phone: Any, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")

    await phone.goto(link(settings, case, "respond_assignment"))
    assert "Un caso nuevo para usted" in await _visible_text(phone)
    await shot(phone, "01-defender-offer-es")
    await phone.click('button[value="accept"]')
    assert "Usted aceptó el caso" in await _visible_text(phone)
    await shot(phone, "02-defender-accepted-es")
    await case.stage(CaseStage.AGREEMENT)
    await case.sign_advocate_agreement()

    # The Advocate (English) completes the contract on their phone.
    await case.until(lambda s: s.contract is not None, "contract drafted")
    await phone.goto(link(settings, case, "review_contract", Role.ADVOCATE))
    assert "Facilitation contract, revision 1" in await _visible_text(phone)
    await phone.fill('[name="terms.special_terms"]', "Weekly updates by secure messaging; no client data by SMS.")
    await shot(phone, "03-advocate-contract-en")
    await phone.click('button[value="edit"]')
    assert "revision 2" in await _visible_text(phone)

    # The Defender reviews revision 2: terms, what changed, then approves.
    await phone.goto(link(settings, case, "review_contract"))
    text = await _visible_text(phone)
    assert "Cambios desde la versión 1" in text and "Weekly updates by secure messaging" in text
    await shot(phone, "04-defender-contract-es")
    await phone.click('button[value="approve"]')
    assert "Usted aprobó la versión 2 del contrato." in await _visible_text(phone)
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=2))
    await case.sign_all()

    # The report: one hours line with an error, two expenses in two currencies.
    await phone.goto(link(settings, case, "submit_report"))
    await shot(phone, "05-defender-report-empty-es")
    today = date.today()
    await phone.fill('[name="hours[0].date"]', (today + timedelta(days=2)).isoformat())
    await phone.fill('[name="hours[0].hours"]', "0,15")
    await phone.select_option('[name="hours[0].task_code"]', "L110")
    await phone.select_option('[name="hours[0].activity_code"]', "A106")
    await phone.fill('[name="hours[0].description"]', "Videollamada con la clienta")
    for n, (amount, currency, code, what) in enumerate([("250,50", "GTQ", "E109", "Bus a Cobán"),
                                                        ("40", "USD", "E105", "Saldo telefónico")]):
        await phone.click('button[value="add_expense"]')
        await phone.fill(f'[name="expenses[{n}].date"]', today.isoformat())
        await phone.fill(f'[name="expenses[{n}].amount"]', amount)
        await phone.select_option(f'[name="expenses[{n}].amount.currency"]', currency)
        await phone.select_option(f'[name="expenses[{n}].expense_code"]', code)
        await phone.fill(f'[name="expenses[{n}].description"]', what)
    await phone.check('input[name="kind"][value="final"]')
    await phone.click('button[value="submit"]')
    text = await _visible_text(phone)
    assert "Use décimas de hora" in text
    assert await phone.input_value('[name="hours[0].hours"]') == "0,15"  # kept as typed
    await shot(phone, "06-defender-report-error-es")

    await phone.fill('[name="hours[0].hours"]', "1,5")
    await phone.click('button[value="submit"]')
    text = await _visible_text(phone)
    assert "La fecha debe estar entre la apertura del caso" in text  # the workflow's rule, in Spanish
    assert "Gastos en GTQ" in text and "GTQ 250.50" in text and "USD 40.00" in text
    await shot(phone, "07-defender-report-date-error-es")
    await phone.fill('[name="hours[0].date"]', today.isoformat())
    await phone.click('button[value="submit"]')
    assert "Recibimos su informe n.º 1" in await _visible_text(phone)
    await shot(phone, "08-defender-report-received-es")
    status = await case.stage(CaseStage.PAYMENT)
    assert status.reports[0].expense_currencies == ["GTQ", "USD"]


async def test_advocate_evaluates_and_reports_outcome_and_defender_evaluates_in_spanish(
        phone: Any, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    await case.approve(await case.submit(case.report(ReportKind.FINAL)))
    await case.stage(CaseStage.EVALUATION)

    await phone.goto(link(settings, case, "evaluate", Role.ADVOCATE))
    assert "How was working with the Defender on this case?" in await _visible_text(phone)
    for name, value in (("communication", "5"), ("quality", "4"), ("timeliness", "5"), ("overall", "5"),
                        ("would_work_again", "yes")):
        await phone.check(f'input[name="{name}"][value="{value}"]')
    await phone.fill('[name="comments"]', "Ana located our client within a week.")
    await shot(phone, "09-advocate-evaluation-en")
    await phone.click('button[value="submit"]')
    assert "We received your evaluation. Thank you!" in await _visible_text(phone)
    await shot(phone, "10-advocate-evaluation-received-en")

    await phone.goto(link(settings, case, "report_outcome", Role.ADVOCATE))
    await phone.select_option('[name="result"]', "granted")
    await phone.fill('[name="decided_on"]', date.today().isoformat())
    await phone.fill('[name="notes"]', "Asylum granted at the individual hearing.")
    await shot(phone, "11-advocate-outcome-en")
    await phone.click('button[value="submit"]')
    assert "We recorded the case outcome: Granted." in await _visible_text(phone)

    await phone.goto(link(settings, case, "evaluate"))
    await phone.click('button[value="submit"]')  # nothing chosen: errors beside each question
    assert "Elija de 1 a 5." in await _visible_text(phone)
    await shot(phone, "12-defender-evaluation-errors-es")
    for name, value in (("communication", "4"), ("quality", "5"), ("timeliness", "4"), ("overall", "4"),
                        ("would_work_again", "yes")):
        await phone.check(f'input[name="{name}"][value="{value}"]')
    await phone.click('button[value="submit"]')
    assert "Recibimos su evaluación. ¡Gracias!" in await _visible_text(phone)
    assert (await case.status()).evaluations_from == ["advocate", "defender"]

    await phone.goto(link(settings, case, "evaluate"))  # used: the friendly "already done" page
    assert "Esto ya está hecho" in await _visible_text(phone)
    await shot(phone, "13-defender-link-used-es")
