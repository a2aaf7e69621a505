"""The mail activity against the sandbox's SendGrid v3 emulator with the real sendgrid SDK."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities
from casefac.activity_io import Attachment, MailBatch, MailKind, MailReceipt, MailTo, PortalAction, SendMail
from casefac.links import LinkSigner
from casefac.parties import Role
from casefac.settings import SendGridSettings
from sandbox.testing import RunningSandbox
from tests.activities.conftest import inject

SECRET = b"test-link-secret-0123456789abcdef"

#: What the asking workflows hold (their ``mail_addresses`` query in production, ``workflow_addresses``).
ADDRESSES = {("case-JIM-2026-0042", "defender", "DEF-MX-001"): ["lucia@defensores.example.org"],
             ("case-JIM-2026-0042", "advocate", "ADV-0042"): ["alex@law.example.org"]}
#: The workflows asked, in order.
ASKED: list[tuple[str, str, str]] = []


async def fake_addresses(workflow_id: str, role: Role, party_id: str) -> list[str]:
    ASKED.append((workflow_id, role.value, party_id))
    return ADDRESSES.get((workflow_id, role.value, party_id), [])


def mail_activities(settings: SendGridSettings, signer: LinkSigner, ledger: Path) -> MailActivities:
    return MailActivities(settings, signer, ledger, addresses=fake_addresses)


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(SECRET, "https://portal.example.test", timedelta(days=14))


@pytest.fixture
def mail(sendgrid_settings: SendGridSettings, signer: LinkSigner, tmp_path: Path) -> MailActivities:
    ASKED.clear()
    return mail_activities(sendgrid_settings, signer, tmp_path / "ledger.sqlite3")


def outbox(sandbox: RunningSandbox, **custom_args: str) -> list[dict[str, Any]]:
    query = "&".join(f"custom_args={k}={v}" for k, v in custom_args.items())
    rows: list[dict[str, Any]] = sandbox.admin("GET", f"/_sandbox/mail?{query}")
    return rows


def content(mail: dict[str, Any], kind: str) -> str:
    return next(c["value"] for c in mail["request"]["content"] if c["type"] == kind)


def defender_offer(key: str = "case-JIM-2026-0042:mail:offer:DEF-MX-001") -> SendMail:
    return SendMail(
        idempotency_key=key, kind=MailKind.ASSIGNMENT_OFFER, case_id="JIM-2026-0042",
        to=MailTo(role=Role.DEFENDER, party_id="DEF-MX-001", email="lucia@defensores.example.org",
                  name="Lucía", language="es"),
        context={"country": "México", "services": "localizar al cliente", "advocate_name": "Alex Rivera",
                 "answer_by": "2026-03-10"},
        actions=[PortalAction(action="respond_assignment", role=Role.DEFENDER, party_id="DEF-MX-001",
                              case_id="JIM-2026-0042")],
    )


async def run(fn: Any, *args: Any, workflow_id: str = "case-JIM-2026-0042") -> Any:
    """Run as the case workflow's activity would (the mail activity checks the asking workflow's id)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=workflow_id)
    return await env.run(fn, *args)


async def test_defender_mail_in_spanish_with_signed_link(mail: MailActivities, sandbox: RunningSandbox,
                                                         signer: LinkSigner,
                                                         sendgrid_settings: SendGridSettings) -> None:
    receipt = await run(mail.send_mail, defender_offer())

    [sent] = outbox(sandbox)
    assert receipt == MailReceipt(message_id=sent["id"])
    assert sent["to"] == ["lucia@defensores.example.org"]
    assert sent["subject"] == "Un caso nuevo para usted: JIM-2026-0042"
    assert sent["custom_args"] == {"case_id": "JIM-2026-0042", "kind": "assignment_offer", "role": "defender",
                                   "idempotency_key": "case-JIM-2026-0042:mail:offer:DEF-MX-001"}
    assert sent["categories"] == ["assignment_offer"]
    request = sent["request"]
    assert request["reply_to"]["email"] == sendgrid_settings.staff_email
    assert request["from"] == {"email": sendgrid_settings.from_email, "name": sendgrid_settings.from_name}
    html, text = content(sent, "text/html"), content(sent, "text/plain")
    assert "Hola, Lucía:" in html and "10 de marzo de 2026" in text
    assert "Responder a la oferta del caso" in html
    [url] = re.findall(r"https://portal\.example\.test/p/[A-Za-z0-9_.-]+", text)
    assert f'href="{url}"' in html
    granted = signer.verify(url.rsplit("/", 1)[1], datetime.now(UTC))
    assert (granted.action, granted.party_id, granted.case_id) == ("respond_assignment", "DEF-MX-001",
                                                                    "JIM-2026-0042")


