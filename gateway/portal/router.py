"""The portal's three routes: show a link's page, take its form, and DocuSign's return.

``GET /p/{token}`` renders the action's page (for a contract link after everyone signed, the signed
contract, read-only); ``POST /p/{token}`` handles its form (the same URL, so the
capability never travels in a form field); ``GET /p/{token}/signed`` is the DocuSign ``returnUrl``.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.portal.access import Refused, open_visit, refusal, requested_language, signer_from_settings
from gateway.portal.pages import registry
from gateway.portal.pages.contract import signed_contract
from gateway.portal.pages.sign import signed
from gateway.signals import Gateway

log = logging.getLogger(__name__)

#: Forms are small; a larger body is not a person filling in a report.
MAX_FORM_BYTES = 256 * 1024
MAX_FORM_FIELDS = 2000


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
        token = request.path_params["token"]
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            return refusal(gw, requested_language(request), "invalid")
        form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024)
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

    return [
        Route("/p/{token}", show, methods=["GET"]),
        Route("/p/{token}", submit, methods=["POST"]),
        Route("/p/{token}/signed", returned, methods=["GET"]),
    ]
