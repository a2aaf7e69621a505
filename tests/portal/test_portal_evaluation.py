"""Evaluation by both parties and the Advocate's outcome report; one-shot links afterwards."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from casefac.case import CaseStage
from casefac.parties import Role
from casefac.report import ReportKind
from casefac.settings import Settings
from starters.demo_parties import Form, read_page
from tests.portal.stack import link
from tests.workflow.harness import Case, Harness


def _form(html: str, form_id: str) -> Form:
    found = next((f for f in read_page(html)[0] if f.id == form_id), None)
    assert found is not None, html[:2000]
    return found


async def _to_evaluation(harness: Harness) -> Case:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    number = await case.submit(case.report(ReportKind.FINAL))
    await case.approve(number)
    await case.stage(CaseStage.EVALUATION)
    return case


async def test_both_parties_evaluate_and_the_advocate_reports_the_outcome(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await _to_evaluation(harness)

    defender = link(settings, case, "evaluate")
    page = await portal.get(defender)
    assert page.status_code == 200 and "Evaluación de la facilitación" in read_page(page.text)[1]
    assert "Evaluation of the facilitation" in read_page((await portal.get(defender, params={"lang": "en"})).text)[1]
    incomplete = _form(page.text, "evaluate").fill({"communication": "5", "comments": "Muy buena coordinación"})
    refused = await portal.post(defender, data=incomplete.data("submit"))
    assert refused.status_code == 400
    assert 'id="err-quality"' in refused.text and 'id="err-would_work_again"' in refused.text
    kept = _form(refused.text, "evaluate").values()
    assert kept["communication"] == "5" and kept["comments"] == "Muy buena coordinación"
    form = _form(refused.text, "evaluate").fill({"quality": "4", "timeliness": "5", "overall": "5",
                                                 "would_work_again": "yes"})
    done = await portal.post(defender, data=form.data("submit"))
    assert done.status_code == 200 and "Recibimos su evaluación. ¡Gracias!" in read_page(done.text)[1]
    reused = await portal.get(defender)
    assert reused.status_code == 403 and "Su evaluación ya fue recibida." in read_page(reused.text)[1]

    advocate = link(settings, case, "evaluate", Role.ADVOCATE)
    page = await portal.get(advocate)
    assert "How was working with the Defender on this case?" in read_page(page.text)[1]
    form = _form(page.text, "evaluate").fill({"communication": "4", "quality": "5", "timeliness": "3",
                                              "overall": "4", "would_work_again": "no"})
    done = await portal.post(advocate, data=form.data("submit"))
    assert "We received your evaluation. Thank you!" in read_page(done.text)[1]
    assert (await case.status()).evaluations_from == ["advocate", "defender"]

    outcome = link(settings, case, "report_outcome", Role.ADVOCATE)
    page = await portal.get(outcome)
    assert "Case outcome" in read_page(page.text)[1]
    assert "Resultado del caso" in read_page((await portal.get(outcome, params={"lang": "es"})).text)[1]
    future = (date.today() + timedelta(days=10)).isoformat()
    form = _form(page.text, "outcome").fill({"result": "granted", "decided_on": future, "notes": "Asylum granted"})
    refused = await portal.post(outcome, data=form.data("submit"))
    assert refused.status_code == 400 and "The date cannot be in the future." in read_page(refused.text)[1]
    form = _form(refused.text, "outcome").fill({"decided_on": date.today().isoformat()})
    done = await portal.post(outcome, data=form.data("submit"))
    assert "We recorded the case outcome: Granted." in read_page(done.text)[1]
    assert (await case.status()).outcome == "granted"
    again = await portal.get(outcome)
    assert again.status_code == 403 and "already been reported" in read_page(again.text)[1]
