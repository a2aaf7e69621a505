"""DocuSign's own refusals of a signing view reach the party as "not your turn" / "already signed".

The portal pre-checks the turn from the workflow, which can lag DocuSign Connect; then DocuSign refuses the
view (``RECIPIENT_NOT_IN_SEQUENCE``, or the envelope is finished or voided) and ``activities.esign`` raises
a typed error. The party must read what it means in their language, not "unavailable".
"""

from __future__ import annotations

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities import signing_view as signing_view_activity
from casefac.activity_io import CONTRACT_SIGNERS
from casefac.errors import ErrorType
from casefac.parties import Role
from casefac.settings import Settings
from gateway.portal.pages import sign as sign_page
from starters.demo_parties import read_page
from tests.portal.stack import link
from tests.workflow.harness import Harness

EXPECTED = {("not_your_turn", "en"): "It is not your turn to sign yet",
            ("signed_already", "en"): "This document is already signed",
            ("not_your_turn", "es"): "Todavía no es su turno para firmar",
            ("signed_already", "es"): "Este documento ya está firmado"}


@pytest.mark.parametrize(("error_type", "role", "reason", "lang"), [
    (ErrorType.RECIPIENT_NOT_IN_SEQUENCE, Role.ADVOCATE, "not_your_turn", "en"),
    (ErrorType.ENVELOPE_NOT_SIGNABLE, Role.ADVOCATE, "signed_already", "en"),
    (ErrorType.RECIPIENT_NOT_IN_SEQUENCE, Role.DEFENDER, "not_your_turn", "es"),
    (ErrorType.ENVELOPE_NOT_SIGNABLE, Role.DEFENDER, "signed_already", "es"),
])
async def test_docusign_refusal_is_said_in_the_party_language(
        portal: httpx.AsyncClient, harness: Harness, settings: Settings, monkeypatch: pytest.MonkeyPatch,
        error_type: str, role: Role, reason: str, lang: str) -> None:
    def refused_view(*_args: object) -> str:
        raise ApplicationError("DocuSign signing view · HTTP 400", type=error_type, non_retryable=True)

    shown: list[str] = []
    real_refusal = sign_page.refusal

    def spy(gw, lang_, kind, **kwargs):  # type: ignore[no-untyped-def]
        shown.append(kind)
        return real_refusal(gw, lang_, kind, **kwargs)

    # The worker's activity asks DocuSign now (review M7).
    monkeypatch.setattr(signing_view_activity, "create_signing_url", refused_view)
    monkeypatch.setattr(sign_page, "refusal", spy)
    case = await harness.open()
    await case.assign("DEF-GT-001")
    await case.accept()
    await case.sign_advocate_agreement()
    await case.complete_and_approve_contract()
    envelope_id = await case.envelope()  # the envelope is out: the Advocate's page offers Sign
    if role is Role.DEFENDER:  # the case believes it is the Defender's turn (DocuSign may think otherwise)
        await case.envelope_event(envelope_id, "recipient_completed", CONTRACT_SIGNERS[Role.ADVOCATE])
        await case.until(lambda s: s.envelope is not None and "1" in s.envelope.signed, "advocate signed")

    party = link(settings, case, "sign_contract", role)
    page = await portal.get(party)
    form = next(f for f in read_page(page.text)[0] if f.id == "sign")
    answer = await portal.post(party, data=form.data("sign"))

    assert answer.status_code == 403
    assert shown == [reason]
    assert EXPECTED[(reason, lang)] in read_page(answer.text)[1]
