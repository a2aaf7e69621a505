"""Stripe v1 routes: customers (list/search), connected accounts, transfers, events.

Invoicing lives in :mod:`sandbox.stripe_billing`; both share :mod:`sandbox.stripe_common`.
"""

from __future__ import annotations

import re
import secrets
import time

from starlette.requests import Request
from starlette.routing import Route

from sandbox import stripe_billing
from sandbox.runtime import Runtime
from sandbox.stripe_common import (
    Params,
    StripeObject,
    base_object,
    declined,
    get_or_404,
    invalid,
    list_object,
    metadata,
    require,
    stripe_endpoint,
    to_int,
)
from sandbox.util import new_id

_CLAUSE = re.compile(
    r"^\s*(metadata\[['\"](?P<mkey>[^'\"]+)['\"]\]|(?P<field>email|name|description))\s*:\s*['\"](?P<value>[^'\"]*)['\"]\s*$"
)


# -- customers ----------------------------------------------------------------------------
def create_customer(rt: Runtime, request: Request, params: Params) -> StripeObject:
    customer = base_object("cus", "customer", params)
    customer.update(
        email=params.get("email"),
        name=params.get("name"),
        description=params.get("description"),
        phone=params.get("phone"),
        preferred_locales=params.get("preferred_locales") or [],
        currency=None,
        balance=0,
        delinquent=False,
        invoice_prefix=secrets.token_hex(4).upper(),
        invoice_settings={"custom_fields": None, "default_payment_method": None, "footer": None},
        _seq=rt.state.next_seq(),
        _searchable_at=time.time() + rt.config.stripe_search_lag_seconds,  # when the search index has it
    )
    rt.state.table("customers")[customer["id"]] = customer
    rt.state.commit()
    return customer


