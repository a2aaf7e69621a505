"""SendGrid as a first live deployment meets it: an unverified sender, rate limits, and bounce routing."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities
from casefac.activity_io import MailKind, MailTo, SendMail
from casefac.links import LinkSigner
from casefac.parties import Role
from casefac.settings import SendGridSettings
from gateway.webhooks_sendgrid import mail_event
from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox, wait_until

SECRET = b"test-link-secret-0123456789abcdef"


@pytest.fixture
def mail(sendgrid_settings: SendGridSettings, tmp_path: Path) -> MailActivities:
    signer = LinkSigner(SECRET, "https://portal.example.test", timedelta(days=14))
    return MailActivities(sendgrid_settings, signer, tmp_path / "ledger.sqlite3")


def to_advocate(key: str = "k-first-use") -> SendMail:
    return SendMail(idempotency_key=key, kind=MailKind.CASE_RECEIVED, case_id="JIM-2026-0042",
                    to=MailTo(role=Role.ADVOCATE, party_id="ADV-0001", email="alex@law.example.org", name="Alex",
                              language="en"),
                    context={})


async def test_unverified_sender_is_refused_with_the_fix_then_sends_once_verified(
        mail: MailActivities, sandbox: RunningSandbox, sendgrid_settings: SendGridSettings) -> None:
    sandbox.admin("POST", "/_sandbox/sendgrid/senders", {"verified": ["someone-else@justiceinmotion.example.org"],
                                                          "domains": []})

    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(mail.send_mail, to_advocate())

    err = caught.value
    assert err.type == "SendGridRejected" and err.non_retryable
    assert "HTTP 403" in err.message and "code from" in err.message
    assert "fix: the from-address (CASEFAC_SENDGRID__FROM_EMAIL) is not a verified sender" in err.message
    assert sendgrid_settings.from_email not in err.message  # no addresses in failure messages
    assert "verified Sender Identity" in str(err.details[0]["provider_message"])

    sandbox.admin("POST", "/_sandbox/sendgrid/senders", {"verified": [sendgrid_settings.from_email]})
    await ActivityEnvironment().run(mail.send_mail, to_advocate())
    assert len(sandbox.admin("GET", "/_sandbox/mail")) == 1


@pytest.mark.parametrize("headers", [
    {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "RESET"},  # SendGrid's way
    {"Retry-After": "7"},
])
async def test_a_rate_limit_waits_for_the_reset_the_provider_names(
        mail: MailActivities, sandbox: RunningSandbox, headers: dict[str, str]) -> None:
    reset = int(time.time()) + 7
    sent_headers = {k: (str(reset) if v == "RESET" else v) for k, v in headers.items()}
    sandbox.admin("POST", "/_sandbox/faults", {"route": "POST /v3/mail/send$", "status": 429,
                                                "headers": sent_headers})
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(mail.send_mail, to_advocate())

    delay = caught.value.next_retry_delay
    assert caught.value.type == "SendGridUnavailable" and not caught.value.non_retryable
    assert delay is not None and 5 <= delay.total_seconds() <= 7


async def test_a_bounce_names_the_role_the_mail_went_to(mail: MailActivities, capture: CaptureServer) -> None:
    """The gateway routes a bounce by the ``role`` custom arg: mail.py must send it (it used not to)."""
    request = to_advocate()
    bouncing = request.model_copy(update={"to": request.to.model_copy(update={"email": "gone@bounce.test"})})
    await ActivityEnvironment().run(mail.send_mail, bouncing)  # the sandbox bounces @bounce.test

    batches = wait_until(lambda: [d.json() for d in capture.received("/sendgrid")], message="SendGrid events")
    events = [e for batch in batches for e in batch if e["event"] == "bounce"]
    parsed = mail_event(events[0])
    assert parsed is not None
    workflow_id, signal = parsed
    assert workflow_id == "case-JIM-2026-0042" and signal.role == "advocate"
    assert signal.message_kind == "case_received"
