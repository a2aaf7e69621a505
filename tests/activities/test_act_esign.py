"""DocuSign activities against the sandbox with the real docusign-esign SDK (JWT over TLS included)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.esign import (
    JIM_CLIENT_USER_ID,
    DocuSignSession,
    EsignActivities,
    create_signing_url,
    token_fetches,
)
from casefac.activity_io import (
    EnvelopeRef,
    SendAgreementEnvelope,
    StoreSignedDocuments,
    VoidEnvelope,
)
from casefac.documents import LocalDocumentStore
from casefac.settings import DocuSignSettings
from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox, wait_until
from tests.activities.act_factories import advocate, contract_request
from tests.activities.conftest import TlsMaterial, inject


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "documents")


@pytest.fixture
def esign(docusign_settings: DocuSignSettings, store: LocalDocumentStore, capture: CaptureServer) -> EsignActivities:
    return EsignActivities(docusign_settings, store, connect_url=f"{capture.url}/docusign")


def envelopes(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = sandbox.admin("GET", "/_sandbox/envelopes")
    return rows


def fields(envelope: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in envelope["customFields"]["textCustomFields"]}


async def run(fn: Any, *args: Any) -> Any:
    return await ActivityEnvironment().run(fn, *args)


def sign_all(settings: DocuSignSettings, envelope: dict[str, Any]) -> None:
    """Each signer in routing order opens a fresh recipient view and presses Sign, as a person would."""
    for signer in sorted(envelope["recipients"]["signers"], key=lambda s: int(s["routingOrder"])):
        url = create_signing_url(settings, envelope["envelopeId"], signer["recipientId"], signer["clientUserId"],
                                 signer["name"], signer["email"], "https://portal.example.test/done")
        assert httpx.post(f"{url}/sign").status_code == 303


async def test_contract_envelope_three_embedded_signers(esign: EsignActivities, sandbox: RunningSandbox,
                                                        capture: CaptureServer) -> None:
    ref = await run(esign.send_contract_envelope, contract_request())

    [envelope] = envelopes(sandbox)
    assert ref == EnvelopeRef(envelope_id=envelope["envelopeId"], status="sent")
    assert fields(envelope) == {"case_id": "JIM-2026-0042", "workflow_id": "case-JIM-2026-0042",
                                "step": "contract-r3-a1"}
    signers = envelope["recipients"]["signers"]
    assert [(s["recipientId"], s["routingOrder"], s["clientUserId"]) for s in signers] == [
        ("1", "1", "ADV-0001"), ("2", "2", "DEF-MX-001"), ("3", "3", JIM_CLIENT_USER_ID)]
    assert signers[2]["email"] == "contracts@justiceinmotion.example.org"
    assert signers[0]["tabs"]["signHereTabs"][0]["anchorString"] == "/sig1/"
    assert signers[1]["tabs"]["dateSignedTabs"][0]["anchorString"] == "/date2/"
    notification = envelope["eventNotification"]
    assert notification["url"] == f"{capture.url}/docusign"
    assert (notification["includeHMAC"], notification["requireAcknowledgment"], notification["deliveryMode"]) == (
        "true", "true", "SIM")
    assert set(notification["events"]) == {"recipient-completed", "recipient-declined", "envelope-completed",
                                           "envelope-declined", "envelope-voided"}
    assert notification["eventData"] == {"version": "restv2.1", "format": "json",
                                         "includeData": ["recipients", "custom_fields"]}
    html = base64.b64decode(envelope["documents"][0]["documentBase64"]).decode()
    assert envelope["documents"][0]["fileExtension"] == "html"
    for text in ("JIM-2026-0042", "/sig1/", "/sig2/", "/sig3/", "/date3/", "Contrato de Facilitación",
                 "USD 45.00", "Localizar al cliente"):
        assert text in html


async def test_contract_envelope_is_created_once(esign: EsignActivities, sandbox: RunningSandbox) -> None:
    first = await run(esign.send_contract_envelope, contract_request())
    again = await run(esign.send_contract_envelope, contract_request())
    other_attempt = await run(esign.send_contract_envelope, contract_request(attempt=2))
    other_case = await run(esign.send_contract_envelope, contract_request("JIM-2026-0043"))

    assert again == first
    assert len({first.envelope_id, other_attempt.envelope_id, other_case.envelope_id}) == 3
    assert len(envelopes(sandbox)) == 3


async def test_agreement_envelope(esign: EsignActivities, sandbox: RunningSandbox) -> None:
    request = SendAgreementEnvelope(workflow_id="advocate-ADV-0001", attempt=2, advocate=advocate())
    ref = await run(esign.send_agreement_envelope, request)
    assert await run(esign.send_agreement_envelope, request) == ref

    [envelope] = envelopes(sandbox)
    assert fields(envelope)["workflow_id"] == "advocate-ADV-0001"
    assert fields(envelope)["step"] == "agreement-a2"
    [signer] = envelope["recipients"]["signers"]
    assert (signer["clientUserId"], signer["recipientId"], signer["routingOrder"]) == ("ADV-0001", "1", "1")
    assert "Advocate Agreement" in base64.b64decode(envelope["documents"][0]["documentBase64"]).decode()


async def test_connect_events_are_signed_and_carry_routing_fields(
        esign: EsignActivities, sandbox: RunningSandbox, capture: CaptureServer,
        docusign_settings: DocuSignSettings) -> None:
    await run(esign.send_contract_envelope, contract_request())
    sign_all(docusign_settings, envelopes(sandbox)[0])

    def completed() -> list[Any]:
        return [c for c in capture.received("/docusign") if c.json()["event"] == "envelope-completed"]

    [event] = wait_until(completed, timeout=10, message="envelope-completed webhook")
    key = sandbox.config.docusign_connect_hmac_keys[0].encode()
    expected = base64.b64encode(hmac.new(key, event.body, hashlib.sha256).digest()).decode()
    assert event.headers["x-docusign-signature-1"] == expected
    summary = event.json()["data"]["envelopeSummary"]
    assert {f["name"]: f["value"] for f in summary["customFields"]["textCustomFields"]}["step"] == "contract-r3-a1"


async def test_void_is_idempotent(esign: EsignActivities, sandbox: RunningSandbox) -> None:
    ref = await run(esign.send_contract_envelope, contract_request())
    request = VoidEnvelope(envelope_id=ref.envelope_id, reason="Case cancelled by staff")

    assert (await run(esign.void_envelope, request)).status == "voided"
    assert (await run(esign.void_envelope, request)).status == "voided"
    [envelope] = envelopes(sandbox)
    assert envelope["status"] == "voided"


async def test_void_of_completed_envelope_is_a_no_op(esign: EsignActivities, sandbox: RunningSandbox,
                                                     docusign_settings: DocuSignSettings) -> None:
    await run(esign.send_contract_envelope, contract_request())
    envelope = envelopes(sandbox)[0]
    sign_all(docusign_settings, envelope)

    ref = await run(esign.void_envelope, VoidEnvelope(envelope_id=envelope["envelopeId"], reason="too late"))
    assert ref.status == "completed"


async def test_signed_documents_are_stored(esign: EsignActivities, sandbox: RunningSandbox,
                                           store: LocalDocumentStore, docusign_settings: DocuSignSettings) -> None:
    ref = await run(esign.send_contract_envelope, contract_request())
    sign_all(docusign_settings, envelopes(sandbox)[0])

    stored = await run(esign.store_signed_documents, StoreSignedDocuments(
        case_id="JIM-2026-0042", envelope_id=ref.envelope_id, label="contract-r3"))

    combined = store.get(stored.combined_uri)
    assert b"/sig1/" in combined and b"completed" in combined
    assert b"Certificate of Completion" in store.get(stored.certificate_uri)
    assert stored.sha256 == hashlib.sha256(combined).hexdigest()
    assert stored.combined_uri.endswith(f"JIM-2026-0042/contract-r3/{ref.envelope_id}-combined.html")
    again = await run(esign.store_signed_documents, StoreSignedDocuments(
        case_id="JIM-2026-0042", envelope_id=ref.envelope_id, label="contract-r3"))
    assert again == stored


@pytest.mark.parametrize(("status", "retryable", "error_type"), [
    (429, True, "DocuSignUnavailable"),
    (500, True, "DocuSignUnavailable"),
    (503, True, "DocuSignUnavailable"),
    (400, False, "DocuSignRejected"),
    (404, False, "DocuSignRejected"),
])
async def test_errors_are_mapped(esign: EsignActivities, sandbox: RunningSandbox, status: int, retryable: bool,
                                 error_type: str) -> None:
    inject(sandbox, "POST /restapi/v2.1/accounts/[^/]+/envelopes$", status)

    with pytest.raises(ApplicationError) as caught:
        await run(esign.send_contract_envelope, contract_request())

    assert caught.value.type == error_type
    assert caught.value.non_retryable is not retryable
    assert f"HTTP {status}" in caught.value.message
    if status == 429:  # Retry-After: 1 and X-RateLimit-Reset within the next 2 s: the later one wins
        assert caught.value.next_retry_delay is not None and 0 < caught.value.next_retry_delay.total_seconds() <= 2
    # the retry Temporal would make succeeds, and still creates only one envelope
    await run(esign.send_contract_envelope, contract_request())
    assert len(envelopes(sandbox)) == 1


async def test_rejection_carries_code_not_personal_data(esign: EsignActivities) -> None:
    # model_copy skips validation: this is DocuSign's check being exercised, not pydantic's
    bad = contract_request().model_copy(update={"advocate": advocate().model_copy(update={"email": "alex.law"})})
    with pytest.raises(ApplicationError) as caught:
        await run(esign.send_contract_envelope, bad)
    assert caught.value.non_retryable and caught.value.type == "DocuSignRejected"
    assert "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT" in caught.value.message
    assert "alex.law" not in caught.value.message
    [details] = caught.value.details
    assert details["code"] == "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT" and "alex.law" in details["provider_message"]


async def test_connection_refused_is_retryable(docusign_settings: DocuSignSettings,
                                               store: LocalDocumentStore) -> None:
    dead = docusign_settings.model_copy(update={"host": "http://127.0.0.1:9/restapi"})
    with pytest.raises(ApplicationError) as caught:
        await run(EsignActivities(dead, store, "http://127.0.0.1:9/hook").send_contract_envelope,
                  contract_request())
    assert caught.value.type == "DocuSignUnavailable" and not caught.value.non_retryable


async def test_jwt_grant_over_tls_and_token_cache(docusign_settings: DocuSignSettings, tls: TlsMaterial,
                                                  sandbox: RunningSandbox, store: LocalDocumentStore) -> None:
    settings = docusign_settings.model_copy(update={
        "static_token": None, "private_key_file": tls.jwt_private_key_file, "oauth_ca_cert": tls.cert_file})
    DocuSignSession(settings).forget_token()
    before = token_fetches(settings)
    esign = EsignActivities(settings, store, "http://127.0.0.1:9/hook")

    first = await run(esign.send_contract_envelope, contract_request())
    await run(esign.send_contract_envelope, contract_request("JIM-2026-0043"))

    assert first.status == "sent"
    assert token_fetches(settings) - before == 1
    assert len(sandbox.runtime.state.table("oauth_tokens")) == token_fetches(settings) - before
    # a refused token is dropped and the retry gets a fresh one
    sandbox.runtime.state.table("oauth_tokens").clear()
    with pytest.raises(ApplicationError) as caught:
        await run(esign.send_contract_envelope, contract_request("JIM-2026-0044"))
    assert caught.value.type == "DocuSignUnavailable" and "HTTP 401" in caught.value.message
    await run(esign.send_contract_envelope, contract_request("JIM-2026-0044"))
    assert len(sandbox.runtime.state.table("oauth_tokens")) == 1
    assert len(envelopes(sandbox)) == 3


async def test_jwt_grant_rejected_for_unknown_user(docusign_settings: DocuSignSettings, tls: TlsMaterial,
                                                   store: LocalDocumentStore) -> None:
    settings = docusign_settings.model_copy(update={
        "static_token": None, "private_key_file": tls.jwt_private_key_file, "oauth_ca_cert": tls.cert_file,
        "user_id": "someone-else"})
    with pytest.raises(ApplicationError) as caught:
        await run(EsignActivities(settings, store, "http://127.0.0.1:9/hook").send_contract_envelope,
                  contract_request())
    assert caught.value.type == "DocuSignRejected" and caught.value.non_retryable
    assert "invalid_grant" in caught.value.message


async def test_timeout_is_retryable(esign: EsignActivities, sandbox: RunningSandbox,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("activities.esign.REQUEST_TIMEOUT", (2, 0.2))
    inject(sandbox, "POST /restapi/v2.1/accounts/[^/]+/envelopes$", None, delay_seconds=0.6)

    with pytest.raises(ApplicationError) as caught:
        await run(esign.send_contract_envelope, contract_request())
    assert caught.value.type == "DocuSignUnavailable" and not caught.value.non_retryable

    await run(esign.send_contract_envelope, contract_request())
    assert len(envelopes(sandbox)) == 1
