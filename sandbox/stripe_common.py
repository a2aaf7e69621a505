"""Plumbing shared by the Stripe routes: auth, params, idempotency, errors, lists, events."""

from __future__ import annotations

import base64
import copy
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.errors import ProviderError, stripe_error
from sandbox.faults import after_fault
from sandbox.runtime import Runtime, runtime
from sandbox.stripe_forms import parse_form
from sandbox.util import new_id, now_ts

StripeObject = dict[str, Any]
Params = dict[str, Any]
Handler = Callable[[Runtime, Request, Params], StripeObject | Awaitable[StripeObject]]

#: The API version of the pinned stripe-python (``stripe.api_version``): objects and events claim it.
API_VERSION = "2026-10-28.endive"
#: Stripe keeps an idempotency key's result for 24 hours.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
#: Stripe embeds at most this many lines in an invoice; ``GET /v1/invoices/{id}/lines`` pages the rest.
EMBEDDED_LINES = 10


def invalid(message: str, *, code: str | None = None, param: str | None = None, status: int = 400) -> ProviderError:
    """A request refused while its parameters were checked: nothing ran, nothing is stored under its key."""
    return ProviderError(stripe_error(status, message, code=code, param=param))


def declined(message: str, *, code: str | None = None, param: str | None = None, status: int = 400) -> ProviderError:
    """A failure while executing (balance, capability, state): Stripe stores and replays it under the key."""
    return ProviderError(stripe_error(status, message, code=code, param=param), executed=True)


def require(params: Params, name: str) -> Any:
    """Missing parameter → 400 ``parameter_missing``, like Stripe."""
    value = params.get(name)
    if value in (None, ""):
        raise invalid(f"Missing required param: {name}.", code="parameter_missing", param=name)
    return value


def to_int(params: Params, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name) from exc


def metadata(params: Params) -> dict[str, str]:
    raw = params.get("metadata") or {}
    if not isinstance(raw, dict):
        raise invalid("Invalid metadata: must be an object", param="metadata")
    return {str(k): str(v) for k, v in raw.items() if v != ""}


def get_or_404(rt: Runtime, table: str, object_id: str, label: str, param: str = "id") -> StripeObject:
    obj = rt.state.table(table).get(object_id)
    if obj is None:
        raise invalid(f"No such {label}: '{object_id}'", code="resource_missing", param=param, status=404)
    return obj


def base_object(prefix: str, object_name: str, params: Params) -> StripeObject:
    return {
        "id": new_id(prefix),
        "object": object_name,
        "created": now_ts(),
        "livemode": False,
        "metadata": metadata(params),
    }


