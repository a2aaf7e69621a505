"""The DocuSign embedded-signing page a person (or a test with httpx) uses to Sign or Decline.

Reached through the URL from ``POST …/views/recipient``. No JavaScript: plain forms, and
after an action a 303 to the ``returnUrl`` with ``?event=signing_complete|decline`` as DocuSign does.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox import docusign_envelopes as model
from sandbox.runtime import Runtime, runtime
from sandbox.templating import message_page, render

SESSION_SECONDS = 1800


def _with_event(url: str, event: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode({"event": event})


def _documents(envelope: model.Envelope) -> list[dict[str, str]]:
    """Decoded documents for display (shown in sandboxed iframes, never inline)."""
    return [
        {
            "name": d.get("name", "Document"),
            "html": base64.b64decode(d["documentBase64"]).decode("utf-8", "replace"),
        }
        for d in envelope["documents"]
    ]


def _session(rt: Runtime, token: str) -> tuple[dict[str, Any], model.Envelope, model.Recipient] | Response:
    """Resolve a signing token or return the page explaining why it cannot be used."""
    entry = rt.state.table("signing_tokens").get(token)
    if entry is None or entry["expires_at"] < time.time():
        return message_page("Link expired", "This signing link has expired. Ask for a new one.", 410)
    envelope = rt.state.table("envelopes").get(entry["envelopeId"])
    signer = model.find_recipient(envelope, entry["recipientId"]) if envelope else None
    if envelope is None or signer is None:
        return message_page("Not found", "This envelope no longer exists.", 404)
    return entry, envelope, signer


def _blocked(entry: dict[str, Any], envelope: model.Envelope, signer: model.Recipient) -> Response | None:
    """Page for every state in which this signer may not act now."""
    back = _with_event(entry["returnUrl"], "viewing_complete")
    if envelope["status"] == "voided":
        return message_page("Voided", f"This envelope was voided: {envelope.get('voidedReason', '')}", 409, back)
    if envelope["status"] == "declined":
        return message_page("Declined", "This envelope was declined and can no longer be signed.", 409, back)
    if signer["status"] == "completed":
        return message_page("Already signed", "You have already signed this envelope.", 200, back)
    if entry["used"]:
        return message_page("Link used", "This signing link was already used.", 410, back)
    if not model.is_turn(envelope, signer):
        order = model.current_routing_order(envelope)
        return message_page(
            "Not your turn yet",
            f"It is not your turn to sign yet: signers in routing order {order} must sign first.",
            409,
            back,
        )
    return None


async def signing_page(request: Request) -> Response:
    rt = runtime(request)
    token = request.path_params["token"]
    resolved = _session(rt, token)
    if isinstance(resolved, Response):
        return resolved
    entry, envelope, signer = resolved
    blocked = _blocked(entry, envelope, signer)
    if blocked is not None:
        return blocked if blocked.status_code != 409 else _as_status(blocked, 200)
    if not entry["opened"]:
        entry["opened"] = True
        entry["expires_at"] = time.time() + SESSION_SECONDS
    model.mark_viewed(rt, envelope, signer)
    return render(
        "signing.html",
        envelope=envelope,
        signer=signer,
        documents=_documents(envelope),
        token=token,
        error=None,
    )


def _as_status(response: Response, status: int) -> Response:
    """Viewing a page you cannot act on is not an error; acting on it is (409)."""
    response.status_code = status
    return response


async def sign(request: Request) -> Response:
    rt = runtime(request)
    resolved = _session(rt, request.path_params["token"])
    if isinstance(resolved, Response):
        return resolved
    entry, envelope, signer = resolved
    blocked = _blocked(entry, envelope, signer)
    if blocked is not None:
        return _as_status(blocked, 409)
    model.sign(rt, envelope, signer)
    entry["used"] = True
    rt.state.commit()
    return RedirectResponse(_with_event(entry["returnUrl"], "signing_complete"), status_code=303)


async def decline(request: Request) -> Response:
    rt = runtime(request)
    token = request.path_params["token"]
    resolved = _session(rt, token)
    if isinstance(resolved, Response):
        return resolved
    entry, envelope, signer = resolved
    blocked = _blocked(entry, envelope, signer)
    if blocked is not None:
        return _as_status(blocked, 409)
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return render(
            "signing.html",
            400,
            envelope=envelope,
            signer=signer,
            documents=_documents(envelope),
            token=token,
            error="Please give a reason for declining.",
        )
    model.decline(rt, envelope, signer, reason)
    entry["used"] = True
    rt.state.commit()
    return RedirectResponse(_with_event(entry["returnUrl"], "decline"), status_code=303)


routes = [
    Route("/docusign/signing/{token}", signing_page, methods=["GET"]),
    Route("/docusign/signing/{token}/sign", sign, methods=["POST"]),
    Route("/docusign/signing/{token}/decline", decline, methods=["POST"]),
]
