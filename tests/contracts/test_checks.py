"""The checks themselves catch drift: each kind of deviation from the official material is a finding."""

from __future__ import annotations

from typing import Any

import stripe

from tests.contracts.checks import Allowed, Finding, check_record, not_allowed


def http(provider: str, method: str, path: str, status: int, response: Any, request: Any = None,
         query: list[list[str]] | None = None) -> dict[str, Any]:
    return {"kind": "http", "provider": provider, "method": method, "path": path, "query": query or [],
            "status": status, "request": {"content_type": "", "body": request},
            "response": {"content_type": "application/json", "body": response, "headers": {}}}


def keys(record: dict[str, Any]) -> set[str]:
    return {f.key for f in check_record(record)}


def test_stripe_unknown_field_bad_enum_and_wrong_type_are_found() -> None:
    invoice = {"id": "in_1", "object": "invoice", "status": "sent", "amount_due": "100", "invented": 1}
    found = keys(http("stripe", "GET", "/v1/invoices/in_1", 200, invoice))
    assert "stripe invoice: unknown field invented" in found
    assert any(k.startswith("stripe invoice.status: value 'sent' not in the SDK's") for k in found)
    assert any(k.startswith("stripe invoice.amount_due: str where the SDK declares") for k in found)
    assert "stripe invoice: missing field hosted_invoice_url" in found  # against fixtures3.json


def test_stripe_unknown_request_parameter_and_event_version_are_found() -> None:
    body = [["amount", "1"], ["currency", "usd"], ["destination", "acct_1"], ["source_account", "x"]]
    transfer = {"id": "tr_1", "object": "transfer", "amount": 1, "currency": "usd"}
    found = keys(http("stripe", "POST", "/v1/transfers", 200, transfer, request=body))
    assert "stripe POST /v1/transfers: parameter source_account not in stripe.params.TransferCreateParams" in found
    event = {"kind": "webhook", "provider": "stripe", "event": "invoice.paid",
             "body": {"id": "evt_1", "object": "event", "api_version": "2025-01-27.acacia", "type": "invoice.paid",
                      "data": {"object": {"id": "in_1", "object": "invoice"}}}}
    assert "stripe event: api_version differs from the pinned SDK's" in keys(event)
    assert stripe.api_version != "2025-01-27.acacia"


def test_docusign_and_connect_drift_are_found() -> None:
    summary = {"envelopeId": "e", "status": "sent", "statusDateTime": "x", "uri": "/e", "surprise": "1"}
    found = keys(http("docusign", "POST", "/restapi/v2.1/accounts/a/envelopes", 201, summary))
    assert "docusign POST /envelopes response: unknown field envelopeSummary.surprise" in found
    connect = {"kind": "webhook", "provider": "docusign", "event": "envelope-sent",
               "body": {"event": "envelope-sent", "configurationId": "123", "data": {"invented": 1}}}
    found = keys(connect)
    assert "connect message.configurationId: string where DocuSign's sample has number" in found
    assert "connect message.data: unknown field invented" in found


def test_sendgrid_body_and_event_drift_are_found() -> None:
    body = {"from": {"email": "a@b.example"}, "personalizations": [{"to": [{"email": "c@d.example"}]}],
            "subject": "s", "content": [{"type": "text/plain", "value": "v"}], "send_at": "tomorrow"}
    found = keys(http("sendgrid", "POST", "/v3/mail/send", 202, None, request=body))
    assert "sendgrid POST /v3/mail/send request: send_at fails 'type'" in found
    batch = {"kind": "webhook", "provider": "sendgrid", "event": "delivered",
             "body": [{"email": "c@d.example", "timestamp": 1, "event": "arrived", "sg_message_id": "m"}]}
    found = keys(batch)
    assert "sendgrid event batch: * fails 'required'" in found and "sendgrid event batch: */event fails 'enum'" in found


def test_allow_list_matches_by_key_and_reports_what_it_covered() -> None:
    findings = [Finding("stripe invoice: missing field footer"), Finding("stripe invoice: missing field brand_new")]
    new, used = not_allowed(findings, [Allowed("stripe invoice: missing field footer", "unread")])
    assert [f.key for f in new] == ["stripe invoice: missing field brand_new"]
    assert used == {"stripe invoice: missing field footer"}
