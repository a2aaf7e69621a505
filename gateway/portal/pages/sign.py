"""Signing: a small page with one button that opens a fresh DocuSign recipient view (303 to it).

Why a button and not a redirect straight from the emailed link: recipient views are single-use and expire
within minutes, and mail scanners pre-fetch links; a GET that created and followed a view would spend it
before the person clicks. The POST creates the view when the person asks for it. DocuSign's ``returnUrl``
is ``/p/<token>/signed``, the thank-you page (``signed``).

The signer must be named exactly as in the envelope (recipient id, clientUserId, name, email). The case
workflow's ``signer`` query gives that when present; until then the Defender comes from the roster file,
JiM from settings, and the Advocate by clientUserId alone (enough for the sandbox; see the lead's notes).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from temporalio.client import WorkflowQueryFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.esign import JIM_CLIENT_USER_ID, create_signing_url
from casefac.activity_io import CONTRACT_SIGNERS
from casefac.errors import ErrorType
from casefac.ids import advocate_workflow_id
from casefac.links import LinkSigner
from casefac.parties import Role
from casefac.state import AdvocateState
from casefac.status import SignerView
from gateway.portal.access import Refused, Visit, open_visit, refusal, unavailable
from gateway.portal.pages.common import render
from gateway.portal.pending import signer_turn
from gateway.signals import Gateway

log = logging.getLogger(__name__)

TEMPLATE = "sign.html"
QUERY_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Target:
    envelope_id: str
    recipient_id: str
    client_user_id: str
    name: str = ""
    email: str = ""


async def show(visit: Visit) -> Response:
    my_turn = visit.action.action == "sign_agreement" or signer_turn(visit.action.role, visit.status)
    return render(visit, TEMPLATE, my_turn=my_turn, agreement=visit.action.action == "sign_agreement",
                  revision=visit.status.envelope.revision if visit.status.envelope else None)


async def post(visit: Visit, form: FormData) -> Response:
    if visit.action.action == "sign_contract" and not signer_turn(visit.action.role, visit.status):
        return await show(visit)
    target = await _target(visit)
    if target is None:
        return refusal(visit.gw, visit.lang, "done", action=visit.action.action, case_id=visit.action.case_id)
    return_url = f"{visit.gw.settings.gateway.public_url.rstrip('/')}{visit.path}/signed?lang={visit.lang}"
    try:
        url = await asyncio.to_thread(create_view, visit.gw, target, return_url)
    except ApplicationError as exc:
        log.warning("portal: signing view for case %s failed: %s", visit.action.case_id, exc.type)
        # DocuSign's own refusals (the workflow's view of the turn may lag Connect): say what they mean.
        if exc.type == ErrorType.RECIPIENT_NOT_IN_SEQUENCE:
            return refusal(visit.gw, visit.lang, "not_your_turn", action=visit.action.action,
                           case_id=visit.action.case_id)
        if exc.type == ErrorType.ENVELOPE_NOT_SIGNABLE:
            return refusal(visit.gw, visit.lang, "signed_already", action=visit.action.action,
                           case_id=visit.action.case_id)
        return unavailable(visit.gw, visit.lang)
    log.info("portal: signing view opened for %s on case %s", visit.action.role.value, visit.action.case_id)
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store",
                                                           "Referrer-Policy": "no-referrer"})


def create_view(gw: Gateway, target: Target, return_url: str) -> str:
    """Blocking: a fresh recipient view from DocuSign (the one SDK call lives in ``activities.esign``)."""
    return create_signing_url(gw.settings.docusign, target.envelope_id, target.recipient_id,
                              target.client_user_id, target.name, target.email, return_url)


async def signed(gw: Gateway, signer: LinkSigner, request: Request, token: str) -> Response:
    """DocuSign's return: thank you (``signing_complete``), or what to do after a decline or time-out."""
    try:
        visit = await open_visit(gw, signer, request, token, require_open=False)
    except Refused as refused:
        return refused.response
    event = request.query_params.get("event", "")
    outcome = {"signing_complete": "signed", "decline": "declined"}.get(event, "unfinished")
    return render(visit, "signed.html", outcome=outcome, agreement=visit.action.action == "sign_agreement")


async def _target(visit: Visit) -> Target | None:
    """The recipient to open a view for, or None if there is nothing left to sign."""
    role = visit.action.role
    if visit.action.action == "sign_agreement":
        entity = advocate_workflow_id(visit.action.party_id)
        state = await _query(visit, entity, "agreement", AdvocateState)
        if state is _FAILED:  # cannot tell: say "try again", never "done"
            raise Refused(unavailable(visit.gw, visit.lang))
        if state is None or state.status != "pending" or not state.envelope_id:
            return None
        view = await _query(visit, entity, "signer", SignerView)
        if not isinstance(view, SignerView):
            raise Refused(unavailable(visit.gw, visit.lang))
        return Target(view.envelope_id, view.recipient_id, view.client_user_id, view.name, view.email)
    envelope = visit.status.envelope
    if envelope is None or envelope.status != "sent":
        return None
    view = await _query(visit, visit.handle.id, "signer", SignerView, role.value)
    if isinstance(view, SignerView) and view.envelope_id == envelope.envelope_id:
        return Target(view.envelope_id, view.recipient_id, view.client_user_id, view.name, view.email)
    if role is Role.STAFF:
        ds = visit.gw.settings.docusign
        return Target(envelope.envelope_id, CONTRACT_SIGNERS[role], JIM_CLIENT_USER_ID, ds.jim_signer_name,
                      ds.jim_signer_email)
    return None


_FAILED = object()


async def _query(visit: Visit, workflow_id: str, name: str, result_type: type[Any], *args: Any) -> Any:
    """A query that may fail (Temporal down, case gone): ``_FAILED`` rather than an error page."""
    try:
        async with asyncio.timeout(QUERY_TIMEOUT_SECONDS):
            return await visit.client.get_workflow_handle(workflow_id).query(name, *args, result_type=result_type)
    except (WorkflowQueryFailedError, RPCError, TimeoutError, ValueError, TypeError) as exc:
        log.info("portal: query %s on %s unavailable (%s)", name, workflow_id, type(exc).__name__)
        return _FAILED