def get_customer(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return get_or_404(rt, "customers", request.path_params["id"], "customer")


def update_customer(rt: Runtime, request: Request, params: Params) -> StripeObject:
    customer = get_or_404(rt, "customers", request.path_params["id"], "customer")
    for field in ("email", "name", "description", "phone"):
        if field in params:
            customer[field] = params[field] or None
    if "metadata" in params:
        customer["metadata"] = {**customer["metadata"], **metadata(params)}
        for key, value in (params.get("metadata") or {}).items():
            if value == "":
                customer["metadata"].pop(key, None)
    rt.state.commit()
    return customer


def list_customers(rt: Runtime, request: Request, params: Params) -> StripeObject:
    customers = list(rt.state.table("customers").values())
    if params.get("email"):
        customers = [c for c in customers if c.get("email") == params["email"]]
    return list_object(customers, "/v1/customers", params)


def search_customers(rt: Runtime, request: Request, params: Params) -> StripeObject:
    """Supports ``metadata['k']:'v'``, ``email:'x'``, ``name:'x'`` clauses joined by ``AND``.

    Like Stripe's, the index trails creation: a customer is found ``stripe_search_lag_seconds`` (the value
    when it was created) after its creation, not before (the list endpoint has it at once).
    """
    query = require(params, "query")
    now = time.time()
    customers = [c for c in rt.state.table("customers").values() if c.get("_searchable_at", 0.0) <= now]
    for clause in re.split(r"\s+AND\s+", query, flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if match is None:
            raise invalid(
                f"Invalid search query: {clause!r} (the sandbox supports field:'value' equality only)",
                param="query",
            )
        value = match["value"]
        if match["mkey"]:
            customers = [c for c in customers if c["metadata"].get(match["mkey"]) == value]
        else:
            customers = [c for c in customers if c.get(match["field"]) == value]
    page = list_object(customers, "/v1/customers/search", params)
    return {**page, "object": "search_result", "next_page": None}


# -- connected accounts -------------------------------------------------------------------
def new_account(account_id: str | None, params: Params) -> StripeObject:
    account = base_object("acct", "account", params)
    del account["livemode"]  # an Account has no livemode field
    if account_id:
        account["id"] = account_id
    account.update(
        type=params.get("type") or "custom",
        country=params.get("country") or "US",
        email=params.get("email"),
        business_type=params.get("business_type") or "individual",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
        capabilities={"transfers": "active"},
        default_currency=params.get("default_currency") or "usd",
    )
    return account


def ensure_preloaded_accounts(rt: Runtime) -> None:
    """Connected accounts named in config exist from the start (and after a reset), and so does the
    platform's available balance."""
    table = rt.state.table("accounts")
    for account_id in rt.config.stripe_connected_accounts:
        if account_id not in table:
            account = new_account(account_id, {})
            if account_id in rt.config.stripe_accounts_without_transfers:
                account["capabilities"] = {"transfers": "inactive"}
                account["payouts_enabled"] = False
            if account_id in rt.config.stripe_live_mode_accounts:
                account["_livemode"] = True
            table[account_id] = account
    balance = rt.state.table("balance")
    if not balance:
        for currency, amount in rt.config.stripe_balance.items():
            balance[currency.lower()] = {"currency": currency.lower(), "amount": int(amount)}


def _missing_in_this_mode(account_id: str, param: str) -> Exception:
    """Stripe's answer when a test-mode key names an object that exists in live mode only."""
    return invalid(f"No such destination: '{account_id}'; a similar object exists in live mode, but a test mode "
                   "key was used to make this request.", code="resource_missing", param=param, status=400)


def visible_account(rt: Runtime, account_id: str, param: str) -> StripeObject | None:
    account = rt.state.table("accounts").get(account_id)
    if account is not None and account.get("_livemode") and rt.config.stripe_api_key.startswith(("sk_test", "rk_test")):
        raise _missing_in_this_mode(account_id, param)
    return account


def _require_connect(rt: Runtime) -> None:
    if not rt.config.stripe_connect_enabled:
        raise invalid("You can only create new accounts if you've signed up for Connect, which you can learn "
                      "how to do at https://stripe.com/docs/connect.")


def list_accounts(rt: Runtime, request: Request, params: Params) -> StripeObject:
    """``GET /v1/accounts``: the platform's connected accounts (refused without Connect)."""
    _require_connect(rt)
    accounts = [a for a in rt.state.table("accounts").values()
                if not (a.get("_livemode") and rt.config.stripe_api_key.startswith(("sk_test", "rk_test")))]
    return list_object(accounts, "/v1/accounts", params)


def list_webhook_endpoints(rt: Runtime, request: Request, params: Params) -> StripeObject:
    """``GET /v1/webhook_endpoints``: where Stripe sends events, and which."""
    configured = rt.config.stripe_webhook_endpoints
    if configured is None:
        url = rt.config.stripe_webhook_url
        configured = [{"url": url, "enabled_events": list(rt.config.stripe_webhook_events)}] if url else []
    endpoints = [{"id": f"we_sandbox{i}", "object": "webhook_endpoint", "api_version": rt.config.stripe_api_version,
                  "application": None, "created": 1700000000, "description": None, "livemode": False,
                  "metadata": {}, "status": str(e.get("status", "enabled")), "url": str(e["url"]),
                  "enabled_events": list(e.get("enabled_events") or [])} for i, e in enumerate(configured, 1)]
    return {"object": "list", "data": endpoints, "has_more": False, "url": "/v1/webhook_endpoints"}


def create_account(rt: Runtime, request: Request, params: Params) -> StripeObject:
    _require_connect(rt)
    account = new_account(None, params)
    rt.state.table("accounts")[account["id"]] = account
    rt.state.commit()
    return account


def get_account(rt: Runtime, request: Request, params: Params) -> StripeObject:
    visible_account(rt, request.path_params["id"], "account")
    return get_or_404(rt, "accounts", request.path_params["id"], "account")


# -- balance ------------------------------------------------------------------------------------
def balance_view(rt: Runtime) -> StripeObject:
    """``GET /v1/balance``: what transfers can be paid from now (``available``) and what is on its way."""
    rows = sorted(rt.state.table("balance").values(), key=lambda b: b["currency"])
    available = [{"amount": b["amount"], "currency": b["currency"], "source_types": {"card": b["amount"]}}
                 for b in rows]
    pending = [{"amount": 0, "currency": b["currency"], "source_types": {"card": 0}} for b in rows]
    return {"object": "balance", "available": available, "pending": pending, "livemode": False}


def get_balance(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return balance_view(rt)


def set_balance(rt: Runtime, currency: str, amount: int) -> StripeObject:
    """Admin: the available balance in ``currency`` becomes ``amount`` (a top-up, or draining it)."""
    rt.state.table("balance")[currency.lower()] = {"currency": currency.lower(), "amount": int(amount)}
    rt.state.commit()
    return balance_view(rt)


# -- transfers ----------------------------------------------------------------------------
def create_transfer(rt: Runtime, request: Request, params: Params) -> StripeObject:
    amount = to_int(params, "amount")
    if amount is None:
        raise invalid("Missing required param: amount.", code="parameter_missing", param="amount")
    if amount <= 0:
        raise invalid("Invalid positive integer", code="parameter_invalid_integer", param="amount")
    currency = str(require(params, "currency")).lower()
    destination = require(params, "destination")
    _require_connect(rt)
    account = visible_account(rt, destination, "destination")
    if account is None:
        raise invalid(f"No such destination: '{destination}'", code="resource_missing", param="destination")
    if (account.get("capabilities") or {}).get("transfers") != "active":
        raise declined(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer", param="destination")
    balance = rt.state.table("balance").get(currency)
    if balance is None or balance["amount"] < amount:
        raise declined(
            "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
            "available balance by creating Charges using the 4000000000000077 test card. See: "
            "https://stripe.com/docs/testing#available-balance",
            code="balance_insufficient")
    balance["amount"] -= amount
    transfer = base_object("tr", "transfer", params)
    transfer.update(
        amount=amount,
        amount_reversed=0,
        currency=currency,
        destination=destination,
        destination_payment=new_id("py"),
        balance_transaction=new_id("txn"),
        description=params.get("description"),
        transfer_group=params.get("transfer_group"),
        reversed=False,
        reversals={"object": "list", "data": [], "has_more": False, "url": ""},
        source_type="card",
        source_transaction=None,  # paid from the pre-funded balance, not tied to a charge (README: payments)
        _seq=rt.state.next_seq(),
    )
    transfer["reversals"]["url"] = f"/v1/transfers/{transfer['id']}/reversals"
    rt.state.table("transfers")[transfer["id"]] = transfer
    rt.state.commit()
    return transfer


def get_transfer(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return get_or_404(rt, "transfers", request.path_params["id"], "transfer")


def list_transfers(rt: Runtime, request: Request, params: Params) -> StripeObject:
    transfers = list(rt.state.table("transfers").values())
    for field in ("transfer_group", "destination"):
        if params.get(field):
            transfers = [t for t in transfers if t.get(field) == params[field]]
    return list_object(transfers, "/v1/transfers", params)


# -- events -------------------------------------------------------------------------------
def get_event(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return get_or_404(rt, "events", request.path_params["id"], "event")


def list_events(rt: Runtime, request: Request, params: Params) -> StripeObject:
    events = list(rt.state.table("events").values())
    if params.get("type"):
        events = [e for e in events if e["type"] == params["type"]]
    return list_object(events, "/v1/events", params)


routes = [
    Route("/v1/customers", stripe_endpoint(create_customer), methods=["POST"]),
    Route("/v1/customers", stripe_endpoint(list_customers), methods=["GET"]),
    Route("/v1/customers/search", stripe_endpoint(search_customers), methods=["GET"]),
    Route("/v1/customers/{id}", stripe_endpoint(get_customer), methods=["GET"]),
    Route("/v1/customers/{id}", stripe_endpoint(update_customer), methods=["POST"]),
    Route("/v1/accounts", stripe_endpoint(create_account), methods=["POST"]),
    Route("/v1/accounts", stripe_endpoint(list_accounts), methods=["GET"]),
    Route("/v1/webhook_endpoints", stripe_endpoint(list_webhook_endpoints), methods=["GET"]),
    Route("/v1/accounts/{id}", stripe_endpoint(get_account), methods=["GET"]),
    Route("/v1/balance", stripe_endpoint(get_balance), methods=["GET"]),
    Route("/v1/transfers", stripe_endpoint(create_transfer), methods=["POST"]),
    Route("/v1/transfers", stripe_endpoint(list_transfers), methods=["GET"]),
    Route("/v1/transfers/{id}", stripe_endpoint(get_transfer), methods=["GET"]),
    Route("/v1/events", stripe_endpoint(list_events), methods=["GET"]),
    Route("/v1/events/{id}", stripe_endpoint(get_event), methods=["GET"]),
    *stripe_billing.routes,
]
