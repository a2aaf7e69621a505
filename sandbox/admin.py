"""``/_sandbox/*`` admin JSON API: state, listings, reset, faults, webhooks, SendGrid public key."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import stripe_billing
from sandbox.faults import Fault
from sandbox.runtime import runtime
from sandbox.sendgrid import matching_mails
from sandbox.signatures import ec_public_key_b64
from sandbox.stripe_api import ensure_preloaded_accounts


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def state_summary(request: Request) -> Response:
    rt = runtime(request)
    return JSONResponse({**rt.state.summary(), "faults": len(rt.faults.faults)})


async def reset(request: Request) -> Response:
    """Clear all objects, deliveries and faults (keys and config stay)."""
    rt = runtime(request)
    rt.state.reset(persist=False)
    rt.faults.clear()
    ensure_preloaded_accounts(rt)
    rt.state.commit()
    return JSONResponse({"ok": True})


def _listing(table: str) -> Any:
    async def handler(request: Request) -> Response:
        rows = runtime(request).state.table(table).values()
        return JSONResponse([_public(row) for row in sorted(rows, key=lambda r: r.get("_seq", 0))])

    return handler


async def mail(request: Request) -> Response:
    """``?to=addr`` and repeatable ``?custom_args=key=value``; newest first."""
    rt = runtime(request)
    mails = matching_mails(rt, request.query_params.get("to"), request.query_params.getlist("custom_args"))
    return JSONResponse(mails)


async def webhooks(request: Request) -> Response:
    """Each delivery: provider, target, event, attempts, last_status, delivered, pending, payload."""
    rt = runtime(request)
    rows = sorted(rt.state.table("deliveries").values(), key=lambda d: d["seq"])
    pending = request.query_params.get("pending")
    if pending is not None:
        want = pending.lower() in ("1", "true", "yes")
        rows = [d for d in rows if d["pending"] == want]
    for key in ("provider", "event"):
        if request.query_params.get(key):
            rows = [d for d in rows if d[key] == request.query_params[key]]
    return JSONResponse(rows)


async def redeliver(request: Request) -> Response:
    return JSONResponse({"redelivering": runtime(request).webhooks.redeliver_now()})


async def add_fault(request: Request) -> Response:
    """``{route: "METHOD regex", status, delay_seconds, count, body}``; status null = delay only."""
    try:
        body = json.loads(await request.body())
        fault = Fault(
            route=str(body["route"]),
            status=body.get("status", 500),
            delay_seconds=float(body.get("delay_seconds", 0.0)),
            count=int(body.get("count", 1)),
            body=body.get("body"),
        )
    except (KeyError, ValueError, TypeError) as exc:
        return JSONResponse({"error": f"bad fault: {exc}"}, status_code=400)
    runtime(request).faults.add(fault)
    return JSONResponse(fault.as_dict(), status_code=201)


async def list_faults(request: Request) -> Response:
    return JSONResponse([f.as_dict() for f in runtime(request).faults.faults])


async def clear_faults(request: Request) -> Response:
    runtime(request).faults.clear()
    return JSONResponse({"ok": True})


async def sendgrid_public_key(request: Request) -> Response:
    """Base64 DER public key for ``EventWebhook(public_key)`` in the gateway."""
    return JSONResponse({"public_key": ec_public_key_b64(runtime(request).sendgrid_key)})


async def invoice_payment_failed(request: Request) -> Response:
    """Simulate a failed payment attempt on an open invoice (fires ``invoice.payment_failed``)."""
    rt = runtime(request)
    invoice = rt.state.table("invoices").get(request.path_params["id"])
    if invoice is None:
        return JSONResponse({"error": "no such invoice"}, status_code=404)
    stripe_billing.payment_failed(rt, invoice)
    return JSONResponse(_public(invoice))


async def invoice_paid(request: Request) -> Response:
    """Same as pressing Pay on the hosted page, for scripts."""
    rt = runtime(request)
    invoice = rt.state.table("invoices").get(request.path_params["id"])
    if invoice is None:
        return JSONResponse({"error": "no such invoice"}, status_code=404)
    stripe_billing.mark_paid(rt, invoice)
    return JSONResponse(_public(invoice))


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/_sandbox/state", state_summary, methods=["GET"]),
    Route("/_sandbox/reset", reset, methods=["POST"]),
    Route("/_sandbox/envelopes", _listing("envelopes"), methods=["GET"]),
    Route("/_sandbox/customers", _listing("customers"), methods=["GET"]),
    Route("/_sandbox/invoices", _listing("invoices"), methods=["GET"]),
    Route("/_sandbox/invoiceitems", _listing("invoiceitems"), methods=["GET"]),
    Route("/_sandbox/transfers", _listing("transfers"), methods=["GET"]),
    Route("/_sandbox/accounts", _listing("accounts"), methods=["GET"]),
    Route("/_sandbox/events", _listing("events"), methods=["GET"]),
    Route("/_sandbox/mail", mail, methods=["GET"]),
    Route("/_sandbox/webhooks", webhooks, methods=["GET"]),
    Route("/_sandbox/webhooks/redeliver", redeliver, methods=["POST"]),
    Route("/_sandbox/faults", list_faults, methods=["GET"]),
    Route("/_sandbox/faults", add_fault, methods=["POST"]),
    Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
    Route("/_sandbox/sendgrid/public-key", sendgrid_public_key, methods=["GET"]),
    Route("/_sandbox/stripe/invoices/{id}/payment_failed", invoice_payment_failed, methods=["POST"]),
    Route("/_sandbox/stripe/invoices/{id}/paid", invoice_paid, methods=["POST"]),
]
