"""From a token to a ``Visit``: verify the link, load the case's status, choose the language, or refuse.

Refusals are pages a person can act on, in their language: a link that is not genuine, expired, no longer
theirs or already used says so and tells them to ask JiM for a new one (with JiM's address). When
Temporal cannot be reached the page says "try again in a few minutes" with a 503, nothing is changed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from casefac.activity_io import PortalAction
from casefac.i18n import format_day
from casefac.ids import case_workflow_id
from casefac.links import LinkExpired, LinkInvalid, LinkSigner, VerifiedLink
from casefac.parties import Actor, Role
from casefac.status import CaseStatus
from gateway.portal.catalog import LANGS, Lang, default_language, translator
from gateway.portal.pending import LinkState, link_state, party_matches
from gateway.portal.render import page
from gateway.signals import Gateway

log = logging.getLogger(__name__)


class Refused(Exception):
    """Raised inside a page handler to answer with a refusal page instead."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass(frozen=True)
class Visit:
    """One verified request: who acts (from the link), on which case, in which language."""

    request: Request
    token: str
    link: VerifiedLink
    status: CaseStatus
    lang: Lang
    client: Client
    gw: Gateway
    #: ``open`` (the action can be taken) or ``signed`` (the contract is signed: shown read-only).
    state: LinkState = "open"

    @property
    def action(self) -> PortalAction:
        return self.link.action

    @property
    def actor(self) -> Actor:
        return Actor(role=self.action.role, id=self.action.party_id)

    @property
    def handle(self) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(case_workflow_id(self.action.case_id))

    @property
    def path(self) -> str:
        """The page's own URL path, where its forms post back."""
        return f"/p/{self.token}"

    @property
    def staff_email(self) -> str:
        return self.gw.settings.sendgrid.staff_email

    def common(self) -> dict[str, Any]:
        """Template values every page of a visit uses."""
        return {"case_id": self.action.case_id, "staff_email": self.staff_email, "path": self.path,
                "role": self.action.role.value,
                "lang_links": {other: f"{self.path}?lang={other}" for other in LANGS if other != self.lang}}


def signer_from_settings(gw: Gateway) -> LinkSigner:
    return LinkSigner.from_settings(gw.settings.gateway)


def requested_language(request: Request, form_lang: str | None = None) -> Lang | None:
    """An explicit ``?lang=`` (or hidden form field) wins; the party may switch between es, en and fr."""
    value = form_lang or request.query_params.get("lang")
    return value if value in LANGS else None  # type: ignore[return-value]


