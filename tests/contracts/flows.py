"""Representative flows through the real activity code and SDKs, so every exchange kind gets recorded.

Happy paths and the refusals casefac must understand (consent, out of turn, unverified sender, rate limit,
balance, wrong parameters): what the checks then hold to the official specs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing import BillingActivities
from activities.esign import DocuSignSession, EsignActivities, create_signing_url
from activities.mail import MailActivities
from casefac.activity_io import (
    Attachment,
    IssueInvoice,
    MailKind,
    MailTo,
    PayDefender,
    SendAgreementEnvelope,
    SendMail,
    StoreSignedDocuments,
    VoidEnvelope,
    VoidInvoice,
)
from casefac.documents import LocalDocumentStore
from casefac.links import LinkSigner
from casefac.money import Money
from casefac.parties import Role
from casefac.pricing import PricedLine
from casefac.settings import DocuSignSettings, SendGridSettings, StripeSettings
from sandbox.capture import CaptureServer
from sandbox.testing import RunningSandbox, wait_until
from tests.activities.act_factories import advocate, contract_request


async def _run(fn: Any, *args: Any) -> Any:
    return await ActivityEnvironment().run(fn, *args)


async def _refused(fn: Any, *args: Any) -> ApplicationError:
    try:
        await _run(fn, *args)
    except ApplicationError as err:
        return err
    raise AssertionError(f"{fn} was not refused")


async def docusign_flow(sb: RunningSandbox, tmp: Path, jwt_key: Path, ca: Path, hook: str) -> None:
    cfg = sb.config
    settings = DocuSignSettings(host=sb.docusign_host, oauth_host=sb.oauth_host_name or "",
                                account_id=cfg.docusign_account_id, integration_key=cfg.docusign_integration_key,
                                user_id=cfg.docusign_user_id, static_token=None, private_key_file=jwt_key,
                                oauth_ca_cert=ca)
    DocuSignSession(settings).forget_token()
    esign = EsignActivities(settings, LocalDocumentStore(tmp / "docs"), hook)
    sb.admin("POST", "/_sandbox/docusign/consent", {"given": False})
    await _refused(esign.send_contract_envelope, contract_request())
    sb.admin("POST", "/_sandbox/docusign/consent", {"given": True})
    ref = await _run(esign.send_contract_envelope, contract_request())
    await _run(esign.send_contract_envelope, contract_request())  # found by its custom fields
    [envelope] = [e for e in sb.admin("GET", "/_sandbox/envelopes") if e["envelopeId"] == ref.envelope_id]
    order = sorted(envelope["recipients"]["signers"], key=lambda s: int(s["routingOrder"]))
    try:
        create_signing_url(settings, ref.envelope_id, order[1]["recipientId"], order[1]["clientUserId"],
                           order[1]["name"], order[1]["email"], "https://portal.example.test/done")
    except ApplicationError as err:
        assert err.type == "RecipientNotInSequence"
    for signer in order:
        url = create_signing_url(settings, ref.envelope_id, signer["recipientId"], signer["clientUserId"],
                                 signer["name"], signer["email"], "https://portal.example.test/done")
        assert httpx.post(f"{url}/sign").status_code == 303
    await _run(esign.store_signed_documents, StoreSignedDocuments(case_id="JIM-2026-0042",
                                                                  envelope_id=ref.envelope_id, label="contract-r3"))
    agreement = await _run(esign.send_agreement_envelope,
                           SendAgreementEnvelope(workflow_id="advocate-ADV-0001", advocate=advocate()))
    await _run(esign.void_envelope, VoidEnvelope(envelope_id=agreement.envelope_id, reason="replaced"))
    sb.admin("POST", "/_sandbox/faults", {"route": "POST /restapi/.*/envelopes$", "status": 429})
    await _refused(esign.send_contract_envelope, contract_request("JIM-2026-0043"))


async def sendgrid_flow(sb: RunningSandbox, tmp: Path) -> None:
    settings = SendGridSettings(host=sb.base_url, api_key=SecretStr(sb.config.sendgrid_api_key))
    signer = LinkSigner(b"contract-link-secret-0123456789abcdef", "https://portal.example.test", timedelta(days=1))
    mail = MailActivities(settings, signer, tmp / "ledger.sqlite3")
    to = MailTo(role=Role.ADVOCATE, party_id="ADV-0001", email="alex@law.example.org", name="Alex", language="en")
    ledes = Attachment(filename="invoice.ledes", content_type="text/plain", content_base64="TEVERVM=")
    await _run(mail.send_mail, SendMail(idempotency_key="c-1", kind=MailKind.INVOICE_SENT, case_id="JIM-2026-0042",
                                        to=to, context={"amount": "USD 1.00", "invoice_number": "X-1",
                                                        "hosted_invoice_url": "https://i.example.test/1",
                                                        "due_date": "2026-12-31", "report_number": 1},
                                        attachments=[ledes]))
    bouncing = to.model_copy(update={"email": "gone@bounce.test"})
    await _run(mail.send_mail, SendMail(idempotency_key="c-2", kind=MailKind.CASE_RECEIVED, case_id="JIM-2026-0042",
                                        to=bouncing, context={}))
    sb.admin("POST", "/_sandbox/sendgrid/senders", {"verified": ["nobody@justiceinmotion.example.org"],
                                                     "domains": []})
    await _refused(mail.send_mail, SendMail(idempotency_key="c-3", kind=MailKind.CASE_RECEIVED,
                                            case_id="JIM-2026-0042", to=to, context={}))
    sb.admin("POST", "/_sandbox/sendgrid/senders", {"verified": None})
    sb.admin("POST", "/_sandbox/faults", {"route": "POST /v3/mail/send$", "status": 429})
    await _refused(mail.send_mail, SendMail(idempotency_key="c-4", kind=MailKind.CASE_RECEIVED,
                                            case_id="JIM-2026-0042", to=to, context={}))


async def stripe_flow(sb: RunningSandbox) -> None:
    billing = BillingActivities(StripeSettings(api_base=sb.base_url, api_key=SecretStr(sb.config.stripe_api_key)))
    usd = lambda cents: Money(amount=cents, currency="USD")  # noqa: E731
    lines = [PricedLine(description=f"2026-03-{d:02d} 1h Fact investigation", amount=usd(4500), code="L110")
             for d in range(1, 13)]
    request = IssueInvoice(workflow_id="case-JIM-2026-0042", case_id="JIM-2026-0042", report_number=1,
                           advocate=advocate(), lines=lines, total=usd(4500 * 12), days_until_due=30)
    ref = await _run(billing.issue_invoice, request)
    await _run(billing.issue_invoice, request)  # a retry: found, not made again
    sb.admin("POST", f"/_sandbox/stripe/invoices/{ref.invoice_id}/paid")
    second = await _run(billing.issue_invoice, request.model_copy(update={"report_number": 2, "lines": lines[:2],
                                                                          "total": usd(9000)}))
    await _run(billing.void_invoice, VoidInvoice(workflow_id="case-JIM-2026-0042", invoice_id=second.invoice_id))
    payout = PayDefender(workflow_id="case-JIM-2026-0042", case_id="JIM-2026-0042", report_number=1,
                         defender_id="DEF-MX-001", account_id="acct_defmx001", amount=usd(15500))
    await _run(billing.pay_defender, payout)
    sb.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": 100})
    await _refused(billing.pay_defender, payout.model_copy(update={"report_number": 2}))
    await _refused(billing.pay_defender, payout.model_copy(update={"report_number": 3, "account_id": "acct_nope"}))
    sb.admin("POST", "/_sandbox/faults", {"route": "GET /v1/customers/search", "status": 429})
    await _refused(billing.issue_invoice, request.model_copy(update={"report_number": 4}))


def wait_for_webhooks(sb: RunningSandbox, capture: CaptureServer) -> None:
    """Every delivery made (the sandbox retries failures; the checks want each provider's messages)."""
    wait_until(lambda: not sb.webhooks(pending="true"), timeout=20, message="webhooks delivered")
    for path in ("/docusign", "/sendgrid", "/stripe"):
        assert capture.received(path), f"no webhook to {path}"
