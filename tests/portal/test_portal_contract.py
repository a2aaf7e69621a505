"""Contract review (edit, diff, approve, stale revision) and the signing hand-off to DocuSign."""

from __future__ import annotations

import httpx
import pytest

from activities import signing_view as signing_view_activity
from casefac.activity_io import CONTRACT_SIGNERS
from casefac.case import CaseStage
from casefac.messages import ApproveContract, Update
from casefac.parties import Role
from casefac.settings import Settings
from starters.demo_parties import Form, read_page
from tests.portal.stack import link
from tests.workflow.harness import STAFF, Harness


def _form(html: str, form_id: str) -> Form:
    forms, _ = read_page(html)
    found = next((f for f in forms if f.id == form_id), None)
    assert found is not None, f"no form {form_id}: {[f.id for f in forms]}"
    return found


async def test_advocate_completes_defender_sees_diff_and_approves(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    await case.until(lambda s: s.contract is not None, "contract drafted")

    advocate = link(settings, case, "review_contract", Role.ADVOCATE)
    page = await portal.get(advocate)
    assert page.status_code == 200
    text = read_page(page.text)[1]
    assert "Facilitation contract, revision 1" in text and "USD 35.00" in text and "complete the contract" in text
    assert [f.id for f in read_page(page.text)[0]] == ["edit"]  # the Advocate completes; only the Defender approves
    defender = link(settings, case, "review_contract")
    stale_edit = _form((await portal.get(defender)).text, "edit")  # the Defender opens revision 1 meanwhile

    edit = _form(page.text, "edit").fill({"terms.special_terms": "Weekly updates by secure messaging.",
                                          "terms.tasks[0].description": "Locate the client in Cobán"})
    saved = await portal.post(advocate, data=edit.data("edit"))
    assert saved.status_code == 200, saved.text
    assert "We saved the completed contract (revision 2)." in read_page(saved.text)[1]

    page = await portal.get(defender)
    text = read_page(page.text)[1]
    assert "Contrato de facilitación, versión 2" in text and "Cambios desde la versión 1" in text
    assert "Condiciones especiales" in text and "Weekly updates by secure messaging." in text
    assert "Localizar al cliente: Locate the client in Cobán" in text
    assert "USD 35.00" in text and "hourly_rate" not in str(_form(page.text, "edit").values())
    english = await portal.get(defender, params={"lang": "en"})
    assert "Changes since revision 1" in read_page(english.text)[1]

    # An edit made on the revision-1 page is refused by the workflow; its message lands on the page.
    stale = await portal.post(defender, data=stale_edit.fill({"terms.special_terms": "Daily calls"}).data("edit"))
    assert stale.status_code == 400
    assert 'id="err-base_revision"' in stale.text
    assert "Alguien guardó la versión 2 mientras usted revisaba la 1" in read_page(stale.text)[1]

    approved = await portal.post(defender, data=_form(page.text, "approve").data("approve"))
    assert approved.status_code == 200
    assert "Usted aprobó la versión 2 del contrato." in read_page(approved.text)[1]
    status = await case.status()
    assert status.contract is not None and status.contract.approvals == [Role.DEFENDER]
    assert "approve" not in [f.id for f in read_page((await portal.get(defender)).text)[0]]


async def test_sign_link_opens_a_fresh_recipient_view_in_routing_order(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    views: list[tuple[str, str, str, str, str]] = []

    def fake_view(settings: object, envelope_id: str, recipient_id: str, client_user_id: str, name: str,
                  email: str, return_url: str) -> str:
        views.append((envelope_id, recipient_id, client_user_id, name, return_url))
        return f"https://docusign.test/signing/{len(views)}"

    # The view is opened by the worker's activity now (review M7), not by the gateway.
    monkeypatch.setattr(signing_view_activity, "create_signing_url", fake_view)
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    early = await portal.get(link(settings, case, "sign_contract"))
    assert early.status_code == 403 and "Todavía no es el momento" in read_page(early.text)[1]
    await case.sign_advocate_agreement()
    revision = await case.complete_and_approve_contract()
    envelope_id = await case.envelope()

    defender = link(settings, case, "sign_contract")
    not_yet = await portal.get(defender)
    assert not_yet.status_code == 200 and 'id="not-your-turn"' in not_yet.text
    assert "Todavía no es su turno" in read_page(not_yet.text)[1]

    advocate = link(settings, case, "sign_contract", Role.ADVOCATE)
    page = await portal.get(advocate)
    assert f"Revision {revision} of the contract is ready for your signature." in read_page(page.text)[1]
    opened = await portal.post(advocate, data=_form(page.text, "sign").data("sign"))
    assert opened.status_code == 303 and opened.headers["location"] == "https://docusign.test/signing/1"
    assert views[0][:3] == (envelope_id, CONTRACT_SIGNERS[Role.ADVOCATE], case.req.advocate.id)
    # DocuSign keeps the return URL: an opaque id, never the link's token (review M3).
    return_url = views[0][4]
    assert return_url.startswith("http://gateway.test/p/r/") and advocate.removeprefix("/p/") not in return_url

    back = await portal.get(return_url.removeprefix("http://gateway.test"), params={"event": "signing_complete"})
    assert back.status_code == 200 and "Thank you for signing!" in read_page(back.text)[1]
    await case.envelope_event(envelope_id, "recipient_completed", CONTRACT_SIGNERS[Role.ADVOCATE])
    await case.until(lambda s: s.envelope is not None and "1" in s.envelope.signed, "advocate signed")
    assert (await portal.get(advocate)).status_code == 403  # signed: the link is used up

    page = await portal.get(defender)
    opened = await portal.post(defender, data=_form(page.text, "sign").data("sign"))
    assert opened.status_code == 303
    assert views[1][1:4] == (CONTRACT_SIGNERS[Role.DEFENDER], "DEF-GT-001", "Ana Lucía Pérez Xol")
    declined = await portal.get(f"{defender}/signed", params={"event": "decline"})
    assert "Usted no firmó" in read_page(declined.text)[1]
    await case.envelope_event(envelope_id, "recipient_completed", CONTRACT_SIGNERS[Role.DEFENDER])
    await case.until(lambda s: s.envelope is not None and "2" in s.envelope.signed, "defender signed")

    staff = link(settings, case, "sign_contract", Role.STAFF)
    page = await portal.get(staff)
    opened = await portal.post(staff, data=_form(page.text, "sign").data("sign"))
    assert opened.status_code == 303
    assert views[2][1:4] == (CONTRACT_SIGNERS[Role.STAFF], "JIM", settings.docusign.jim_signer_name)
    await case.envelope_event(envelope_id, "recipient_completed", CONTRACT_SIGNERS[Role.STAFF])
    await case.envelope_event(envelope_id, "completed")
    await case.stage(CaseStage.ASSIGNMENT)
    # Staff have no other portal page: a staff link for anything else is refused.
    assert (await portal.get(link(settings, case, "update_task", Role.STAFF))).status_code == 403


async def test_staff_approval_stays_with_the_cli(harness: Harness) -> None:
    """The portal offers no approve button to the Advocate; the workflow refuses it too."""
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    s = await case.until(lambda s: s.contract is not None, "contract drafted")
    assert s.contract is not None
    from temporalio.client import WorkflowUpdateFailedError

    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=case.advocate, revision=s.contract.number))
    assert "actor:" in str(err.value.cause)
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=s.contract.number))


