"""Signing: a small page with one button that opens a fresh DocuSign recipient view (303 to it).

Why a button and not a redirect straight from the emailed link: recipient views are single-use and expire
within minutes, and mail scanners pre-fetch links; a GET that created and followed a view would spend it
before the person clicks. The POST creates the view when the person asks for it.

The gateway holds no DocuSign key (review M7): the POST starts ``SigningViewWorkflow`` (id from the link's
nonce), whose activity on the worker re-reads the signer from the case or the Advocate entity and asks
DocuSign for the view. DocuSign's ``returnUrl`` is an opaque return id (``/p/r/<id>``, review M3), never the
link's token: the thank-you page it opens can do nothing.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from casefac.activity_io import CONTRACT_SIGNERS, TaskQueue
from casefac.links import LinkInvalid, LinkSigner
from casefac.signing import SIGNING_VIEW_WORKFLOW, SigningViewRequest, SigningViewResult, signing_view_workflow_id
from gateway.portal.access import Refused, Visit, browser_language, open_visit, refusal, unavailable
from gateway.portal.catalog import LANGS, Lang
from gateway.portal.pages.common import render
from gateway.portal.pending import signer_turn
from gateway.portal.render import page
from gateway.portal.return_id import PREFIX as RETURN_PREFIX
from gateway.portal.return_id import ReturnIds
from gateway.signals import Gateway

log = logging.getLogger(__name__)

TEMPLATE = "sign.html"
#: How long the button waits for the worker to open the view (the workflow gives up at 40 s).
VIEW_TIMEOUT_SECONDS = 45.0


async def show(visit: Visit) -> Response:
    my_turn = visit.action.action == "sign_agreement" or signer_turn(visit.action.role, visit.status)
    return render(visit, TEMPLATE, my_turn=my_turn, agreement=visit.action.action == "sign_agreement",
                  revision=visit.status.envelope.revision if visit.status.envelope else None)


async def post(visit: Visit, form: FormData) -> Response:
    if visit.action.action == "sign_contract" and not signer_turn(visit.action.role, visit.status):
        return await show(visit)
    agreement = visit.action.action == "sign_agreement"
    envelope = visit.status.envelope
    # Not the token (review M3): DocuSign stores this URL and redirects to it; the id opens a thank-you only.
    rid = return_ids(visit.gw).make(
        envelope_id="" if agreement or envelope is None else envelope.envelope_id,
        recipient_id="1" if agreement else CONTRACT_SIGNERS[visit.action.role], case_id=visit.action.case_id,
        agreement=agreement, lang=visit.lang, now=datetime.now(UTC))
    return_url = f"{visit.gw.settings.gateway.public_url.rstrip('/')}{RETURN_PREFIX}{rid}"
    result = await open_view(visit, return_url)
    if result.url is None:
        reason = result.refusal or "unavailable"
        log.info("portal: no signing view for %s on case %s: %s", visit.action.role.value, visit.action.case_id,
                 reason)
        if reason == "unavailable":
            return unavailable(visit.gw, visit.lang)
        return refusal(visit.gw, visit.lang, reason, action=visit.action.action, case_id=visit.action.case_id)
    log.info("portal: signing view opened for %s on case %s", visit.action.role.value, visit.action.case_id)
    return RedirectResponse(result.url, status_code=303, headers={"Cache-Control": "no-store",
                                                                  "Referrer-Policy": "no-referrer"})


async def open_view(visit: Visit, return_url: str) -> SigningViewResult:
    """Run ``SigningViewWorkflow`` for this link and wait for its answer; any failure is "unavailable"."""
    request = SigningViewRequest(action=visit.action.action,  # type: ignore[arg-type]  # a sign link's
                                 case_id=visit.action.case_id, role=visit.action.role,
                                 party_id=visit.action.party_id, epoch=visit.link.epoch, return_url=return_url)
    try:
        async with asyncio.timeout(VIEW_TIMEOUT_SECONDS):
            return await visit.client.execute_workflow(
                SIGNING_VIEW_WORKFLOW, request, id=signing_view_workflow_id(visit.link.nonce),
                task_queue=TaskQueue.MAIN, result_type=SigningViewResult,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                execution_timeout=timedelta(seconds=VIEW_TIMEOUT_SECONDS))
    except (TimeoutError, WorkflowFailureError, RPCError) as exc:
        log.warning("portal: signing view for case %s unavailable (%s)", visit.action.case_id, type(exc).__name__)
        return SigningViewResult(refusal="unavailable")


def return_ids(gw: Gateway) -> ReturnIds:
    return ReturnIds(gw.settings.gateway.link_secret.get_secret_value().encode())


async def returned(gw: Gateway, request: Request, rid: str) -> Response:
    """DocuSign's return to ``/p/r/<id>``: thank you, or what to do after a decline or time-out."""
    try:
        target = return_ids(gw).read(rid, datetime.now(UTC))
    except LinkInvalid:
        return refusal(gw, browser_language(request), "invalid")
    lang: Lang = target.lang if target.lang in LANGS else "en"  # type: ignore[assignment]
    event = request.query_params.get("event", "")
    outcome = {"signing_complete": "signed", "decline": "declined"}.get(event, "unfinished")
    return page("signed.html", lang, outcome=outcome, agreement=target.agreement, case_id=target.case_id,
                staff_email=gw.settings.sendgrid.staff_email, path=None)


async def signed(gw: Gateway, signer: LinkSigner, request: Request, token: str) -> Response:
    """DocuSign's return: thank you (``signing_complete``), or what to do after a decline or time-out."""
    try:
        visit = await open_visit(gw, signer, request, token, require_open=False)
    except Refused as refused:
        return refused.response
    event = request.query_params.get("event", "")
    outcome = {"signing_complete": "signed", "decline": "declined"}.get(event, "unfinished")
    return render(visit, "signed.html", outcome=outcome, agreement=visit.action.action == "sign_agreement")
