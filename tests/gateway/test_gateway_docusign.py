"""DocuSign Connect webhook: HMAC verification, event mapping and routing to case/advocate workflows."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from casefac.events import Signal
from tests.gateway.gateway_kit import (
    DOCUSIGN_KEYS,
    StartRecorder,
    docusign_body,
    docusign_headers,
    signals_after_probe,
    wait_for_signals,
)

URL = "/webhooks/docusign"


async def test_signed_recipient_completed_signals_the_case(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = docusign_body(handle.id, envelope_id="env-abc", recipient_id="2")
    response = await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.signal == Signal.ENVELOPE_EVENT
    assert got.payload["envelope_id"] == "env-abc"
    assert got.payload["kind"] == "recipient_completed"
    assert got.payload["recipient_id"] == "2"
    assert got.payload["at"].endswith(".123456Z") or ".123456" in got.payload["at"]
    assert got.payload["event_id"].startswith("docusign-")


async def test_any_key_any_header_index_is_accepted(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder
) -> None:
    """Key rotation: only the second key signs, and under header index 3."""
    handle = await start_recorder("advocate-ADV-")
    body = docusign_body(handle.id, event="envelope-completed", recipient_id=None)
    headers = docusign_headers(body, "retired-key", first_index=1) | docusign_headers(
        body, DOCUSIGN_KEYS[1], first_index=3)
    response = await gateway.post(URL, content=body, headers=headers)
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.payload["kind"] == "completed"
    assert got.payload["recipient_id"] is None


@pytest.mark.parametrize("forgery", ["missing", "wrong_key", "tampered_body", "garbage_header"])
async def test_unsigned_or_forged_is_401_and_signals_nothing(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, forgery: str
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = docusign_body(handle.id)
    headers = {
        "missing": {"Content-Type": "application/json"},
        "wrong_key": docusign_headers(body, "not-our-key"),
        "tampered_body": docusign_headers(body, DOCUSIGN_KEYS[0]),
        "garbage_header": {"X-DocuSign-Signature-1": "%%%not-base64%%%"},
    }[forgery]
    if forgery == "tampered_body":
        body = body.replace(b"recipient-completed", b"recipient-declined")
    response = await gateway.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert await signals_after_probe(handle) == []


@pytest.mark.parametrize(
    ("event", "kind"),
    [("envelope-sent", "sent"), ("recipient-declined", "recipient_declined"),
     ("envelope-declined", "declined"), ("envelope-voided", "voided")],
)
async def test_event_mapping_and_reasons(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, event: str, kind: str
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    extra = {"voidedReason": "Contract replaced"} if kind == "voided" else {}
    body = docusign_body(handle.id, event=event, recipient_id="1", **extra)
    if "declined" in kind:
        body = body.replace(b'"status": "completed"', b'"status": "declined", "declinedReason": "Wrong hours"')
    response = await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    assert response.status_code == 200, response.text
    [got] = await wait_for_signals(handle, 1)
    assert got.payload["kind"] == kind
    expected_reason = {"voided": "Contract replaced", "declined": "Wrong hours",
                       "recipient_declined": "Wrong hours"}.get(kind, "")
    assert got.payload["reason"] == expected_reason


async def test_redelivery_carries_the_same_event_id(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder
) -> None:
    """Connect retries with a new retryCount (so a new body and signature); the event id must not change."""
    handle = await start_recorder("case-JIM-2026-")
    for retry in (0, 1):
        body = docusign_body(handle.id, retry_count=retry)
        response = await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
        assert response.status_code == 200
    first, second = await wait_for_signals(handle, 2)
    assert first.payload["event_id"] == second.payload["event_id"]
    # ... while a different recipient's completion is a different event.
    body = docusign_body(handle.id, recipient_id="3")
    await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    third = (await wait_for_signals(handle, 3))[2]
    assert third.payload["event_id"] != first.payload["event_id"]


@pytest.mark.parametrize(
    "body_for",
    [
        lambda wf: docusign_body(wf, event="recipient-delivered"),        # unmapped event
        lambda wf: docusign_body(None),                                   # no workflow_id field
        lambda wf: docusign_body("case-jim-lowercase"),                   # not a routable id
        lambda wf: docusign_body("CaseFacilitationWorkflow-1"),           # not one of ours
    ],
    ids=["unmapped_event", "no_workflow_id", "bad_id_case", "foreign_id"],
)
async def test_signed_but_unroutable_is_200_without_signal(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, body_for: Callable[[str], bytes]
) -> None:
    handle = await start_recorder("case-JIM-2026-")
    body = body_for(handle.id)
    response = await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await signals_after_probe(handle) == []


async def test_signed_garbage_is_400(gateway: httpx.AsyncClient) -> None:
    body = b"not json"
    response = await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    assert response.status_code == 400


async def test_logs_carry_ids_not_personal_data(
    gateway: httpx.AsyncClient, start_recorder: StartRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="gateway")
    handle = await start_recorder("case-JIM-2026-")
    body = docusign_body(handle.id, envelope_id="env-log")
    await gateway.post(URL, content=body, headers=docusign_headers(body, DOCUSIGN_KEYS[0]))
    await wait_for_signals(handle, 1)
    assert handle.id in caplog.text and "env-log" in caplog.text
    assert "advocate@example.org" not in caplog.text and "Ada Advocate" not in caplog.text
