"""The mail activity: the only module that imports ``sendgrid``.

Each mail is rendered from the templates (:mod:`casefac.mail_render`) in the recipient's language, its
portal actions become signed, expiring links (:mod:`casefac.links`), and it goes out through SendGrid's
v3 mail send with ``custom_args`` (case id, kind, idempotency key) so delivery events can be routed back.

Idempotency: SendGrid has none, so a local ledger (:class:`activities.mail_ledger.MailLedger`) maps the
activity's idempotency key to the message id, and a retried activity whose key is recorded returns that
receipt without sending. At-least-once window: if the worker dies after SendGrid accepted the mail (202)
and before the ledger write, the retry sends the mail again. That is a duplicate email, which is the
harmless side to err on.
"""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import in_thread
from activities.mail_ledger import MailLedger
from casefac.activity_io import MAIL_ADDRESSES_QUERY, ActivityName, MailBatch, MailReceipt, MailTo, SendMail
from casefac.errors import ErrorType, for_status, rate_limit_delay, rejected, unavailable
from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.links import LinkSigner
from casefac.mail_render import RenderedMail, action_links, mail_language, render_mail
from casefac.parties import Role
from casefac.settings import SendGridSettings

#: Below SEND_MAIL's 30 s start-to-close, so a hung send fails as SendGridUnavailable, not as a timeout.
REQUEST_TIMEOUT_SECONDS = 20.0
#: Click, open and subscription tracking off for every message.
TRACKING_OFF: dict[str, Any] = {"click_tracking": {"enable": False, "enable_text": False},
                                "open_tracking": {"enable": False},
                                "subscription_tracking": {"enable": False}}


#: Where the authority mails a party's links: (asking workflow id, role, party id) -> its addresses.
AddressLookup = Callable[[str, Role, str], Awaitable[list[str]]]


async def workflow_addresses(workflow_id: str, role: Role, party_id: str) -> list[str]:
    """The asking workflow's own word (the ``mail_addresses`` query, with the activity's Temporal client): the
    case for its Advocate and Defender, the Advocate entity for its Advocate."""
    handle = activity.client().get_workflow_handle(workflow_id)
    found: list[str] = await handle.query(MAIL_ADDRESSES_QUERY, args=[role.value, party_id], result_type=list[str])
    return found


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str


