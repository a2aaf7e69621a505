"""DocuSign emulator driven by the real docusign-esign SDK over HTTP (and HTTPS for OAuth)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import docusign_esign as ds
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from docusign_esign.client.api_exception import ApiException

from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox, wait_until

DOC_HTML = "<h1>Facilitation Agreement</h1><p>Client agrees. /sig1/ /sig2/ /sig3/</p>"


@pytest.fixture
def api(sandbox: RunningSandbox) -> Iterator[ds.EnvelopesApi]:
    """REST client using the static sandbox token (no JWT needed)."""
    client = ds.ApiClient(host=sandbox.docusign_host)
    client.set_default_header("Authorization", f"Bearer {sandbox.config.docusign_static_token}")
    yield ds.EnvelopesApi(client)


def _tls_client(sandbox: RunningSandbox) -> ds.ApiClient:
    """``Configuration()`` is a process-wide singleton read when the ApiClient is built:
    set the CA first, then restore it so other tests are unaffected."""
    configuration = ds.Configuration()
    previous = configuration.ssl_ca_cert
    configuration.ssl_ca_cert = sandbox.ca_file
    try:
        return ds.ApiClient(host=sandbox.docusign_host, oauth_host_name=sandbox.oauth_host_name)
    finally:
        configuration.ssl_ca_cert = previous


def _definition(capture: CaptureServer, case_id: str, signers: int = 3) -> ds.EnvelopeDefinition:
    signer_models = [
        ds.Signer(
            email=f"signer{n}@example.test",
            name=f"Signer {n}",
            recipient_id=str(n),
            routing_order=str(n),
            client_user_id=f"party-{n}",
            tabs=ds.Tabs(
                sign_here_tabs=[
                    ds.SignHere(
                        anchor_string=f"/sig{n}/", anchor_units="pixels", anchor_x_offset="0", anchor_y_offset="0"
                    )
                ],
                date_signed_tabs=[ds.DateSigned(anchor_string=f"/sig{n}/", anchor_y_offset="20")],
            ),
        )
        for n in range(1, signers + 1)
    ]
    return ds.EnvelopeDefinition(
        email_subject=f"Please sign: case {case_id}",
        status="sent",
        documents=[
            ds.Document(
                document_base64=base64.b64encode(DOC_HTML.encode()).decode(),
                document_id="1",
                file_extension="html",
                name="Agreement",
            )
        ],
        recipients=ds.Recipients(
            signers=signer_models,
            carbon_copies=[
                ds.CarbonCopy(email="staff@example.test", name="Staff", recipient_id="99", routing_order="9")
            ],
        ),
        custom_fields=ds.CustomFields(
            text_custom_fields=[
                ds.TextCustomField(name="case_id", value=case_id, show="false"),
                ds.TextCustomField(name="step", value="agreement", show="false"),
            ]
        ),
        event_notification=ds.EventNotification(
            url=f"{capture.url}/docusign",
            require_acknowledgment="true",
            include_hmac="true",
            delivery_mode="SIM",
            events=[
                "envelope-sent",
                "envelope-completed",
                "envelope-declined",
                "envelope-voided",
                "recipient-completed",
                "recipient-declined",
            ],
            event_data=ds.ConnectEventData(
                version="restv2.1", format="json", include_data=["recipients", "custom_fields"]
            ),
        ),
    )


def _view_url(api: ds.EnvelopesApi, sandbox: RunningSandbox, envelope_id: str, n: int) -> str:
    view = api.create_recipient_view(
        sandbox.config.docusign_account_id,
        envelope_id,
        recipient_view_request=ds.RecipientViewRequest(
            authentication_method="none",
            client_user_id=f"party-{n}",
            email=f"signer{n}@example.test",
            recipient_id=str(n),
            return_url=f"https://portal.example.test/done?party={n}",
            user_name=f"Signer {n}",
        ),
    )
    return str(view.url)


def _submit(page_url: str, action: str, data: dict[str, str] | None = None) -> httpx.Response:
    """Act like a browser: load the page, find the form for ``action`` and post it."""
    page = httpx.get(page_url)
    assert page.status_code == 200, page.text
    match = re.search(rf'<form method="post" action="([^"]+/{action})"', page.text)
    assert match, f"no {action} form on the page"
    return httpx.post(httpx.URL(page_url).join(match.group(1)), data=data or {})


def _connect(capture: CaptureServer, envelope_id: str) -> list[dict[str, Any]]:
    return [r.json() for r in capture.received("/docusign") if r.json()["data"]["envelopeId"] == envelope_id]


def _events(capture: CaptureServer, envelope_id: str) -> list[str]:
    return [m["event"] for m in _connect(capture, envelope_id)]


def test_jwt_grant_over_tls_and_userinfo(sandbox: RunningSandbox, rsa_keypair: tuple[bytes, str]) -> None:
    client = _tls_client(sandbox)
    token = client.request_jwt_user_token(
        client_id=sandbox.config.docusign_integration_key,
        user_id=sandbox.config.docusign_user_id,
        oauth_host_name=sandbox.oauth_host_name,
        private_key_bytes=rsa_keypair[0],
        expires_in=3600,
        scopes=["signature", "impersonation"],
    )
    assert token.token_type == "Bearer" and token.access_token
    info = client.get_user_info(token.access_token)
    account = info.accounts[0]
    assert account.account_id == sandbox.config.docusign_account_id
    assert account.base_uri == sandbox.base_url
    # request_jwt_user_token installed the bearer header: the REST API accepts the issued token.
    listing = ds.EnvelopesApi(client).list_status_changes(account.account_id, from_date="2020-01-01")
    assert listing.result_set_size == "0"


def test_jwt_grant_rejects_foreign_key(sandbox: RunningSandbox) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    client = _tls_client(sandbox)
    with pytest.raises(ApiException) as info:
        client.request_jwt_user_token(
            client_id=sandbox.config.docusign_integration_key,
            user_id=sandbox.config.docusign_user_id,
            oauth_host_name=sandbox.oauth_host_name,
            private_key_bytes=other,
            expires_in=3600,
        )
    assert info.value.status == 400
    assert b"invalid_grant" in info.value.body


def test_unknown_token_is_401(sandbox: RunningSandbox) -> None:
    client = ds.ApiClient(host=sandbox.docusign_host)
    client.set_default_header("Authorization", "Bearer nope")
    with pytest.raises(ApiException) as info:
        ds.EnvelopesApi(client).get_envelope(sandbox.config.docusign_account_id, "x")
    assert info.value.status == 401
    assert b"AUTHORIZATION_INVALID_TOKEN" in info.value.body


def test_envelope_signed_in_routing_order(
    api: ds.EnvelopesApi, sandbox: RunningSandbox, capture: CaptureServer
) -> None:
    account = sandbox.config.docusign_account_id
    summary = api.create_envelope(account, envelope_definition=_definition(capture, "CASE-1"))
    envelope_id = summary.envelope_id
    assert summary.status == "sent" and summary.uri == f"/envelopes/{envelope_id}"

    # Look-up by custom field, as an activity does before creating.
    found = api.list_status_changes(account, custom_field="case_id=CASE-1", from_date="2020-01-01")
    assert found.result_set_size == "1" and found.envelopes[0].envelope_id == envelope_id
    none = api.list_status_changes(account, custom_field="case_id=CASE-2", from_date="2020-01-01")
    assert none.result_set_size == "0"

    # Signer 2 cannot act before signer 1: like DocuSign, no recipient view out of routing order.
    with pytest.raises(ApiException) as early:
        _view_url(api, sandbox, envelope_id, 2)
    assert early.value.status == 400 and b"RECIPIENT_NOT_IN_SEQUENCE" in early.value.body

    for n in (1, 2, 3):
        response = _submit(_view_url(api, sandbox, envelope_id, n), "sign")
        assert response.status_code == 303
        assert response.headers["location"] == f"https://portal.example.test/done?party={n}&event=signing_complete"
        if n < 3:
            assert api.get_envelope(account, envelope_id).status == "sent"

    envelope = api.get_envelope(account, envelope_id)
    assert envelope.status == "completed" and envelope.completed_date_time
    with pytest.raises(ApiException) as finished:  # a finished envelope has no signing view any more
        _view_url(api, sandbox, envelope_id, 1)
    assert finished.value.status == 400 and b"ENVELOPE_INVALID_STATUS" in finished.value.body
    recipients = api.list_recipients(account, envelope_id)
    assert [s.status for s in recipients.signers] == ["completed"] * 3
    assert recipients.carbon_copies[0].status == "completed"

    wait_until(lambda: "envelope-completed" in _events(capture, envelope_id), timeout=10)
    assert _events(capture, envelope_id) == [
        "envelope-sent",
        "recipient-completed",
        "recipient-completed",
        "recipient-completed",
        "envelope-completed",
    ]
    for delivery in capture.received("/docusign"):
        for index, key in enumerate(sandbox.config.docusign_connect_hmac_keys, start=1):
            expected = base64.b64encode(hmac.new(key.encode(), delivery.body, hashlib.sha256).digest()).decode()
            assert hmac.compare_digest(delivery.headers[f"x-docusign-signature-{index}"], expected)
    completed = _connect(capture, envelope_id)[-1]
    assert completed["apiVersion"] == "v2.1" and completed["generatedDateTime"]
    env_summary = completed["data"]["envelopeSummary"]
    assert env_summary["status"] == "completed"
    assert [s["status"] for s in env_summary["recipients"]["signers"]] == ["completed"] * 3
    assert {f["name"]: f["value"] for f in env_summary["customFields"]["textCustomFields"]}["case_id"] == "CASE-1"
    assert [m["data"].get("recipientId") for m in _connect(capture, envelope_id)][1:4] == ["1", "2", "3"]

    combined = api.get_document(account, "combined", envelope_id)
    assert b"Facilitation Agreement" in combined and b"Signer 3" in combined
    certificate = api.get_document(account, "certificate", envelope_id)
    assert b"Certificate of Completion" in certificate and b"signer2@example.test" in certificate
    archive = zipfile.ZipFile(io.BytesIO(api.get_document(account, "archive", envelope_id)))
    assert any(name.endswith(".html") for name in archive.namelist())
    assert api.get_document(account, "1", envelope_id) == DOC_HTML.encode()

    with pytest.raises(ApiException) as info:
        api.update(account, envelope_id, envelope=ds.Envelope(status="voided", voided_reason="late"))
    assert info.value.status == 400


def test_decline_redirects_and_notifies(api: ds.EnvelopesApi, sandbox: RunningSandbox, capture: CaptureServer) -> None:
    account = sandbox.config.docusign_account_id
    envelope_id = api.create_envelope(account, envelope_definition=_definition(capture, "C-D", 1)).envelope_id
    url = _view_url(api, sandbox, envelope_id, 1)
    assert _submit(url, "decline", {"reason": ""}).status_code == 400  # reason is required
    response = _submit(_view_url(api, sandbox, envelope_id, 1), "decline", {"reason": "Not my case"})
    assert response.status_code == 303 and response.headers["location"].endswith("&event=decline")
    assert api.get_envelope(account, envelope_id).status == "declined"
    signer = api.list_recipients(account, envelope_id).signers[0]
    assert signer.status == "declined" and signer.declined_reason == "Not my case"
    wait_until(lambda: "recipient-declined" in _events(capture, envelope_id), timeout=10)


def test_void_fires_connect_and_blocks_signing(
    api: ds.EnvelopesApi, sandbox: RunningSandbox, capture: CaptureServer
) -> None:
    account = sandbox.config.docusign_account_id
    envelope_id = api.create_envelope(account, envelope_definition=_definition(capture, "C-V", 1)).envelope_id
    url = _view_url(api, sandbox, envelope_id, 1)
    api.update(account, envelope_id, envelope=ds.Envelope(status="voided", voided_reason="Case closed"))
    envelope = api.get_envelope(account, envelope_id)
    assert envelope.status == "voided" and envelope.voided_reason == "Case closed"
    assert "voided" in httpx.get(url).text.lower()
    assert httpx.post(url + "/sign").status_code == 409
    wait_until(lambda: "envelope-voided" in _events(capture, envelope_id), timeout=10)


def test_validation_and_unknown_recipient(api: ds.EnvelopesApi, sandbox: RunningSandbox) -> None:
    account = sandbox.config.docusign_account_id
    with pytest.raises(ApiException) as info:
        api.create_envelope(account, envelope_definition=ds.EnvelopeDefinition(email_subject="x", status="sent"))
    assert info.value.status == 400 and b"INVALID_REQUEST_BODY" in info.value.body

    definition = _definition(CaptureServer(), "C-R", 1)
    definition.event_notification = None
    envelope_id = api.create_envelope(account, envelope_definition=definition).envelope_id
    with pytest.raises(ApiException) as info:
        api.create_recipient_view(
            account,
            envelope_id,
            recipient_view_request=ds.RecipientViewRequest(
                authentication_method="none",
                client_user_id="someone-else",
                email="signer1@example.test",
                user_name="Signer 1",
                return_url="https://portal.example.test/",
            ),
        )
    assert info.value.status == 400 and b"UNKNOWN_ENVELOPE_RECIPIENT" in info.value.body


def test_injected_500_surfaces_as_api_exception(
    api: ds.EnvelopesApi, sandbox: RunningSandbox, capture: CaptureServer
) -> None:
    account = sandbox.config.docusign_account_id
    sandbox.admin("POST", "/_sandbox/faults", {"route": "POST /envelopes$", "status": 500, "count": 1})
    with pytest.raises(ApiException) as info:
        api.create_envelope(account, envelope_definition=_definition(capture, "C-F", 1))
    assert info.value.status == 500
    assert api.create_envelope(account, envelope_definition=_definition(capture, "C-F", 1)).status == "sent"