async def test_same_key_sends_once(mail: MailActivities, sandbox: RunningSandbox) -> None:
    first = await run(mail.send_mail, defender_offer())
    again = await run(mail.send_mail, defender_offer())
    other = await run(mail.send_mail, defender_offer("case-JIM-2026-0042:mail:offer:DEF-MX-001:reminder1"))

    assert again == first != other
    assert len(outbox(sandbox)) == 2


async def test_ledger_survives_a_new_worker(sendgrid_settings: SendGridSettings, signer: LinkSigner,
                                            tmp_path: Path, sandbox: RunningSandbox) -> None:
    ledger = tmp_path / "shared-ledger.sqlite3"
    first = await run(mail_activities(sendgrid_settings, signer, ledger).send_mail, defender_offer())
    again = await run(mail_activities(sendgrid_settings, signer, ledger).send_mail, defender_offer())
    assert again == first and len(outbox(sandbox)) == 1


@pytest.mark.parametrize(("role", "address_attr"), [(Role.STAFF, "staff_email"), (Role.FINANCE, "finance_email")])
async def test_staff_and_finance_resolve_to_jim_addresses_in_english(
        mail: MailActivities, sandbox: RunningSandbox, sendgrid_settings: SendGridSettings, role: Role,
        address_attr: str) -> None:
    request = SendMail(idempotency_key=f"k-{role.value}", kind=MailKind.NEEDS_ATTENTION, case_id="JIM-2026-0042",
                       to=MailTo(role=role, party_id="jim", language="es"),
                       context={"step": "invoice r1", "error": "StripeRejected · HTTP 400"})
    await run(mail.send_mail, request)

    [sent] = outbox(sandbox)
    assert sent["to"] == [getattr(sendgrid_settings, address_attr)]
    assert sent["subject"] == "[Needs attention] Case JIM-2026-0042: invoice r1"
    assert "StripeRejected" in content(sent, "text/plain")


async def test_french_advocate_reads_french(mail: MailActivities, sandbox: RunningSandbox) -> None:
    request = SendMail(idempotency_key="k-fr", kind=MailKind.INVOICE_SENT, case_id="JIM-2026-0042",
                       to=MailTo(role=Role.ADVOCATE, party_id="ADV-0002", email="avocate@cabinet.example.ca",
                                 name="Camille", language="fr"),
                       context={"amount": "CAD 1,230.00", "due_date": "2026-04-30", "report_number": 1,
                                "hosted_invoice_url": "https://invoice.example.test/i/1?x=1&y=2"})
    await run(mail.send_mail, request)

    [sent] = outbox(sandbox)
    assert sent["subject"] == "Facture du dossier JIM-2026-0042 : CAD 1\u00a0230,00"  # fr_CA amounts
    html = content(sent, "text/html")
    assert "Bonjour Camille," in html and 'href="https://invoice.example.test/i/1?x=1&amp;y=2"' in html
    assert "30 avril 2026" in content(sent, "text/plain")


async def test_attachments_are_sent_base64(sendgrid_settings: SendGridSettings, signer: LinkSigner,
                                           tmp_path: Path, sandbox: RunningSandbox) -> None:
    content = b"LEDES1998B[]\n" + b"x" * 100
    ledes = Attachment(filename="JIM-2026-0042-r1.ledes", content_type="text/plain",
                       content_base64=base64.b64encode(content).decode())
    activities = mail_activities(sendgrid_settings, signer, tmp_path / "l.sqlite3")
    request = defender_offer().model_copy(update={"attachments": [ledes]})
    await run(activities.send_mail, request)

    [sent] = outbox(sandbox)
    assert sent["attachments"] == [{"filename": "JIM-2026-0042-r1.ledes", "type": "text/plain",
                                    "disposition": "attachment", "size": len(content)}]


async def test_a_batch_sends_each_message_once_and_one_refusal_does_not_stop_the_rest(
        mail: MailActivities, sandbox: RunningSandbox) -> None:
    no_address = defender_offer("k:2").model_copy(update={"to": MailTo(role=Role.DEFENDER, party_id="DEF-MX-001")})
    batch = MailBatch(messages=[defender_offer("k:1"), no_address, defender_offer("k:3")])
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mails, batch)
    assert caught.value.type == "MailRecipientMissing" and caught.value.non_retryable
    assert len(outbox(sandbox)) == 2  # the two good messages went out
    receipts = await run(mail.send_mails, MailBatch(messages=[defender_offer("k:1"), defender_offer("k:3")]))
    assert len(receipts) == 2 and len(outbox(sandbox)) == 2  # a retry sends nothing twice


