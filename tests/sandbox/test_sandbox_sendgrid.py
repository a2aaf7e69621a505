"""SendGrid emulator driven by the real sendgrid SDK; event webhooks verified with ``EventWebhook``."""

from __future__ import annotations

import base64

import httpx
import pytest
from python_http_client.exceptions import BadRequestsError, UnauthorizedError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.mail import (
    Attachment,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    Mail,
)

from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox, wait_until


def _mail(to: str, case_id: str = "CASE-7") -> Mail:
    message = Mail(
        from_email=("noreply@casefac.test", "Casefac"),
        to_emails=to,
        subject="Your signing link",
        plain_text_content="Open https://portal.example.test/s/abc",
        html_content='<p>Please <a href="https://portal.example.test/s/abc">sign here</a>.</p>',
    )
    message.attachment = Attachment(
        FileContent(base64.b64encode(b"%PDF-1.4 sandbox").decode()),
        FileName("summary.pdf"),
        FileType("application/pdf"),
        Disposition("attachment"),
    )
    message.custom_arg = [CustomArg("case_id", case_id), CustomArg("step", "agreement")]
    return message


def test_send_lands_in_outbox_and_fires_signed_events(sandbox: RunningSandbox, capture: CaptureServer) -> None:
    client = SendGridAPIClient(sandbox.config.sendgrid_api_key, host=sandbox.base_url)
    response = client.send(_mail("client@example.test"))
    assert response.status_code == 202 and response.body == b""
    message_id = response.headers["X-Message-Id"]

    mails = sandbox.admin("GET", "/_sandbox/mail?to=client@example.test&custom_args=case_id=CASE-7")
    assert [m["id"] for m in mails] == [message_id]
    assert mails[0]["attachments"][0]["filename"] == "summary.pdf"
    assert sandbox.admin("GET", "/_sandbox/mail?custom_args=case_id=OTHER") == []

    outbox = httpx.get(f"{sandbox.base_url}/outbox")
    assert "Your signing link" in outbox.text and "SANDBOX" in outbox.text
    page = httpx.get(f"{sandbox.base_url}/outbox/{message_id}")
    # Review m9: the mail's HTML lives in a sandboxed iframe's srcdoc (escaped once), never in this origin.
    assert '&lt;a href=&#34;https://portal.example.test/s/abc&#34;&gt;sign here&lt;/a&gt;' in page.text
    assert '<iframe class="mail-body"' in page.text and 'sandbox="allow-popups' in page.text

    delivery = wait_until(lambda: capture.received("/sendgrid"), timeout=10)[0]
    public_key = sandbox.admin("GET", "/_sandbox/sendgrid/public-key")["public_key"]
    verifier = EventWebhook(public_key)
    assert verifier.verify_signature(
        delivery.body.decode(),
        delivery.headers["x-twilio-email-event-webhook-signature"],
        delivery.headers["x-twilio-email-event-webhook-timestamp"],
    )
    assert not verifier.verify_signature(
        delivery.body.decode() + " ",
        delivery.headers["x-twilio-email-event-webhook-signature"],
        delivery.headers["x-twilio-email-event-webhook-timestamp"],
    )
    events = delivery.json()
    assert [e["event"] for e in events] == ["processed", "delivered"]
    for event in events:
        assert event["email"] == "client@example.test"
        assert event["case_id"] == "CASE-7" and event["step"] == "agreement"
        assert event["sg_message_id"].startswith(message_id) and event["sg_event_id"]
        assert isinstance(event["timestamp"], int)


def test_bounce_address(sandbox: RunningSandbox, capture: CaptureServer) -> None:
    client = SendGridAPIClient(sandbox.config.sendgrid_api_key, host=sandbox.base_url)
    client.send(_mail("nobody@bounce.test", "CASE-B"))
    delivery = wait_until(lambda: capture.received("/sendgrid"), timeout=10)[0]
    assert [e["event"] for e in delivery.json()] == ["processed", "bounce"]


def test_bad_key_and_bad_body(sandbox: RunningSandbox) -> None:
    with pytest.raises(UnauthorizedError) as info:
        SendGridAPIClient("SG.wrong", host=sandbox.base_url).send(_mail("client@example.test"))
    assert info.value.status_code == 401
    client = SendGridAPIClient(sandbox.config.sendgrid_api_key, host=sandbox.base_url)
    with pytest.raises(BadRequestsError) as bad:
        client.client.mail.send.post(request_body={"personalizations": [{"to": [{"email": "a@b.test"}]}]})
    assert b'"field":"from.email"' in bad.value.body.replace(b" ", b"")