def list_object(items: list[StripeObject], url: str, params: Params) -> StripeObject:
    """Newest-first page honouring ``limit`` and ``starting_after``."""
    items = sorted(items, key=lambda o: (o.get("created", o.get("date", 0)), o.get("_seq", 0)), reverse=True)
    after = params.get("starting_after")
    if after:
        ids = [o["id"] for o in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    limit = max(1, min(100, to_int(params, "limit", 10) or 10))
    return {"object": "list", "data": [api_view(i) for i in items[:limit]], "has_more": len(items) > limit,
            "url": url}


def _check_auth(rt: Runtime, request: Request) -> None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    key = value
    if scheme.lower() == "basic":
        key = base64.b64decode(value).decode("utf-8", "replace").partition(":")[0]
    elif scheme.lower() != "bearer":
        key = ""
    if key != rt.config.stripe_api_key:
        shown = f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"
        raise ProviderError(stripe_error(401, f"Invalid API Key provided: {shown}", type_="invalid_request_error"))


async def _params(request: Request) -> Params:
    if request.method in ("POST", "DELETE"):
        return parse_form((await request.body()).decode("utf-8"))
    return parse_form(request.url.query)


async def _call(handler: Handler, rt: Runtime, request: Request, params: Params) -> StripeObject:
    result = handler(rt, request, params)
    if inspect.isawaitable(result):
        result = await result
    return result


def _public(obj: StripeObject) -> StripeObject:
    """Drop sandbox-internal keys (``_seq``…) from an object before it leaves the sandbox."""
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def api_view(obj: StripeObject) -> StripeObject:
    """An object as the API shows it: no internal keys; an invoice embeds its first 10 lines only."""
    view = _public(obj)
    lines = view.get("lines")
    if view.get("object") == "invoice" and isinstance(lines, dict):
        data = lines.get("data") or []
        view["lines"] = {"object": "list", "data": data[:EMBEDDED_LINES], "has_more": len(data) > EMBEDDED_LINES,
                         "url": lines.get("url", "")}
    return view


def _replay(stored: StripeObject, key: str) -> Response:
    headers = {"Idempotent-Replayed": "true", "Idempotency-Key": key, "Request-Id": new_id("req")}
    return JSONResponse(stored["body"], status_code=int(stored.get("status", 200)), headers=headers)


def stripe_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with auth, bracket-param parsing and ``Idempotency-Key`` semantics, as Stripe has them.

    Keys are scoped per API key (Stripe: per account). Same key and same request → the stored result,
    with ``Idempotent-Replayed: true``, for 24 hours; same key, another request → 400 ``idempotency_error``.
    The result is stored once the endpoint started executing, *including failures* (a 500, or a 400 such as
    ``balance_insufficient``), so retrying a failed request with its key gets the same failure back; a
    request refused while its parameters were validated stores nothing. A ``phase="after"`` fault
    (:mod:`sandbox.faults`) runs the handler, then answers and stores its error the same way; a
    ``phase="during"`` fault stores its error without running the handler.
    """

    async def endpoint(request: Request) -> Response:
        rt = runtime(request)
        _check_auth(rt, request)
        params = await _params(request)
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        fault = after_fault(request.scope)
        scope = f"{rt.config.stripe_api_key}|{key}"
        fingerprint = hashlib.sha256(json.dumps([request.url.path, params], sort_keys=True).encode()).hexdigest()
        table = rt.state.table("idempotency")
        if key:
            stored = table.get(scope)
            if stored is not None and stored["created"] + IDEMPOTENCY_TTL_SECONDS < now_ts():
                stored = None
            if stored is not None:
                if stored["fingerprint"] != fingerprint:
                    raise ProviderError(
                        stripe_error(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{key}' if you meant to execute a "
                            "different request.",
                            type_="idempotency_error",
                        )
                    )
                return _replay(stored, key)
        try:
            if fault is not None and fault.phase == "during":
                raise ProviderError(fault.response(request.url.path), executed=True)
            body = api_view(await _call(handler, rt, request, params))
            status = 200
        except ProviderError as exc:
            if not (key and exc.executed) and fault is None:
                raise
            status, body = exc.response.status_code, json.loads(bytes(exc.response.body))
        if fault is not None:
            response = fault.response(request.url.path)
            status, body = response.status_code, json.loads(bytes(response.body))
        headers = {"Request-Id": new_id("req")}
        if key:
            table[scope] = {"fingerprint": fingerprint, "status": status, "body": body, "created": now_ts()}
            rt.state.commit()
            headers["Idempotency-Key"] = key
        return JSONResponse(body, status_code=status, headers=headers)

    return endpoint


def expire_idempotency_keys(rt: Runtime) -> int:
    """Forget every stored key, as Stripe does after 24 hours (``POST /_sandbox/stripe/idempotency/expire``)."""
    table = rt.state.table("idempotency")
    count = len(table)
    table.clear()
    rt.state.commit()
    return count


def emit_event(rt: Runtime, event_type: str, obj: StripeObject) -> StripeObject:
    """Record an event and deliver it to ``stripe_webhook_url`` if that type is subscribed."""
    event: StripeObject = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": rt.config.stripe_api_version,
        "created": now_ts(),
        "data": {"object": api_view(copy.deepcopy(obj))},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "_seq": rt.state.next_seq(),
    }
    rt.state.table("events")[event["id"]] = event
    subscribed = rt.config.stripe_webhook_events
    if "*" in subscribed or event_type in subscribed:
        rt.webhooks.enqueue("stripe", rt.config.stripe_webhook_url, event_type, _public(event))
    return event
