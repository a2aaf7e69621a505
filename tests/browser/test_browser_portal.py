"""People on phones: a Spanish-speaking Defender, English- and French-speaking Advocates in headless Chromium.

Every page type and error state is audited with axe-core (WCAG 2.1 AA) in es, en and fr; focus after a
refused submit or an added line is checked with the keyboard; pages are screenshotted to
``test-artifacts/screenshots/`` (390x844) for a human look.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from activities.documents_html import render_contract
from casefac.case import CaseStage
from casefac.messages import ApproveContract, Update
from casefac.parties import Role
from casefac.report import ReportKind
from casefac.settings import Settings
from gateway.portal.render import page as render_page
from starters.cases import open_case
from tests.browser.conftest import PHONE, axe_violations, shot
from tests.portal.stack import STAFF_EMAIL, ServedGateway, link
from tests.workflow.harness import STAFF, Case, Harness


def unavailable_page(lang: str, staff_email: str) -> Any:
    """The 503 page as the portal serves it when Temporal cannot be reached (rendered here, no outage)."""
    return render_page("unavailable.html", lang, status_code=503, staff_email=staff_email)  # type: ignore[arg-type]

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


# ---- every page type and error state, in es, en and fr: axe-core (WCAG 2.1 AA) and keyboard focus ----------

LANGS = ("es", "en", "fr")


async def _audit(page: Any, what: str, failures: list[str]) -> None:
    failures.extend(f"{what}: {v}" for v in await axe_violations(page))


async def _audit_get(page: Any, path: str, what: str, failures: list[str], *, status: int = 200) -> None:
    for lang in LANGS:
        sep = "&" if "?" in path else "?"
        response = await page.goto(f"{path}{sep}lang={lang}")
        assert response.status == status, (what, lang, response.status)
        assert await page.get_attribute("html", "lang") == lang, (what, lang)
        await _audit(page, f"{what} [{lang}]", failures)


async def _refused_submit(page: Any, path: str, lang: str, button: str) -> None:
    """Open the page in ``lang`` and submit it with the keyboard (focus the button, press Enter)."""
    await page.goto(f"{path}?lang={lang}")
    await page.focus(button)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def _focus_on(page: Any, *ids: str) -> str:
    """The focused element's id once it is one of ``ids`` (autofocus applies at the next rendering update,
    so this waits for that condition, up to 3 s), else whatever has the focus."""
    script = "ids => document.activeElement && ids.includes(document.activeElement.id)"
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # reported by the caller's assertion, with the actual id
        await page.wait_for_function(script, arg=list(ids), timeout=3000)
    return await page.evaluate("document.activeElement ? document.activeElement.id : ''")


async def test_every_page_and_error_state_passes_axe_in_three_languages_and_focus_lands_on_the_error(
        phone: Any, browser: Any, gateway: ServedGateway, harness: Harness, settings: Settings) -> None:
    failures: list[str] = []

    # the offer, and its refused decline (no reason)
    offer = await harness.open()
    await offer.assign("DEF-GT-001")
    respond = link(settings, offer, "respond_assignment")
    await _audit_get(phone, respond, "offer", failures)
    await phone.goto(respond)
    for _ in range(6):  # Tab to the first button: the keyboard focus ring is visible (3 px, dark, offset)
        await phone.keyboard.press("Tab")
        if await phone.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    ring = await phone.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                                "return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()")
    assert ring == ["BUTTON", "solid", "3px"], ring
    for lang in LANGS:
        await phone.goto(f"{respond}?lang={lang}")
        await phone.fill('[name="reason"]', "")
        await phone.focus('button[value="decline"]')
        async with phone.expect_navigation():
            await phone.keyboard.press("Enter")
        assert await _focus_on(phone, "reason") == "reason", lang  # the refused field has the focus
        assert await phone.get_attribute("#reason", "aria-invalid") == "true"
        assert await phone.get_attribute("#reason", "aria-describedby") == "err-reason"
        assert await phone.locator("#error-summary a[href='#reason']").count() == 1
        await _audit(phone, f"offer refused [{lang}]", failures)
        if lang == "fr":
            await shot(phone, "fr-01-offer-refused")

    # the contract under review, and a refused edit (scope emptied)
    await offer.accept()
    await offer.sign_advocate_agreement()
    await offer.until(lambda s: s.contract is not None, "contract drafted")
    review = link(settings, offer, "review_contract")
    await _audit_get(phone, review, "contract", failures)
    for lang in LANGS:
        await phone.goto(f"{review}?lang={lang}")
        await phone.fill('[name="terms.scope"]', "")
        await phone.evaluate("document.querySelector('#scope').removeAttribute('required')")
        await phone.click('button[value="edit"]')
        assert await _focus_on(phone, "scope") == "scope", lang
        await _audit(phone, f"contract refused [{lang}]", failures)
        if lang == "fr":
            await shot(phone, "fr-02-contract-refused")
    await _audit_get(phone, link(settings, offer, "sign_contract"), "sign: not yet", failures, status=403)
    await offer.complete_and_approve_contract()
    await offer.until(lambda s: s.envelope is not None, "envelope sent")
    await _audit_get(phone, link(settings, offer, "sign_contract", Role.ADVOCATE), "sign", failures)
    for event in ("signing_complete", "decline", "ttl_expired"):
        await _audit_get(phone, link(settings, offer, "sign_contract", Role.ADVOCATE) + f"/signed?event={event}",
                         f"signed: {event}", failures)
    await offer.sign_all()

    # the assignment: tasks, report (empty, refused, a line added), the signed contract read-only, a receipt
    tasks = link(settings, offer, "update_task")
    await _audit_get(phone, tasks, "tasks", failures)
    report = link(settings, offer, "submit_report")
    await _audit_get(phone, report, "report", failures)
    for lang in LANGS:
        await _refused_submit(phone, report, lang, 'button[value="submit"]')
        assert await phone.locator("#error-summary").count() == 1
        summary = await phone.inner_text("#error-summary")
        assert summary.split("\n")[0].endswith(":"), summary  # "There are N problems on this page:"
        focused = await _focus_on(phone, "hours[0].date", "kind-interim", "error-summary")
        assert focused in ("hours[0].date", "kind-interim", "error-summary"), (lang, focused)
        await _audit(phone, f"report refused [{lang}]", failures)
        if lang == "fr":
            await shot(phone, "fr-03-report-refused")
        await phone.click('button[value="add_expense"]')
        # the new line has the focus
        assert await _focus_on(phone, "expenses[0].date") == "expenses[0].date", lang
        await _audit(phone, f"report line added [{lang}]", failures)
    await _audit_get(phone, link(settings, offer, "review_contract", Role.ADVOCATE), "signed contract", failures)
    for lang in LANGS:
        await phone.goto(f"{tasks}?lang={lang}")
        async with phone.expect_navigation():
            await phone.locator("form").first.locator('button[value="update"]').click()
        await _audit(phone, f"receipt [{lang}]", failures)
        # a status the page does not offer (a crafted post) is refused beside the select, which gets the focus
        await phone.goto(f"{tasks}?lang={lang}")
        await phone.evaluate("""() => { const s = document.querySelector('select[name=status]');
                                        s.add(new Option('?', 'bogus')); s.value = 'bogus'; }""")
        async with phone.expect_navigation():
            await phone.locator("form").first.locator('button[value="update"]').click()
        assert await _focus_on(phone, "status-T1") == "status-T1", lang
        await _audit(phone, f"tasks refused [{lang}]", failures)

    # evaluation and outcome, with their refused submits
    done = await harness.open()
    await done.to_assignment("DEF-GT-002")
    await done.approve(await done.submit(done.report(ReportKind.FINAL)))
    await done.stage(CaseStage.EVALUATION)
    evaluate = link(settings, done, "evaluate", Role.ADVOCATE)
    await _audit_get(phone, evaluate, "evaluation", failures)
    for lang in LANGS:
        await _refused_submit(phone, evaluate, lang, 'button[value="submit"]')
        assert await _focus_on(phone, "communication-1") == "communication-1", lang  # first question, first choice
        described = await phone.get_attribute("fieldset.rating", "aria-describedby")
        assert described == "err-communication scale-communication", described  # error and scale hint
        assert await phone.locator("#error-summary li").count() == 5
        await _audit(phone, f"evaluation refused [{lang}]", failures)
        if lang == "fr":
            await shot(phone, "fr-04-evaluation-refused")
    outcome = link(settings, done, "report_outcome", Role.ADVOCATE)
    await _audit_get(phone, outcome, "outcome", failures)
    for lang in LANGS:
        await phone.goto(f"{outcome}?lang={lang}")
        await phone.select_option('[name="result"]', "granted")
        await phone.fill('[name="decided_on"]', (date.today() + timedelta(days=3)).isoformat())
        await phone.click('button[value="submit"]')
        assert await _focus_on(phone, "decided_on") == "decided_on", lang
        await _audit(phone, f"outcome refused [{lang}]", failures)

    # refusals: invalid (every language at once), expired, done, early, gone, cancelled; 503
    german = await browser.new_context(viewport=PHONE, base_url=gateway.url, locale="de-DE")
    nobody = await german.new_page()  # a browser in none of our languages: all three at once
    await nobody.goto("/p/not-a-token")
    await _audit(nobody, "refused: invalid (es, en, fr)", failures)
    assert await nobody.locator("section[lang]").count() == 3
    await german.close()
    expired = link(settings, done, "evaluate", now=datetime.now(UTC) - timedelta(days=30))
    await _audit_get(phone, expired, "refused: expired", failures, status=403)
    await _audit_get(phone, respond, "refused: done", failures, status=403)
    early = await harness.open()
    await early.assign("DEF-GT-003")
    await _audit_get(phone, link(settings, early, "evaluate", Role.ADVOCATE), "refused: early", failures, status=403)
    await early.cancel()
    await early.stage(CaseStage.CANCELLED)
    await _audit_get(phone, link(settings, early, "respond_assignment"), "refused: cancelled", failures, status=403)
    await shot(phone, "fr-05-cancelled")
    for lang in LANGS:
        await phone.set_content(bytes(unavailable_page(lang, STAFF_EMAIL).body).decode())
        await _audit(phone, f"unavailable [{lang}]", failures)

    assert failures == []


async def test_signed_contract_viewable_and_cancelled_case_says_so_in_french(
        phone: Any, harness: Harness, settings: Settings) -> None:
    request = harness.request()
    request.advocate.language = "fr"
    case = Case(h=harness, handle=await open_case(harness.client, request, harness.policy), req=request)
    await case.to_assignment("DEF-GT-001")
    await phone.goto(link(settings, case, "review_contract", Role.ADVOCATE))
    text = await _visible_text(phone)
    assert "Contrat signé, version 2" in text and "Toutes les parties ont signé ce contrat" in text
    assert "Facilitation de dossier" in text and "Recueillir les documents énumérés" in text
    assert await phone.locator("form").count() == 0
    await shot(phone, "fr-06-signed-contract")
    await case.cancel()
    await case.stage(CaseStage.CANCELLED)
    await phone.goto(link(settings, case, "sign_contract", Role.ADVOCATE))
    text = await _visible_text(phone)
    assert "Ce dossier a été annulé" in text and case.case_id in text and STAFF_EMAIL in text
    assert await phone.locator(f'a[href="mailto:{STAFF_EMAIL}"]').count() == 1


async def test_the_bilingual_contract_document_as_a_signer_sees_it(phone: Any) -> None:
    from tests.unit.test_documents_html import _request

    html = render_contract(_request(special="Weekly updates by secure messaging."), "Justice in Motion",
                           date.today())
    await phone.set_viewport_size({"width": 820, "height": 1100})
    await phone.set_content(html)
    assert await phone.locator("section.version").count() == 3  # English, Spanish, signatures
    assert "prevalece la versión en inglés" in await _visible_text(phone)
    await shot(phone, "contract-document-en-es")


async def test_the_audit_sees_a_violation_when_there_is_one(phone: Any) -> None:
    """Guards the audits above: a page with an unlabeled input and low contrast must not come back clean."""
    await phone.set_content('<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
                            '<input id="x"><p style="color:#ccc;background:#fff">faint</p></main></body></html>')
    found = " ".join(await axe_violations(phone))
    assert "label" in found and "color-contrast" in found
