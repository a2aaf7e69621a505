"""Stripe v1 routes: customers (list/search), connected accounts, transfers, events.

Invoicing lives in :mod:`sandbox.stripe_billing`; both share :mod:`sandbox.stripe_common`.
"""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request
from starlette.routing import Route

from sandbox import stripe_billing
from sandbox.runtime import Runtime
from sandbox.stripe_common import (
    Params,
    StripeObject,
    base_object,
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
    """Supports ``metadata['k']:'v'``, ``email:'x'``, ``name:'x'`` clauses joined by ``AND``."""
    query = require(params, "query")
    customers = list(rt.state.table("customers").values())
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
    return {**page, "object": "search_result", "next_page": None, "total_count": len(customers)}


# -- connected accounts -------------------------------------------------------------------
def new_account(account_id: str | None, params: Params) -> StripeObject:
    account = base_object("acct", "account", params)
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
    """Connected accounts named in config exist from the start (and after a reset)."""
    table = rt.state.table("accounts")
    for account_id in rt.config.stripe_connected_accounts:
        table.setdefault(account_id, new_account(account_id, {}))


def create_account(rt: Runtime, request: Request, params: Params) -> StripeObject:
    account = new_account(None, params)
    rt.state.table("accounts")[account["id"]] = account
    rt.state.commit()
    return account


def get_account(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return get_or_404(rt, "accounts", request.path_params["id"], "account")


# -- transfers ----------------------------------------------------------------------------
def create_transfer(rt: Runtime, request: Request, params: Params) -> StripeObject:
    amount = to_int(params, "amount")
    if amount is None:
        raise invalid("Missing required param: amount.", code="parameter_missing", param="amount")
    if amount <= 0:
        raise invalid("Invalid positive integer", code="parameter_invalid_integer", param="amount")
    currency = str(require(params, "currency")).lower()
    destination = require(params, "destination")
    if destination not in rt.state.table("accounts"):
        raise invalid(f"No such destination: '{destination}'", code="resource_missing", param="destination")
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
        reversals={"object": "list", "data": [], "has_more": False, "total_count": 0, "url": ""},
        source_type="card",
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
    Route("/v1/accounts/{id}", stripe_endpoint(get_account), methods=["GET"]),
    Route("/v1/transfers", stripe_endpoint(create_transfer), methods=["POST"]),
    Route("/v1/transfers", stripe_endpoint(list_transfers), methods=["GET"]),
    Route("/v1/transfers/{id}", stripe_endpoint(get_transfer), methods=["GET"]),
    Route("/v1/events", stripe_endpoint(list_events), methods=["GET"]),
    Route("/v1/events/{id}", stripe_endpoint(get_event), methods=["GET"]),
    *stripe_billing.routes,
]
