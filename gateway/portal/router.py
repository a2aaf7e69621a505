"""The portal's three routes: show a link's page, take its form, and DocuSign's return.

``GET /p/{token}`` renders the action's page (for a contract link after everyone signed, the signed
contract, read-only); ``POST /p/{token}`` handles its form (the same URL, so the
capability never travels in a form field); ``GET /p/{token}/signed`` is the DocuSign ``returnUrl``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from casefac.links import LinkExpired, LinkInvalid, VerifiedLink
from gateway.httputil import BodyTooLarge, FormInvalid, FormLimits, read_form
from gateway.portal.access import (
    Refused,
    browser_language,
    open_visit,
    refusal,
    requested_language,
    signer_from_settings,
)
from gateway.portal.pages import registry
from gateway.portal.pages.contract import signed_contract
from gateway.portal.pages.sign import returned as returned_by_id
from gateway.portal.pages.sign import signed
from gateway.signals import Gateway

log = logging.getLogger(__name__)

#: Forms are small; a larger body is not a person filling in a report.
MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 2000
#: Every page's form: fields only, no files.
FORM_LIMITS = FormLimits(max_bytes=MAX_FORM_BYTES, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024)
#: The report page alone takes receipts: at most 10 files of 5 MB, 12 MB in all.
UPLOAD_LIMITS = FormLimits(max_bytes=12 * 1024 * 1024, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024,
                           max_files=10, max_file_size=5 * 1024 * 1024)
UPLOAD_ACTIONS = frozenset({"submit_report"})


def form_limits(action: str) -> FormLimits:
    return UPLOAD_LIMITS if action in UPLOAD_ACTIONS else FORM_LIMITS


def portal_routes(gw: Gateway) -> list[BaseRoute]:
    signer = signer_from_settings(gw)
    pages = registry()

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            visit = await open_visit(gw, signer, request, token)
            if visit.state == "signed":
                return await signed_contract(visit)
            return await pages[visit.action.action].show(visit)
        except Refused as refused:
            return refused.response

    async def submit(request: Request) -> Response:
        """Token first (review M1): nothing of the body is read for a link we did not sign, and what is read
        is bounded by the link's page, counted as it streams in."""
        token = request.path_params["token"]
        lang_asked = requested_language(request)
        try:
            link: VerifiedLink | None = signer.verify_link(token, datetime.now(UTC))
        except LinkExpired:
            link = None  # open_visit below says "expired" in the party's language, body unread
        except LinkInvalid:
            log.info("portal: invalid link token on a post")
            return refusal(gw, lang_asked or browser_language(request), "invalid")
        if link is None:
            try:
                await open_visit(gw, signer, request, token)
            except Refused as refused:
                return refused.response
            return refusal(gw, lang_asked, "invalid")  # not reached: an expired link always refuses
        try:
            form = await read_form(request, form_limits(link.action.action))
        except BodyTooLarge:
            log.info("portal: oversized %s form on case %s", link.action.action, link.action.case_id)
            return too_large(gw, lang_asked)
        except FormInvalid as exc:
            log.info("portal: unreadable %s form on case %s (%s)", link.action.action, link.action.case_id, exc)
            return refusal(gw, lang_asked, "invalid")
        lang = form.get("lang")
        try:
            visit = await open_visit(gw, signer, request, token, form_lang=lang if isinstance(lang, str) else None)
            if visit.state == "signed":  # read-only: nothing to post once everyone signed
                return refusal(gw, visit.lang, "signed_already", case_id=visit.action.case_id)
            return await pages[visit.action.action].post(visit, form)
        except Refused as refused:
            return refused.response

    async def returned(request: Request) -> Response:
        return await signed(gw, signer, request, request.path_params["token"])

    async def returned_opaque(request: Request) -> Response:
        return await returned_by_id(gw, request, request.path_params["rid"])

    return [
        Route("/p/{token}", show, methods=["GET"]),
        Route("/p/{token}", submit, methods=["POST"]),
        Route("/p/r/{rid}", returned_opaque, methods=["GET"]),
        # Views opened before return ids (valid minutes) came back here; kept for them.
        Route("/p/{token}/signed", returned, methods=["GET"]),
    ]


def too_large(gw: Gateway, lang: str | None) -> Response:
    """413: the "link not valid" page's wording would mislead; the form was simply too big to take."""
    response = refusal(gw, lang, "invalid")  # type: ignore[arg-type]
    response.status_code = 413
    return response
