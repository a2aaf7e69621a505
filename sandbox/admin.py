"""``/_sandbox/*`` admin JSON API: state, listings, reset, faults, webhooks, SendGrid public key, toggles."""

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
from sandbox.stripe_api import ensure_preloaded_accounts, set_balance
from sandbox.stripe_common import expire_idempotency_keys

#: Config values changed through the admin API, per runtime, with their first value: reset restores them.
_TOGGLED: dict[int, dict[str, Any]] = {}


def _toggle(rt: Any, name: str, value: Any) -> Any:
    _TOGGLED.setdefault(id(rt), {}).setdefault(name, getattr(rt.config, name))
    setattr(rt.config, name, value)
    return value


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
    for name, value in _TOGGLED.pop(id(rt), {}).items():
        setattr(rt.config, name, value)
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
    """``{route: "METHOD regex", status, delay_seconds, count, body, phase, headers, retry_after_seconds}``;
    status null = delay only; ``phase: "after"`` fails the call after it ran (see :mod:`sandbox.faults`)."""
    try:
        body = json.loads(await request.body())
        fault = Fault(
            route=str(body["route"]),
            status=body.get("status", 500),
            delay_seconds=float(body.get("delay_seconds", 0.0)),
            count=int(body.get("count", 1)),
            body=body.get("body"),
            phase=str(body.get("phase", "before")),
            headers=body.get("headers"),
            retry_after_seconds=float(body.get("retry_after_seconds", 1.0)),
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


def _invoice_action(action: Any) -> Any:
    """An admin route acting on one invoice with ``{amount}`` (minor units): a partial payment, a credit note."""

    async def handle(request: Request) -> Response:
        rt = runtime(request)
        invoice = rt.state.table("invoices").get(request.path_params["id"])
        if invoice is None:
            return JSONResponse({"error": "no such invoice"}, status_code=404)
        try:
            body = json.loads(await request.body() or b"{}")
            action(rt, invoice, int(body["amount"]))
        except (KeyError, ValueError, TypeError) as exc:
            return JSONResponse({"error": f"bad request: {exc}"}, status_code=400)
        except Exception as exc:  # the Stripe refusal (an invoice in the wrong state): its message
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(_public(invoice))

    return handle


async def invoice_uncollectible(request: Request) -> Response:
    """As finance marking the invoice uncollectible in the Dashboard (fires ``invoice.marked_uncollectible``)."""
    rt = runtime(request)
    invoice = rt.state.table("invoices").get(request.path_params["id"])
    if invoice is None:
        return JSONResponse({"error": "no such invoice"}, status_code=404)
    try:
        stripe_billing.mark_uncollectible(rt, invoice)
    except Exception as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(_public(invoice))


async def stripe_balance(request: Request) -> Response:
    """``{currency, amount}``: set the platform's available balance (a top-up, or draining it for a test)."""
    try:
        body = json.loads(await request.body())
        view = set_balance(runtime(request), str(body["currency"]), int(body["amount"]))
    except (KeyError, ValueError, TypeError) as exc:
        return JSONResponse({"error": f"bad balance: {exc}"}, status_code=400)
    return JSONResponse(view)


async def stripe_account(request: Request) -> Response:
    """``{capabilities: {transfers: "active"|"inactive"}, country, default_currency, live_mode_only}``."""
    rt = runtime(request)
    account = rt.state.table("accounts").get(request.path_params["id"])
    if account is None:
        return JSONResponse({"error": "no such account"}, status_code=404)
    body = json.loads(await request.body() or b"{}")
    for field in ("capabilities", "country", "default_currency", "payouts_enabled"):
        if field in body:
            account[field] = body[field]
    if "live_mode_only" in body:  # onboarded in live mode: a test-mode key cannot see it
        account["_livemode"] = bool(body["live_mode_only"])
    rt.state.commit()
    return JSONResponse(_public(account))


async def stripe_expire_keys(request: Request) -> Response:
    """Forget stored idempotency results, as 24 hours passing would."""
    return JSONResponse({"expired": expire_idempotency_keys(runtime(request))})


async def sendgrid_senders(request: Request) -> Response:
    """``{"verified": [addresses] | null, "domains": [domains], "scopes": [scopes]}``: sender identities
    (null: any from-address), authenticated domains and the API key's scopes (each optional)."""
    rt = runtime(request)
    body = json.loads(await request.body() or b"{}")
    if "verified" in body:
        verified = body["verified"]
        _toggle(rt, "sendgrid_verified_senders", None if verified is None else [str(v) for v in verified])
    for key, name in (("domains", "sendgrid_authenticated_domains"), ("scopes", "sendgrid_scopes")):
        if key in body:
            _toggle(rt, name, [str(v) for v in body[key]])
    cfg = rt.config
    return JSONResponse({"verified": cfg.sendgrid_verified_senders, "domains": cfg.sendgrid_authenticated_domains,
                         "scopes": cfg.sendgrid_scopes})


async def stripe_platform(request: Request) -> Response:
    """``{"connect_enabled": bool, "webhook_endpoints": [...] | null}``: the platform account's setup."""
    rt = runtime(request)
    body = json.loads(await request.body() or b"{}")
    if "connect_enabled" in body:
        _toggle(rt, "stripe_connect_enabled", bool(body["connect_enabled"]))
    if "webhook_endpoints" in body:
        _toggle(rt, "stripe_webhook_endpoints", body["webhook_endpoints"])
    return JSONResponse({"connect_enabled": rt.config.stripe_connect_enabled,
                         "webhook_endpoints": rt.config.stripe_webhook_endpoints})


async def stripe_search_lag(request: Request) -> Response:
    """``{"seconds": float}``: how long a customer created from now on stays out of ``/v1/customers/search``
    (0: no lag; customers created earlier keep theirs)."""
    rt = runtime(request)
    body = json.loads(await request.body() or b"{}")
    try:
        seconds = float(body.get("seconds", 0.0))
    except (TypeError, ValueError) as exc:
        return JSONResponse({"error": f"bad search lag: {exc}"}, status_code=400)
    if seconds < 0:
        return JSONResponse({"error": "bad search lag: seconds must be >= 0"}, status_code=400)
    return JSONResponse({"seconds": _toggle(rt, "stripe_search_lag_seconds", seconds)})


async def docusign_consent(request: Request) -> Response:
    """``{"given": bool}``: whether the impersonated user consented to the integration (JWT grant)."""
    rt = runtime(request)
    body = json.loads(await request.body() or b"{}")
    return JSONResponse({"given": _toggle(rt, "docusign_consent_given", bool(body.get("given", True)))})


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
    Route("/_sandbox/stripe/invoices/{id}/partial_payment", _invoice_action(stripe_billing.partial_payment),
          methods=["POST"]),
    Route("/_sandbox/stripe/invoices/{id}/credit_note", _invoice_action(stripe_billing.credit), methods=["POST"]),
    Route("/_sandbox/stripe/invoices/{id}/uncollectible", invoice_uncollectible, methods=["POST"]),
    Route("/_sandbox/stripe/balance", stripe_balance, methods=["POST"]),
    Route("/_sandbox/stripe/accounts/{id}", stripe_account, methods=["POST"]),
    Route("/_sandbox/stripe/idempotency/expire", stripe_expire_keys, methods=["POST"]),
    Route("/_sandbox/sendgrid/senders", sendgrid_senders, methods=["POST"]),
    Route("/_sandbox/stripe/platform", stripe_platform, methods=["POST"]),
    Route("/_sandbox/stripe/search-lag", stripe_search_lag, methods=["POST"]),
    Route("/_sandbox/docusign/consent", docusign_consent, methods=["POST"]),
]