async def test_party_without_address_is_rejected(mail: MailActivities) -> None:
    request = defender_offer().model_copy(update={"to": MailTo(role=Role.DEFENDER, party_id="DEF-MX-001")})
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, request)
    assert caught.value.type == "MailRecipientMissing" and caught.value.non_retryable


@pytest.mark.parametrize(("status", "retryable", "error_type"), [
    (429, True, "SendGridUnavailable"),
    (500, True, "SendGridUnavailable"),
    (400, False, "SendGridRejected"),
    (413, False, "SendGridRejected"),
])
async def test_errors_are_mapped(mail: MailActivities, sandbox: RunningSandbox, status: int, retryable: bool,
                                 error_type: str) -> None:
    inject(sandbox, "POST /v3/mail/send", status)

    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, defender_offer())

    assert (caught.value.type, caught.value.non_retryable) == (error_type, not retryable)
    assert "lucia" not in caught.value.message
    # nothing was recorded, so the retry sends
    await run(mail.send_mail, defender_offer())
    assert len(outbox(sandbox)) == 1


async def test_bad_credentials_are_not_retried(sendgrid_settings: SendGridSettings, signer: LinkSigner,
                                               tmp_path: Path) -> None:
    wrong = sendgrid_settings.model_copy(update={"api_key": SecretStr("SG.wrong")})
    with pytest.raises(ApplicationError) as caught:
        await run(mail_activities(wrong, signer, tmp_path / "l.sqlite3").send_mail, defender_offer())
    assert caught.value.type == "SendGridRejected" and "HTTP 401" in caught.value.message


async def test_unreachable_sendgrid_is_retryable(sendgrid_settings: SendGridSettings, signer: LinkSigner,
                                                 tmp_path: Path) -> None:
    dead = sendgrid_settings.model_copy(update={"host": "http://127.0.0.1:9"})
    with pytest.raises(ApplicationError) as caught:
        await run(mail_activities(dead, signer, tmp_path / "l.sqlite3").send_mail, defender_offer())
    assert caught.value.type == "SendGridUnavailable" and not caught.value.non_retryable


async def test_timeout_is_retryable(mail: MailActivities, sandbox: RunningSandbox,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("activities.mail.REQUEST_TIMEOUT_SECONDS", 0.2)
    inject(sandbox, "POST /v3/mail/send", None, delay_seconds=0.6)  # slow, then accepted anyway
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, defender_offer())
    assert caught.value.type == "SendGridUnavailable" and not caught.value.non_retryable


async def test_every_message_turns_tracking_off(mail: MailActivities, sandbox: RunningSandbox) -> None:
    """Review M3: click tracking would route every portal link (a capability) through SendGrid's redirector."""
    await run(mail.send_mail, defender_offer())
    [sent] = outbox(sandbox)
    tracking = sent["request"]["tracking_settings"]
    assert tracking["click_tracking"] == {"enable": False, "enable_text": False}
    assert tracking["open_tracking"] == {"enable": False} and tracking["subscription_tracking"] == {"enable": False}


def _advocate_sign_link_to(address: str) -> SendMail:
    return SendMail(
        idempotency_key="k-forged", kind=MailKind.CONTRACT_TO_SIGN, case_id="JIM-2026-0042",
        to=MailTo(role=Role.DEFENDER, party_id="DEF-EVIL", email=address, name="Attacker", language="en"),
        context={"revision": 1},
        actions=[PortalAction(action="sign_contract", role=Role.ADVOCATE, party_id="ADV-0042",
                              case_id="JIM-2026-0042")])