def browser_language(request: Request) -> Lang | None:
    """For refusals before we know who is asking: the browser's first es/en/fr preference, if any."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag  # type: ignore[return-value]
    return None


async def open_visit(gw: Gateway, signer: LinkSigner, request: Request, token: str, *,
                     form_lang: str | None = None, require_open: bool = True) -> Visit:
    """Verify ``token`` and load the case; raise :class:`Refused` with the page to answer otherwise."""
    now = datetime.now(UTC)
    asked = requested_language(request, form_lang)
    try:
        link = signer.verify_link(token, now)
    except LinkExpired as exc:
        lang = asked or await _party_language(gw, exc.action)
        log.info("portal: expired %s link for case %s", exc.action.action, exc.action.case_id)
        raise Refused(refusal(gw, lang, "expired", expired_at=exc.expired_at)) from None
    except LinkInvalid:
        log.info("portal: invalid link token")
        raise Refused(refusal(gw, asked or browser_language(request), "invalid")) from None
    client, status = await load_status(gw, link.action, asked)
    if not party_matches(link.action, status):
        log.info("portal: %s link of %s no longer matches case %s", link.action.action, link.action.role.value,
                 link.action.case_id)
        raise Refused(refusal(gw, asked or _status_language(link.action, status), "gone"))
    lang = asked or _status_language(link.action, status)
    spent = link_spent(link, status)
    if spent is not None:
        log.info("portal: %s %s link for case %s", spent, link.action.action, link.action.case_id)
        raise Refused(refusal(gw, lang, spent, action=link.action.action, case_id=link.action.case_id))
    state = link_state(link.action, status)
    if require_open and state not in ("open", "signed"):
        raise Refused(refusal(gw, lang, state, action=link.action.action, case_id=link.action.case_id))
    return Visit(request=request, token=token, link=link, status=status, lang=lang, client=client, gw=gw,
                 state=state)


def link_spent(link: VerifiedLink, status: CaseStatus) -> str | None:
    """``replaced`` (the party's links were revoked: an older epoch) or ``done`` (a spent one-shot nonce),
    read from the case's ``status`` so a dead link shows a good page before anything else (review M2).

    The workflow (``workflows/guard_links.py``) is the authority and refuses the update anyway. The
    Agreement's epoch lives on the Advocate entity, not the case: its sign page checks it there.
    """
    if link.nonce in status.used_links:
        return "done"
    if link.action.action != "sign_agreement":
        current = status.link_epochs.get(f"{link.action.role.value}:{link.action.party_id}", 0)
        if link.epoch < current:
            return "replaced"
    return None


async def load_status(gw: Gateway, action: PortalAction, lang: Lang | None) -> tuple[Client, CaseStatus]:
    """The client and the case's status; refusal pages for a missing case (403) or Temporal down (503)."""
    fallback = lang or default_language(action.role.value, None)
    try:
        async with asyncio.timeout(gw.signal_timeout):
            client = await gw.clients()
            status = await client.get_workflow_handle(case_workflow_id(action.case_id)).query(
                "status", result_type=CaseStatus)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Refused(refusal(gw, fallback, "gone")) from None
        log.warning("portal: status of %s failed: %s", action.case_id, exc.status.name)
        raise Refused(unavailable(gw, fallback)) from None
    except (TimeoutError, WorkflowQueryFailedError) as exc:
        log.warning("portal: status of %s unavailable (%s)", action.case_id, type(exc).__name__)
        raise Refused(unavailable(gw, fallback)) from None
    except Exception as exc:  # connect failures surface as RuntimeError from the SDK
        log.warning("portal: cannot reach Temporal for %s (%s)", action.case_id, type(exc).__name__)
        raise Refused(unavailable(gw, fallback)) from None
    return client, status


async def _party_language(gw: Gateway, action: PortalAction) -> Lang:
    """The party's language for an expired link: the case knows it; without the case, by role."""
    try:
        _, status = await load_status(gw, action, None)
    except Refused:
        return default_language(action.role.value, None)
    return _status_language(action, status)


def _status_language(action: PortalAction, status: CaseStatus) -> Lang:
    if action.role is Role.DEFENDER:
        return default_language("defender", status.defender_language)
    if action.role is Role.ADVOCATE:
        return default_language("advocate", status.advocate_language)
    return "en"


#: Why a link cannot be used; each has a title and a body in the catalog (``refused.<reason>.*``).
REFUSALS = ("invalid", "expired", "done", "early", "gone", "cancelled", "not_your_turn", "signed_already",
            "replaced")


def refusal(gw: Gateway, lang: Lang | None, reason: str, *, expired_at: datetime | None = None,
            action: str | None = None, case_id: str | None = None) -> Response:
    """The 403 page: why the link cannot be used and what to do, with JiM's address.

    ``lang=None`` (nobody known yet) shows Spanish, English and French, each section in its own ``lang``.
    """
    if reason not in REFUSALS:
        raise ValueError(f"unknown refusal {reason!r}")
    langs: list[Lang] = [lang] if lang else ["es", "en", "fr"]
    return page("refused.html", langs[0], status_code=403, langs=langs, reason=reason, expired_at=expired_at,
                action=action, case_id=case_id, staff_email=gw.settings.sendgrid.staff_email,
                ts={code: translator(code) for code in langs},
                days={code: format_day(expired_at, code) if expired_at else "" for code in langs})


def unavailable(gw: Gateway, lang: Lang) -> Response:
    response = page("unavailable.html", lang, status_code=503, staff_email=gw.settings.sendgrid.staff_email)
    response.headers["Retry-After"] = "60"
    return response
