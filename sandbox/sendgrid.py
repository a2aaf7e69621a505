"""SendGrid v3 Mail Send emulator, its outbox, and signed Event Webhook posts."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.errors import ProviderError, sendgrid_error
from sandbox.runtime import Runtime, runtime
from sandbox.util import iso_now, now_ts

Mail = dict[str, Any]

FROM_REQUIRED = (
    "The from object must be provided for every email send. It is an object that requires the "
    "email parameter, but may also contain a name parameter."
)
TO_REQUIRED = (
    "The to array is required for all personalization objects, and must have at least one email "
    "object with a valid email address."
)
CONTENT_REQUIRED = (
    "Unless a valid template_id is provided, the content parameter is required. There must be "
    "at least one defined content block."
)
SUBJECT_REQUIRED = (
    "The subject is required. You can get around this requirement if you use a template with a "
    "subject defined or if every personalization has a subject defined."
)


#: SendGrid's 403 for a from-address that is not a Verified Sender Identity (nor on an authenticated domain).
UNVERIFIED_SENDER = (
    "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is "
    "resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender "
    "Identity requirements"
)


def _invalid(message: str, field: str | None) -> ProviderError:
    return ProviderError(sendgrid_error(400, message, field))


def _check_auth(rt: Runtime, request: Request) -> None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or key != rt.config.sendgrid_api_key:
        raise ProviderError(sendgrid_error(401, "The provided authorization grant is invalid, expired, or revoked"))


def _validate(body: Any) -> None:
    """The subset of SendGrid's validation that catches real mistakes in casefac's requests."""
    if not isinstance(body, dict):
        raise _invalid("Bad Request", None)
    if not (body.get("from") or {}).get("email"):
        raise _invalid(
            FROM_REQUIRED,
            "from.email",
        )
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        raise _invalid(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        )
    for index, personalization in enumerate(personalizations):
        to = personalization.get("to")
        if not isinstance(to, list) or not to or not all("@" in str(r.get("email", "")) for r in to):
            raise _invalid(
                TO_REQUIRED,
                f"personalizations.{index}.to",
            )
    template_id = body.get("template_id")
    content = body.get("content")
    if not template_id:
        if not isinstance(content, list) or not content or not all(c.get("type") and c.get("value") for c in content):
            raise _invalid(
                CONTENT_REQUIRED,
                "content",
            )
        if not body.get("subject") and not all(p.get("subject") for p in personalizations):
            raise _invalid(
                SUBJECT_REQUIRED,
                "subject",
            )
    for index, attachment in enumerate(body.get("attachments") or []):
        if not attachment.get("filename") or not attachment.get("content"):
            raise _invalid("The attachment content and filename are required.", f"attachments.{index}")
        try:
            base64.b64decode(attachment["content"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid("The attachment content must be base64 encoded.", f"attachments.{index}.content") from exc


def _store(rt: Runtime, body: dict[str, Any]) -> Mail:
    message_id = secrets.token_urlsafe(16)[:22]
    recipients = [r["email"] for p in body["personalizations"] for r in p.get("to", [])]
    subject = body.get("subject") or body["personalizations"][0].get("subject", "")
    mail: Mail = {
        "id": message_id,
        "seq": rt.state.next_seq(),
        "created": now_ts(),
        "created_iso": iso_now(),
        "from_email": body["from"]["email"],
        "to": recipients,
        "subject": subject,
        "custom_args": dict(body.get("custom_args") or {}),
        "categories": list(body.get("categories") or []),
        "attachments": [
            {
                "filename": a["filename"],
                "type": a.get("type"),
                "disposition": a.get("disposition"),
                "size": len(base64.b64decode(a["content"])),
            }
            for a in body.get("attachments") or []
        ],
        "request": body,
    }
    rt.state.table("mails")[message_id] = mail
    return mail


def _is_bounce(rt: Runtime, email: str) -> bool:
    email = email.lower()
    return email.endswith("@bounce.test") or email in {b.lower() for b in rt.config.sendgrid_bounce_addresses}


def _events(rt: Runtime, mail: Mail) -> list[dict[str, Any]]:
    """``processed`` then ``delivered`` (or ``bounce``) per recipient, with custom_args merged in."""
    events: list[dict[str, Any]] = []
    for p_index, personalization in enumerate(mail["request"]["personalizations"]):
        args = {**mail["custom_args"], **(personalization.get("custom_args") or {})}
        for recipient in personalization.get("to", []):
            email = recipient["email"]
            base: dict[str, Any] = {
                **{k: str(v) for k, v in args.items()},
                "email": email,
                "sg_message_id": f"{mail['id']}.sandbox{p_index}.0",
                "smtp-id": f"<{mail['id']}@sandbox.sendgrid.test>",
            }
            if mail["categories"]:
                base["category"] = mail["categories"]
            outcome: dict[str, Any]
            if _is_bounce(rt, email):
                outcome = {
                    "event": "bounce",
                    "type": "bounce",
                    "status": "5.1.1",
                    "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
                }
            else:
                outcome = {"event": "delivered", "response": "250 OK"}
            for extra in ({"event": "processed"}, outcome):
                events.append({**base, "timestamp": now_ts(), "sg_event_id": secrets.token_urlsafe(16), **extra})
    return events


async def send(request: Request) -> Response:
    """``POST /v3/mail/send`` → 202, empty body, ``X-Message-Id``."""
    rt = runtime(request)
    _check_auth(rt, request)
    try:
        body = json.loads(await request.body() or b"null")
    except json.JSONDecodeError as exc:
        raise _invalid("Invalid JSON", None) from exc
    _validate(body)
    if not sender_verified(rt, str(body["from"]["email"])):
        raise ProviderError(sendgrid_error(403, UNVERIFIED_SENDER, "from"))
    mail = _store(rt, body)
    rt.state.commit()
    events = _events(rt, mail)
    rt.webhooks.enqueue(
        "sendgrid", rt.config.sendgrid_webhook_url, ",".join(sorted({e["event"] for e in events})), events
    )
    return Response(status_code=202, headers={"X-Message-Id": mail["id"]})


def sender_verified(rt: Runtime, address: str) -> bool:
    """A Verified Sender Identity, or an address on an authenticated domain (None: every sender passes)."""
    verified = rt.config.sendgrid_verified_senders
    if verified is None:
        return True
    address = address.lower()
    domain = address.rpartition("@")[2]
    return address in {v.lower() for v in verified} or domain in {
        d.lower() for d in rt.config.sendgrid_authenticated_domains}


async def scopes(request: Request) -> Response:
    """``GET /v3/scopes``: what this API key may do."""
    rt = runtime(request)
    _check_auth(rt, request)
    return JSONResponse({"scopes": list(rt.config.sendgrid_scopes)})


async def verified_senders(request: Request) -> Response:
    """``GET /v3/verified_senders``: the Single Sender identities and whether each is verified."""
    rt = runtime(request)
    _check_auth(rt, request)
    results = [{"id": i, "nickname": address, "from_email": address, "from_name": "", "reply_to": address,
                "verified": True, "locked": False} for i, address in enumerate(rt.config.sendgrid_verified_senders
                                                                              or [], start=1)]
    return JSONResponse({"results": results})


async def authenticated_domains(request: Request) -> Response:
    """``GET /v3/whitelabel/domains``: authenticated sending domains."""
    rt = runtime(request)
    _check_auth(rt, request)
    return JSONResponse([{"id": i, "domain": d, "subdomain": "em", "username": "casefac", "valid": True,
                          "default": i == 1, "legacy": False, "automatic_security": True}
                         for i, d in enumerate(rt.config.sendgrid_authenticated_domains, start=1)])


def mail_html(mail: Mail) -> tuple[str | None, str | None]:
    """(html, text) bodies of a stored mail, for the outbox page."""
    content = {c["type"]: c["value"] for c in mail["request"].get("content") or []}
    text = content.get("text/plain")
    if mail["request"].get("template_id"):
        data = [p.get("dynamic_template_data") for p in mail["request"]["personalizations"]]
        text = f"template {mail['request']['template_id']}\n" + json.dumps(data, indent=2)
    return content.get("text/html"), text


def matching_mails(rt: Runtime, to: str | None, custom_args: list[str]) -> list[Mail]:
    """Newest first, optionally filtered by recipient and ``key=value`` custom args."""
    mails = sorted(rt.state.table("mails").values(), key=lambda m: m["seq"], reverse=True)
    if to:
        mails = [m for m in mails if to.lower() in (t.lower() for t in m["to"])]
    for pair in custom_args:
        key, _, value = pair.partition("=")
        mails = [m for m in mails if str(m["custom_args"].get(key)) == value]
    return mails


routes = [
    Route("/v3/mail/send", send, methods=["POST"]),
    Route("/v3/scopes", scopes, methods=["GET"]),
    Route("/v3/verified_senders", verified_senders, methods=["GET"]),
    Route("/v3/whitelabel/domains", authenticated_domains, methods=["GET"]),
]