class MailActivities:
    """The mail activity on ``TaskQueue.MAIL`` (rate-limit that queue to the SendGrid plan)."""

    def __init__(self, settings: SendGridSettings, links: LinkSigner, ledger_path: Path,
                 addresses: AddressLookup = workflow_addresses) -> None:
        self._settings = settings
        self._links = links
        self._ledger = MailLedger(ledger_path)
        self._addresses = addresses

    @activity.defn(name=ActivityName.SEND_MAIL)
    async def send_mail(self, request: SendMail) -> MailReceipt:
        await self.check_address(request, _workflow_id())
        return await in_thread(self._send, request)

    @activity.defn(name=ActivityName.SEND_MAILS)
    async def send_mails(self, batch: MailBatch) -> list[MailReceipt]:
        """Every message of one notification. Each is idempotent on its own key, so a retry sends only what
        is missing; one refused message does not stop the others, and the first refusal is raised last."""
        refused: dict[int, ApplicationError] = {}
        for n, request in enumerate(batch.messages):
            try:
                await self.check_address(request, _workflow_id())
            except ApplicationError as err:
                if not err.non_retryable:
                    raise
                refused[n] = err
        return await in_thread(self._send_all, batch, refused)

    async def check_address(self, request: SendMail, workflow_id: str | None) -> None:
        """Refuse a mail whose links would go to an address the authority does not hold for their party (S2).

        ``check_links`` ties every link to the mail's role and party id; this ties the address to them: staff
        and finance links go to the addresses of the settings only, a party's to the address the asking
        workflow (case or Advocate entity) holds for that party now, never to what the input says.
        """
        if not request.actions or workflow_id is None:
            return  # no link, nothing to steal; outside an activity (previews) nobody is asking
        check_links(request, workflow_id)
        to = request.to
        if to.role in (Role.STAFF, Role.FINANCE):
            own = self._settings.staff_email if to.role is Role.STAFF else self._settings.finance_email
            if to.email is not None and _norm(str(to.email)) != _norm(own):
                raise rejected(ErrorType.MAIL_LINK_REFUSED, f"{to.role.value} links go to {to.role.value}'s own "
                                                            "address only")
            return
        if to.email is None:
            return  # ``recipient`` refuses it: no address
        try:
            known = await self._addresses(workflow_id, to.role, to.party_id)
        except Exception as exc:  # the authority could not answer: retry (no worker polling, a blip)
            raise unavailable(ErrorType.MAIL_ADDRESS_UNVERIFIED,
                              f"the address of {to.role.value} {to.party_id} could not be checked with "
                              f"{workflow_id}: {type(exc).__name__}") from None
        if _norm(str(to.email)) not in {_norm(a) for a in known}:
            raise rejected(ErrorType.MAIL_LINK_REFUSED,
                           f"links for {to.role.value} {to.party_id} refused: the address is not the one "
                           f"{workflow_id} holds for them")

    def _send_all(self, batch: MailBatch, refused: dict[int, ApplicationError] | None = None) -> list[MailReceipt]:
        receipts: list[MailReceipt] = []
        failure: ApplicationError | None = None
        for n, request in enumerate(batch.messages):
            try:
                if refused and n in refused:
                    raise refused[n]
                receipts.append(self._send(request))
            except ApplicationError as err:
                if not err.non_retryable:
                    raise  # a transient provider problem: retry the batch (sent messages are skipped)
                failure = failure or err
        if failure is not None:
            raise failure
        return receipts

    def _send(self, request: SendMail) -> MailReceipt:
        recorded = self._ledger.message_id(request.idempotency_key)
        if recorded is not None:
            activity.logger.info("mail %s already sent as %s", request.kind.value, recorded)
            return MailReceipt(message_id=recorded)
        body = self.build_message(request, datetime.now(UTC))
        message_id = self._post(body, request)
        self._ledger.record(request.idempotency_key, message_id, request.kind.value)
        activity.logger.info("mail %s for case %s sent as %s", request.kind.value, request.case_id, message_id)
        return MailReceipt(message_id=message_id)

    def build_message(self, request: SendMail, now: datetime) -> dict[str, Any]:
        """The v3 mail-send body: rendered content, signed links, routing metadata, attachments."""
        to = self.recipient(request.to)
        rendered = self.render(request, to, now)
        # ``role`` routes bounces back to the party (the gateway's MailEvent.role); values are strings, as
        # SendGrid requires of custom_args.
        custom_args = {"kind": request.kind.value, "idempotency_key": request.idempotency_key,
                       "role": request.to.role.value}
        if request.case_id:
            custom_args["case_id"] = request.case_id
        to_address = {"email": to.email, **({"name": to.name} if to.name else {})}
        body: dict[str, Any] = {
            "from": {"email": self._settings.from_email, "name": self._settings.from_name},
            "personalizations": [{"to": [to_address]}],
            "subject": rendered.subject,
            "content": [{"type": "text/plain", "value": rendered.text},
                        {"type": "text/html", "value": rendered.html}],
            "reply_to": {"email": self._settings.staff_email, "name": self._settings.from_name},
            "categories": [request.kind.value],
            "custom_args": custom_args,
            # Per message, whatever the account says (review M3): click tracking would rewrite every portal
            # link through SendGrid's redirector, which would then hold the party's capability tokens.
            "tracking_settings": TRACKING_OFF,
        }
        if request.attachments:
            body["attachments"] = [{"content": a.content_base64, "filename": a.filename, "type": a.content_type,
                                    "disposition": "attachment"} for a in request.attachments]
        return body

    def recipient(self, to: MailTo) -> Recipient:
        """Staff and finance go to JiM's shared addresses, in English; parties to their own address."""
        if to.role in (Role.STAFF, Role.FINANCE) and to.email is not None:  # a digest's own reader, own language
            return Recipient(str(to.email), to.name, to.language)
        if to.role is Role.STAFF:
            return Recipient(self._settings.staff_email, "", "en")
        if to.role is Role.FINANCE:
            return Recipient(self._settings.finance_email, "", "en")
        if to.email is None:
            raise rejected(ErrorType.MAIL_RECIPIENT_MISSING, f"no email address for {to.role.value} {to.party_id}")
        return Recipient(str(to.email), to.name, to.language)

    def render(self, request: SendMail, to: Recipient, now: datetime) -> RenderedMail:
        check_links(request, _workflow_id())
        language = mail_language(to.language)
        signed = [(action, self._links.url(action, now)) for action in request.actions]
        context = {**request.context, "recipient_name": to.name, "staff_email": self._settings.staff_email}
        if request.case_id:
            context["case_id"] = request.case_id
        return render_mail(request.kind, language, context, action_links(signed, language))

    def _post(self, body: dict[str, Any], request: SendMail) -> str:
        what = f"SendGrid send {request.kind.value} {request.idempotency_key}"
        client = SendGridAPIClient(self._settings.api_key.get_secret_value(), host=self._settings.host)
        client.client.timeout = REQUEST_TIMEOUT_SECONDS
        try:
            response = client.send(body)
        except HTTPError as exc:
            headers = dict(exc.headers.items()) if exc.headers else None
            field, message = _first_error(exc.body)
            fix = None
            if exc.status_code == 403 and field == "from":
                fix = ("the from-address (CASEFAC_SENDGRID__FROM_EMAIL) is not a verified sender in SendGrid: "
                       "verify it (Settings → Sender Authentication) or set a verified one, then retry")
            raise for_status(ErrorType.SENDGRID_UNAVAILABLE, ErrorType.SENDGRID_REJECTED, what,
                             status=exc.status_code, code=field, retry_after=rate_limit_delay(headers),
                             provider_message=message, fix=fix) from None
        except (urllib.error.URLError, OSError) as exc:
            raise unavailable(ErrorType.SENDGRID_UNAVAILABLE, f"{what}: {type(exc).__name__}") from None
        message_id = response.headers.get("X-Message-Id") if response.headers else None
        if not message_id:
            # Accepted without an id: nothing to record, and retrying would duplicate the mail.
            return f"unknown:{request.idempotency_key}"
        return str(message_id)


