"""Links on the portal: the right page per action, refusals in the party's language, one-shot semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from temporalio.client import Client

from casefac.activity_io import PortalAction
from casefac.case import CaseStage
from casefac.parties import Role
from casefac.settings import Settings
from gateway.app import create_app
from starters.cases import open_case
from starters.demo_parties import read_page
from tests.portal.stack import STAFF_EMAIL, link, link_signer
from tests.workflow.harness import Case, Harness


async def test_offer_page_in_both_languages_then_accept_then_link_is_done(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    path = link(settings, case, "respond_assignment")

    es = await portal.get(path)
    assert es.status_code == 200, es.text
    forms, text = read_page(es.text)
    assert 'lang="es"' in es.text and "Un caso nuevo para usted" in text and "Guatemala" in text
    assert [f.id for f in forms] == ["respond"]
    assert es.headers["cache-control"] == "no-store" and es.headers["referrer-policy"] == "no-referrer"
    en = await portal.get(path, params={"lang": "en"})
    assert "A new case for you" in read_page(en.text)[1] and 'lang="en"' in en.text

    accepted = await portal.post(path, data={"lang": "es", "op": "accept", "reason": ""})
    assert accepted.status_code == 200, accepted.text
    assert "Usted aceptó el caso" in read_page(accepted.text)[1]
    await case.stage(CaseStage.AGREEMENT)

    again = await portal.get(path)
    assert again.status_code == 403
    text = read_page(again.text)[1]
    assert "Esto ya está hecho" in text and STAFF_EMAIL in text
    posted = await portal.post(path, data={"op": "accept"})
    assert posted.status_code == 403


async def test_decline_without_reason_shows_the_validator_rule_beside_the_field(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-002")
    path = link(settings, case, "respond_assignment")
    refused = await portal.post(path, data={"lang": "es", "op": "decline", "reason": "  "})
    assert refused.status_code == 400
    assert 'id="err-reason"' in refused.text
    assert "Indique brevemente por qué no puede tomar el caso." in read_page(refused.text)[1]
    declined = await portal.post(path, data={"lang": "en", "op": "decline", "reason": "Travelling that month"})
    assert declined.status_code == 200
    assert "cannot take this case" in read_page(declined.text)[1]


async def test_tampered_expired_and_foreign_links_are_refused_in_the_right_language(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-003")
    good = link(settings, case, "respond_assignment")
    body, _, mac = good.removeprefix("/p/").partition(".")
    tampered = f"/p/{body[:-2]}AA.{mac}"

    bilingual = await portal.get(tampered)
    assert bilingual.status_code == 403
    text = read_page(bilingual.text)[1]
    assert "Este enlace no es válido" in text and "This link is not valid" in text and STAFF_EMAIL in text
    spanish = await portal.get(tampered, headers={"Accept-Language": "es-GT,es;q=0.9"})
    assert "Este enlace no es válido" in read_page(spanish.text)[1]
    assert "This link is not valid" not in read_page(spanish.text)[1]
    garbage = await portal.get("/p/not-a-token")
    assert garbage.status_code == 403

    expired = link(settings, case, "respond_assignment", now=datetime.now(UTC) - timedelta(days=30))
    page = await portal.get(expired)
    assert page.status_code == 403
    text = read_page(page.text)[1]
    assert "Este enlace venció" in text and STAFF_EMAIL in text and 'lang="es"' in page.text
    advocate_expired = link(settings, case, "evaluate", Role.ADVOCATE, now=datetime.now(UTC) - timedelta(days=30))
    assert "This link has expired" in read_page((await portal.get(advocate_expired)).text)[1]

    not_yet = await portal.get(link(settings, case, "evaluate", Role.ADVOCATE))
    assert not_yet.status_code == 403
    assert "It is not time for this yet" in read_page(not_yet.text)[1]
    wrong_party = case.defender_id
    case.defender_id = "DEF-GT-002"
    foreign = await portal.get(link(settings, case, "respond_assignment"))
    case.defender_id = wrong_party
    assert foreign.status_code == 403
    assert "ya no corresponde" in read_page(foreign.text)[1]


async def test_french_advocate_reads_french_with_system_text_translated_and_may_switch(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    request = harness.request()
    request.advocate.language = "fr"
    handle = await open_case(harness.client, request, harness.policy)
    case = Case(h=harness, handle=handle, req=request)
    await case.assign("DEF-GT-001")
    await case.accept()
    await case.until(lambda s: s.contract is not None, "contract drafted")
    path = link(settings, case, "review_contract", Role.ADVOCATE)
    page = await portal.get(path)
    text = read_page(page.text)[1]
    assert '<html lang="fr">' in page.text and "Contrat de facilitation, version 1" in text
    # the drafted scope, default tasks and revision note, generated in English, read in French
    assert "Facilitation de dossier" in text and "(pays : Guatemala)" in text
    assert "Rédigé à partir de la demande de facilitation" in text and "Drafted from" not in text
    assert "Version de Justice in Motion" in text
    # language switch links name their language in it; the help address is a tappable mailto: link
    assert '<a href="' + path + '?lang=es" hreflang="es" lang="es">Español</a>' in page.text
    assert f'<a href="mailto:{STAFF_EMAIL}">{STAFF_EMAIL}</a>' in page.text
    spanish = await portal.get(path, params={"lang": "es"})
    spanish_text = read_page(spanish.text)[1]
    assert "Contrato de facilitación" in spanish_text and "Versión de Justice in Motion" in spanish_text
    assert "Redactado a partir de la solicitud del caso" in spanish_text
    edit = next(f for f in read_page(spanish.text)[0] if f.id == "edit")
    assert edit.values()["lang"] == "es"  # the choice is kept in the form
    assert len(page.content) < 30_000


async def test_signed_contract_stays_readable_by_its_parties_after_signing(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    status = await case.status()
    assert status.envelope is not None and status.envelope.status == "completed"
    for role, heading in ((Role.DEFENDER, "Contrato firmado, versión"), (Role.ADVOCATE, "Signed contract, revision")):
        for action in ("review_contract", "sign_contract"):
            page = await portal.get(link(settings, case, action, role))
            assert page.status_code == 200, (role, action, page.text)
            forms, text = read_page(page.text)
            assert heading in text and forms == []  # read-only: no form to edit, approve or sign
            assert str(status.contract.terms.hourly_rate.currency) in text  # type: ignore[union-attr]
    posted = await portal.post(link(settings, case, "review_contract"), data={"lang": "es", "op": "approve"})
    assert posted.status_code == 403 and "Este documento ya está firmado" in read_page(posted.text)[1]


async def test_a_cancelled_cases_links_say_it_was_cancelled_with_jims_contact(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    await case.until(lambda s: s.contract is not None, "contract drafted")
    await case.cancel()
    await case.stage(CaseStage.CANCELLED)
    for action, role, words in (("sign_contract", Role.ADVOCATE, "This case was cancelled"),
                                ("review_contract", Role.DEFENDER, "Este caso fue cancelado"),
                                ("respond_assignment", Role.DEFENDER, "Este caso fue cancelado")):
        page = await portal.get(link(settings, case, action, role))
        assert page.status_code == 403
        text = read_page(page.text)[1]
        assert words in text and case.case_id in text and STAFF_EMAIL in text, text
        assert "already" not in text and "ya está hecho" not in text and "signature is recorded" not in text
        assert f'href="mailto:{STAFF_EMAIL}"' in page.text


async def test_temporal_unreachable_is_a_503_page_that_says_try_again(settings: Settings) -> None:
    async def down() -> Client:
        raise RuntimeError("Failed client connect: connection refused")

    app = create_app(settings, down)
    granted = PortalAction(action="submit_report", role=Role.DEFENDER, party_id="DEF-GT-001", case_id="JIM-2026-0001")
    path = "/p/" + link_signer(settings).token(granted, datetime.now(UTC))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as http:
        page = await http.get(path)
        assert page.status_code == 503 and page.headers["retry-after"] == "60"
        assert "No se guardó nada" in read_page(page.text)[1]  # a Defender's link: Spanish
        posted = await http.post(path, data={"lang": "en", "op": "submit"})
        assert posted.status_code == 503 and "Nothing was saved" in read_page(posted.text)[1]
