"""Task updates and the hour & expense report: add/remove lines without JavaScript, errors beside fields
with the values kept, the workflow validator's rule surfacing, and per-currency totals."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from casefac.case import CaseStage
from casefac.money import Money
from casefac.settings import Settings
from starters.demo_parties import Form, read_page
from tests.portal.stack import link
from tests.workflow.harness import Harness


def _form(html: str, form_id: str) -> Form:
    found = next((f for f in read_page(html)[0] if f.id == form_id), None)
    assert found is not None, html[:2000]
    return found


async def test_task_update_in_both_languages(portal: httpx.AsyncClient, harness: Harness,
                                             settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    path = link(settings, case, "update_task")
    es = await portal.get(path)
    assert es.status_code == 200 and "Tareas del caso" in read_page(es.text)[1]
    assert "Case tasks" in read_page((await portal.get(path, params={"lang": "en"})).text)[1]
    form = _form(es.text, "task-T1").fill({"status": "in_progress", "note": "Primera llamada hecha"})
    done = await portal.post(path, data=form.data("update"))
    assert done.status_code == 200
    assert "La tarea T1 quedó como «En curso»." in read_page(done.text)[1]
    status = await case.status()
    task = next(t for t in status.tasks if t.id == "T1")
    assert task.status == "in_progress" and task.notes == ["Primera llamada hecha"]
    again = await portal.get(path)
    # Repeatable while assigned, but status only: a forwarded link must not show past notes (review M2).
    assert again.status_code == 200 and "Primera llamada hecha" not in again.text


async def test_report_errors_kept_values_validator_rule_and_mixed_currency_totals(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    path = link(settings, case, "submit_report")
    page = await portal.get(path)
    assert page.status_code == 200 and len(page.content) < 30_000
    assert "Informe de horas y gastos" in read_page(page.text)[1]
    assert "Hours and expenses report" in read_page((await portal.get(path, params={"lang": "en"})).text)[1]
    form = _form(page.text, "report")
    assert "hours[0].date" in form.values() and "expenses[0].date" not in form.values()

    # "Add an expense" twice, without JavaScript: the form comes back with two empty expense rows.
    for _ in range(2):
        page = await portal.post(path, data=form.data("add_expense"))
        assert page.status_code == 200
        form = _form(page.text, "report")
    today = date.today()
    future = (today + timedelta(days=3)).isoformat()
    form.fill({"hours[0].date": future, "hours[0].hours": "0,15", "hours[0].task_code": "L110",
               "hours[0].activity_code": "A106", "hours[0].description": "Llamada con la clienta",
               "expenses[0].date": today.isoformat(), "expenses[0].amount": "250,50",
               "expenses[0].amount.currency": "GTQ", "expenses[0].expense_code": "E109",
               "expenses[0].description": "Bus a Cobán",
               "expenses[1].date": today.isoformat(), "expenses[1].amount": "40",
               "expenses[1].amount.currency": "USD", "expenses[1].expense_code": "E105",
               "expenses[1].description": "Saldo telefónico", "kind": "final"})

    first = await portal.post(path, data=form.data("submit"))
    assert first.status_code == 400
    assert 'id="err-hours[0].hours"' in first.text
    assert "Use décimas de hora" in read_page(first.text)[1]
    kept = _form(first.text, "report").values()
    assert kept["hours[0].hours"] == "0,15" and kept["expenses[0].amount"] == "250,50"
    assert kept["expenses[1].amount.currency"] == "USD" and kept["hours[0].description"] == "Llamada con la clienta"
    totals = read_page(first.text)[1]
    assert "Gastos en GTQ GTQ 250.50" in totals and "Gastos en USD USD 40.00" in totals

    # Hours fixed; the date in the future is the workflow validator's to refuse, beside the date field.
    form = _form(first.text, "report").fill({"hours[0].hours": "1,5"})
    second = await portal.post(path, data=form.data("submit"))
    assert second.status_code == 400
    assert 'id="err-hours[0].date"' in second.text
    assert "La fecha debe estar entre la apertura del caso" in read_page(second.text)[1]
    assert (await case.status()).reports == []  # nothing entered history

    # Remove the USD line and put it back: rows renumber, totals follow.
    form = _form(second.text, "report").fill({"hours[0].date": today.isoformat()})
    removed = await portal.post(path, data=form.data("remove_expense_1"))
    assert "Gastos en USD" not in read_page(removed.text)[1]
    form = _form(removed.text, "report")
    form = _form((await portal.post(path, data=form.data("add_expense"))).text, "report").fill({
        "expenses[1].date": today.isoformat(), "expenses[1].amount": "40", "expenses[1].amount.currency": "USD",
        "expenses[1].expense_code": "E105", "expenses[1].description": "Saldo telefónico"})

    done = await portal.post(path, data=form.data("submit"))
    assert done.status_code == 200, read_page(done.text)[1]
    assert "Recibimos su informe n.º 1 (Final (el trabajo terminó))." in read_page(done.text)[1]
    status = await case.stage(CaseStage.PAYMENT)
    assert status.reports[0].hours == "1.5" and status.reports[0].expense_currencies == ["GTQ", "USD"]
    assert (await portal.get(path)).status_code == 403  # one report at a time: it is under review

    # Amounts reached the workflow as integer minor units: 1.5 h x USD 35 + GTQ 250.50 x 0.13 + USD 40.
    await case.approve(1, rates=case.gtq_rates())
    invoiced = await case.until(lambda s: bool(s.invoices), "invoice")
    assert invoiced.invoices[0].amount_due == Money(amount=5250 + 3256 + 4000, currency="USD")