def _norm(address: str) -> str:
    return address.strip().lower()


def _workflow_id() -> str | None:
    try:
        return activity.info().workflow_id
    except RuntimeError:  # called outside an activity (previews, tests): only the recipient rule applies
        return None


def check_links(request: SendMail, workflow_id: str | None) -> None:
    """Refuse to mint a link the recipient may not hold (review C2 §5): every link must name the mail's own
    recipient (role and party id) and the case of the workflow that asked (``case-<id>``), so a forged
    activity input cannot mail the Advocate's sign link to an attacker's address. The Agreement's links come
    from the Advocate entity (``advocate-<id>``) and name that Advocate."""
    for action in request.actions:
        if action.role is not request.to.role or action.party_id != request.to.party_id:
            raise rejected(ErrorType.MAIL_LINK_REFUSED,
                           f"link for {action.role.value} {action.party_id} refused in mail to "
                           f"{request.to.role.value} {request.to.party_id}")
        if request.case_id is not None and action.case_id != request.case_id:
            raise rejected(ErrorType.MAIL_LINK_REFUSED, f"link for case {action.case_id} in a mail about "
                                                        f"{request.case_id}")
        if workflow_id is not None and workflow_id not in (case_workflow_id(action.case_id),
                                                           advocate_workflow_id(action.party_id)):
            raise rejected(ErrorType.MAIL_LINK_REFUSED,
                           f"link for case {action.case_id} refused: asked by {workflow_id}")
        if workflow_id is not None and workflow_id == advocate_workflow_id(action.party_id) \
                and action.action != "sign_agreement":
            raise rejected(ErrorType.MAIL_LINK_REFUSED, f"the Advocate entity may mint sign_agreement only, "
                                                        f"not {action.action}")


def _first_error(body: Any) -> tuple[str | None, str | None]:
    """SendGrid's first error: its ``field`` (e.g. ``personalizations.0.to``, used as the code) and text."""
    try:
        errors = json.loads(body).get("errors") or []
    except (TypeError, ValueError, AttributeError):
        return None, None
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    field, message = first.get("field"), first.get("message")
    return (str(field) if field else None), (str(message) if message else None)
