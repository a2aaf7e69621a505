"""DocuSign eSignature REST v2.1 routes (``/restapi/v2.1/accounts/{accountId}/…``)."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import docusign_envelopes as model
from sandbox.docusign_documents import document_response
from sandbox.docusign_oauth import require_docusign_token
from sandbox.errors import ProviderError, docusign_error
from sandbox.runtime import Runtime, runtime

PREFIX = "/restapi/v2.1/accounts/{accountId}"


def _context(request: Request) -> Runtime:
    """Auth and account checks shared by every REST route."""
    rt = runtime(request)
    require_docusign_token(request)
    if request.path_params["accountId"] != rt.config.docusign_account_id:
        raise ProviderError(
            docusign_error(
                400,
                "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT",
                "The specified User is not a member of the specified Account.",
            )
        )
    return rt


def _envelope(rt: Runtime, request: Request) -> model.Envelope:
    envelope = rt.state.table("envelopes").get(request.path_params["envelopeId"])
    if envelope is None:
        raise model.bad_request(
            "The envelope specified either does not exist or you have no rights to it.",
            "ENVELOPE_DOES_NOT_EXIST",
        )
    return envelope


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except json.JSONDecodeError as exc:
        raise model.bad_request(f"The request body is not valid JSON: {exc}") from exc


def _includes(request: Request) -> set[str]:
    return {part.strip() for part in request.query_params.get("include", "").split(",") if part.strip()}


async def create(request: Request) -> Response:
    rt = _context(request)
    envelope = model.create_envelope(rt, request.path_params["accountId"], await _json(request))
    return JSONResponse(
        {
            "envelopeId": envelope["envelopeId"],
            "status": envelope["status"],
            "statusDateTime": envelope["statusChangedDateTime"],
            "uri": model.envelope_uri(envelope),
        },
        status_code=201,
    )


def _parse_date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError as exc:
        raise model.bad_request(f"Invalid date '{value}'.", "INVALID_REQUEST_PARAMETER") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def list_status_changes(request: Request) -> Response:
    """``GET …/envelopes`` as ``EnvelopesApi.list_status_changes`` calls it.

    Like DocuSign, one of ``from_date``/``envelope_ids``/``transaction_ids``/``folder_ids`` is required.
    Supports ``custom_field=name=value``, ``status`` (comma list), ``from_date``/``to_date``,
    ``envelope_ids`` (comma list), ``include`` (``recipients``, ``custom_fields``),
    ``count``, ``start_position``.
    """
    rt = _context(request)
    q = request.query_params
    if not any(q.get(k) for k in ("from_date", "envelope_ids", "transaction_ids", "folder_ids")):
        raise model.bad_request(
            "A from_date, envelope_ids, folder_ids or transaction_ids query parameter is required.",
            "INVALID_REQUEST_PARAMETER",
        )
    envelopes = list(rt.state.table("envelopes").values())
    if q.get("envelope_ids") and q["envelope_ids"] != "request_body":
        wanted = {e.strip() for e in q["envelope_ids"].split(",")}
        envelopes = [e for e in envelopes if e["envelopeId"] in wanted]
    if q.get("from_date"):
        since = _parse_date(q["from_date"])
        envelopes = [e for e in envelopes if _parse_date(e["statusChangedDateTime"]) >= since]
    if q.get("to_date"):
        until = _parse_date(q["to_date"])
        envelopes = [e for e in envelopes if _parse_date(e["statusChangedDateTime"]) <= until]
    statuses = {s.strip().lower() for s in q.get("status", "").split(",") if s.strip()} - {"any"}
    if statuses:
        envelopes = [e for e in envelopes if e["status"] in statuses]
    if q.get("custom_field"):
        name, _, value = q["custom_field"].partition("=")
        envelopes = [
            e
            for e in envelopes
            if any(
                f.get("name") == name and str(f.get("value")) == value
                for f in e["customFields"].get("textCustomFields") or []
            )
        ]
    envelopes.sort(key=lambda e: e["createdDateTime"])
    total = len(envelopes)
    start = int(q.get("start_position", "0") or 0)
    count = int(q.get("count", "0") or 0) or total
    page = envelopes[start : start + count]
    include = _includes(request)
    views = [
        model.envelope_view(e, recipients="recipients" in include, custom_fields="custom_fields" in include)
        for e in page
    ]
    return JSONResponse(
        {
            "envelopes": views,
            "resultSetSize": str(len(views)),
            "totalSetSize": str(total),
            "startPosition": str(start),
            "endPosition": str(start + len(views) - 1),
            "nextUri": "",
            "previousUri": "",
        }
    )


async def get_envelope(request: Request) -> Response:
    rt = _context(request)
    include = _includes(request)
    envelope = _envelope(rt, request)
    return JSONResponse(
        model.envelope_view(envelope, recipients="recipients" in include, custom_fields="custom_fields" in include)
    )


async def update_envelope(request: Request) -> Response:
    """``PUT …/envelopes/{id}``: void (``status: voided``) or send a draft (``status: sent``)."""
    rt = _context(request)
    envelope = _envelope(rt, request)
    body = await _json(request) or {}
    status = body.get("status")
    if status == "voided":
        model.void(rt, envelope, str(body.get("voidedReason") or ""))
    elif status == "sent" and envelope["status"] == "created":
        model.send_envelope(rt, envelope)
        rt.state.commit()
    elif status is not None and status != envelope["status"]:
        raise model.bad_request(f"Cannot change envelope status to '{status}'.", "INVALID_ENVELOPE_STATUS")
    return JSONResponse({"envelopeId": envelope["envelopeId"]})


async def get_recipients(request: Request) -> Response:
    rt = _context(request)
    return JSONResponse(model.recipients_view(_envelope(rt, request)))


async def get_custom_fields(request: Request) -> Response:
    rt = _context(request)
    fields = _envelope(rt, request)["customFields"]
    return JSONResponse(
        {
            "textCustomFields": fields.get("textCustomFields") or [],
            "listCustomFields": fields.get("listCustomFields") or [],
        }
    )


async def get_document(request: Request) -> Response:
    rt = _context(request)
    return document_response(_envelope(rt, request), request.path_params["documentId"])


async def recipient_view(request: Request) -> Response:
    """``POST …/views/recipient``: a 5-minute signing URL for an embedded signer."""
    rt = _context(request)
    envelope = _envelope(rt, request)
    body = await _json(request) or {}
    if not body.get("returnUrl"):
        raise model.bad_request("A returnUrl is required.", "INVALID_REQUEST_PARAMETER")
    signer = next(
        (
            s
            for s in model.signers(envelope)
            if s.get("clientUserId")
            and str(s["clientUserId"]) == str(body.get("clientUserId"))
            and (not body.get("recipientId") or s["recipientId"] == str(body["recipientId"]))
            and (not body.get("email") or s["email"].lower() == str(body["email"]).lower())
            and (not body.get("userName") or s["name"] == body["userName"])
        ),
        None,
    )
    if signer is None:
        raise model.bad_request(
            "The recipient you have identified is not a valid recipient of the specified envelope.",
            "UNKNOWN_ENVELOPE_RECIPIENT",
        )
    # Like DocuSign: no view of an envelope that is no longer in progress, nor for a signer whose turn
    # (routing order) has not come.
    if envelope["status"] not in model.ACTIVE_STATUSES:
        raise model.bad_request(
            f"Envelope status is not one of: Sent, Delivered, Correct. Envelope status is {envelope['status']}.",
            "ENVELOPE_INVALID_STATUS",
        )
    if not model.is_turn(envelope, signer):
        raise model.bad_request(
            "The token for an out of sequence recipient can not be generated.", "RECIPIENT_NOT_IN_SEQUENCE"
        )
    token = secrets.token_urlsafe(24)
    rt.state.table("signing_tokens")[token] = {
        "envelopeId": envelope["envelopeId"],
        "recipientId": signer["recipientId"],
        "returnUrl": body["returnUrl"],
        "expires_at": time.time() + rt.config.signing_view_ttl_seconds,
        "opened": False,
        "used": False,
    }
    rt.state.commit()
    return JSONResponse({"url": f"{rt.config.base_url}/docusign/signing/{token}"}, status_code=201)


routes = [
    Route(f"{PREFIX}/envelopes", create, methods=["POST"]),
    Route(f"{PREFIX}/envelopes", list_status_changes, methods=["GET"]),
    Route(f"{PREFIX}/envelopes/{{envelopeId}}", get_envelope, methods=["GET"]),
    Route(f"{PREFIX}/envelopes/{{envelopeId}}", update_envelope, methods=["PUT"]),
    Route(f"{PREFIX}/envelopes/{{envelopeId}}/recipients", get_recipients, methods=["GET"]),
    Route(f"{PREFIX}/envelopes/{{envelopeId}}/custom_fields", get_custom_fields, methods=["GET"]),
    Route(f"{PREFIX}/envelopes/{{envelopeId}}/documents/{{documentId}}", get_document, methods=["GET"]),
    Route(f"{PREFIX}/envelopes/{{envelopeId}}/views/recipient", recipient_view, methods=["POST"]),
]