async def test_a_forged_input_cannot_mail_the_advocates_sign_link_to_an_attacker(
        mail: MailActivities, sandbox: RunningSandbox) -> None:
    """Review C2 §5: an activity input with the Advocate's own role and party id, and the attacker's address."""
    forged = _advocate_sign_link_to("attacker@evil.example").model_copy(update={"to": MailTo(
        role=Role.ADVOCATE, party_id="ADV-0042", email="attacker@evil.example", name="Alex", language="en")})
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, forged)
    assert caught.value.type == "MailLinkRefused" and caught.value.non_retryable
    assert ASKED == [("case-JIM-2026-0042", "advocate", "ADV-0042")]  # the case's word, not the input's
    with pytest.raises(ApplicationError) as caught:  # nor in a batch
        await run(mail.send_mails, MailBatch(messages=[forged]))
    assert caught.value.type == "MailLinkRefused"
    # Another party's link in a mail to the attacker is refused too (the link names the recipient).
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, _advocate_sign_link_to("attacker@evil.example"))
    assert caught.value.type == "MailLinkRefused"
    assert outbox(sandbox) == []
    # The genuine mail, to the address the case holds (any case), goes out.
    genuine = forged.model_copy(update={"to": forged.to.model_copy(update={"email": "Alex@Law.example.org"}),
                                        "idempotency_key": "k-genuine"})
    await run(mail.send_mail, genuine)
    assert [m["to"] for m in outbox(sandbox)] == [["Alex@Law.example.org"]]


async def test_staff_links_go_to_staffs_own_address_only(mail: MailActivities, sandbox: RunningSandbox) -> None:
    forged = SendMail(idempotency_key="k-staff", kind=MailKind.CONTRACT_TO_SIGN, case_id="JIM-2026-0042",
                      to=MailTo(role=Role.STAFF, party_id="coordinators", email="attacker@evil.example"),
                      context={"revision": 1},
                      actions=[PortalAction(action="sign_contract", role=Role.STAFF, party_id="coordinators",
                                            case_id="JIM-2026-0042")])
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, forged)
    assert caught.value.type == "MailLinkRefused"
    assert outbox(sandbox) == []


async def test_an_unanswered_address_check_is_retried(sendgrid_settings: SendGridSettings, signer: LinkSigner,
                                                      tmp_path: Path, sandbox: RunningSandbox) -> None:
    async def down(_w: str, _r: Role, _p: str) -> list[str]:
        raise RuntimeError("no worker polling")

    activities = MailActivities(sendgrid_settings, signer, tmp_path / "l.sqlite3", addresses=down)
    with pytest.raises(ApplicationError) as caught:
        await run(activities.send_mail, defender_offer())
    assert caught.value.type == "MailAddressUnverified" and not caught.value.non_retryable
    assert outbox(sandbox) == []


async def test_links_for_another_case_or_from_another_workflow_are_refused(
        mail: MailActivities, sandbox: RunningSandbox) -> None:
    other_case = defender_offer().model_copy(update={"actions": [PortalAction(
        action="respond_assignment", role=Role.DEFENDER, party_id="DEF-MX-001", case_id="JIM-2026-0099")]})
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, other_case)
    assert caught.value.type == "MailLinkRefused"
    with pytest.raises(ApplicationError) as caught:
        await run(mail.send_mail, defender_offer(), workflow_id="case-JIM-2026-0099")
    assert caught.value.type == "MailLinkRefused"
    with pytest.raises(ApplicationError):  # the Advocate entity mints sign_agreement links only
        await run(mail.send_mail, defender_offer(), workflow_id="advocate-DEF-MX-001")
    assert outbox(sandbox) == []


#: Kinds whose recipients are parties (Advocate, Defender): what they render goes through SendGrid.
PARTY_KINDS = [MailKind.REPORT_CHANGES_REQUESTED, MailKind.CASE_DECLINED, MailKind.CASE_CANCELLED,
               MailKind.CONTRACT_RETURNED, MailKind.CONTRACT_REVIEW]


@pytest.mark.parametrize("kind", PARTY_KINDS)
@pytest.mark.parametrize("lang", ["es", "en", "fr"])
def test_party_emails_carry_no_free_text_typed_by_others(kind: MailKind, lang: str) -> None:
    """Review M4: staff's reasons, a signer's decline reason and an editor's note stay off SendGrid."""
    from casefac.mail_render import render_mail

    secret = "Encontramos a la clienta en la aldea Chicamán"
    context = {"case_id": "JIM-2026-0042", "report_number": 1, "revision": 2, "reason": secret,
               "reasons": secret, "note": secret}
    mail = render_mail(kind, lang, context)  # type: ignore[arg-type]
    assert "Chicamán" not in mail.subject + mail.text + mail.html


def test_the_mail_ledger_is_owner_only(tmp_path: Path) -> None:
    """Review m10: the ledger (ids, kinds, times) is not for other local users, whatever the umask."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        from activities.mail_ledger import MailLedger

        ledger = MailLedger(tmp_path / "m10" / "ledger.sqlite3")
        ledger.record("k-1", "msg-1", "case_received")
    finally:
        os.umask(old)
    for path in (tmp_path / "m10").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