async def test_saving_the_contract_as_shown_in_spanish_keeps_the_system_text_translatable(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    drafted = (await case.until(lambda s: s.contract is not None, "contract drafted")).contract
    assert drafted is not None
    path = link(settings, case, "review_contract")
    edit = _form((await portal.get(path)).text, "edit")
    values = edit.values()
    assert values["terms.scope"].startswith("Facilitación de Caso")  # shown in Spanish, ready to edit
    assert values["terms.tasks[0].description"].startswith("Localizar al cliente")
    values.update({"terms.special_terms": "Informes semanales por mensajería segura.", "op": "edit"})
    saved = await portal.post(path, data=values)
    assert saved.status_code == 200, saved.text
    terms = (await case.until(lambda s: s.contract is not None and s.contract.number == 2, "revision 2")).contract
    assert terms is not None
    # unchanged fields keep the stored (English) system text, so an English or French reader still reads theirs
    assert terms.terms.scope == drafted.terms.scope
    assert [t.description for t in terms.terms.tasks] == [t.description for t in drafted.terms.tasks]
    assert terms.terms.special_terms == "Informes semanales por mensajería segura."
    english = read_page((await portal.get(link(settings, case, "review_contract", Role.ADVOCATE))).text)[1]
    assert "Locate the client and confirm a safe way to reach them" in english
    assert "Informes semanales por mensajería segura." in english


async def test_an_emptied_scope_is_refused_in_the_readers_language(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings) -> None:
    case = await harness.open()
    await case.assign("DEF-GT-002")
    await case.accept()
    await case.until(lambda s: s.contract is not None, "contract drafted")
    path = link(settings, case, "review_contract")
    values = _form((await portal.get(path, params={"lang": "fr"})).text, "edit").values()
    values.update({"terms.scope": "", "op": "edit"})
    refused = await portal.post(path, data=values)
    assert refused.status_code == 400
    assert '<p class="err" id="err-terms.scope">Ce renseignement est obligatoire.</p>' in refused.text
    assert 'aria-invalid="true" aria-describedby="err-terms.scope"' in refused.text
    assert '<a href="#scope">Portée — Ce renseignement est obligatoire.</a>' in refused.text
