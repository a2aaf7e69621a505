"""DocuSign as live mode has it: consent before the first grant, views refused out of turn, hourly limits."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.esign import DocuSignSession, EsignActivities, consent_url, create_signing_url
from casefac.documents import LocalDocumentStore
from casefac.settings import DocuSignSettings
from sandbox.testing import RunningSandbox
from tests.activities.act_factories import contract_request
from tests.activities.conftest import TlsMaterial


@pytest.fixture
def esign(docusign_settings: DocuSignSettings, tmp_path: Path) -> EsignActivities:
    return EsignActivities(docusign_settings, LocalDocumentStore(tmp_path / "docs"), "http://127.0.0.1:9/hook")


def signers(sandbox: RunningSandbox) -> tuple[str, list[dict[str, Any]]]:
    [envelope] = sandbox.admin("GET", "/_sandbox/envelopes")
    return envelope["envelopeId"], sorted(envelope["recipients"]["signers"], key=lambda s: int(s["routingOrder"]))


def view(settings: DocuSignSettings, envelope_id: str, signer: dict[str, Any]) -> str:
    return create_signing_url(settings, envelope_id, signer["recipientId"], signer["clientUserId"], signer["name"],
                              signer["email"], "https://portal.example.test/done")


async def test_jwt_grant_without_consent_names_the_consent_url(
        docusign_settings: DocuSignSettings, tls: TlsMaterial, sandbox: RunningSandbox, tmp_path: Path) -> None:
    settings = docusign_settings.model_copy(update={
        "static_token": None, "private_key_file": tls.jwt_private_key_file, "oauth_ca_cert": tls.cert_file})
    DocuSignSession(settings).forget_token()
    sandbox.admin("POST", "/_sandbox/docusign/consent", {"given": False})
    activities = EsignActivities(settings, LocalDocumentStore(tmp_path / "docs"), "http://127.0.0.1:9/hook")

    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities.send_contract_envelope, contract_request())

    err = caught.value
    assert err.type == "DocuSignRejected" and err.non_retryable and "code consent_required" in err.message
    url = consent_url(settings)
    assert f"fix: the DocuSign user has not granted consent: open {url}" in err.message
    assert url.startswith(f"https://{settings.oauth_host}/oauth/auth?response_type=code")
    assert f"client_id={settings.integration_key}" in url and "scope=signature%20impersonation" in url

    sandbox.admin("POST", "/_sandbox/docusign/consent", {"given": True})  # the user opened the URL
    ref = await ActivityEnvironment().run(activities.send_contract_envelope, contract_request())
    assert ref.status == "sent"


async def test_signing_view_out_of_turn_and_after_the_end_are_typed_refusals(
        esign: EsignActivities, sandbox: RunningSandbox, docusign_settings: DocuSignSettings) -> None:
    await ActivityEnvironment().run(esign.send_contract_envelope, contract_request())
    envelope_id, (advocate, defender, jim) = signers(sandbox)

    with pytest.raises(ApplicationError) as early:
        view(docusign_settings, envelope_id, defender)
    assert early.value.type == "RecipientNotInSequence" and "RECIPIENT_NOT_IN_SEQUENCE" in early.value.message

    for signer in (advocate, defender, jim):
        assert httpx.post(f"{view(docusign_settings, envelope_id, signer)}/sign").status_code == 303
    with pytest.raises(ApplicationError) as late:
        view(docusign_settings, envelope_id, advocate)
    assert late.value.type == "EnvelopeNotSignable" and "ENVELOPE_INVALID_STATUS" in late.value.message


async def test_voided_envelope_has_no_signing_view(esign: EsignActivities, sandbox: RunningSandbox,
                                                   docusign_settings: DocuSignSettings) -> None:
    from casefac.activity_io import VoidEnvelope

    ref = await ActivityEnvironment().run(esign.send_contract_envelope, contract_request())
    await ActivityEnvironment().run(esign.void_envelope, VoidEnvelope(envelope_id=ref.envelope_id, reason="r2"))
    envelope_id, (advocate, _defender, _jim) = signers(sandbox)
    with pytest.raises(ApplicationError) as caught:
        view(docusign_settings, envelope_id, advocate)
    assert caught.value.type == "EnvelopeNotSignable"


async def test_hourly_limit_waits_until_x_ratelimit_reset(esign: EsignActivities, sandbox: RunningSandbox) -> None:
    """DocuSign's hourly budget answers 429 with X-RateLimit-Reset only: the retry waits for the reset."""
    reset = int(time.time()) + 1800
    sandbox.admin("POST", "/_sandbox/faults", {
        "route": "POST /restapi/v2.1/accounts/[^/]+/envelopes$", "status": 429,
        "headers": {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}})

    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(esign.send_contract_envelope, contract_request())

    delay = caught.value.next_retry_delay
    assert caught.value.type == "DocuSignUnavailable" and not caught.value.non_retryable
    assert delay is not None and 1790 <= delay.total_seconds() <= 1800
