"""Stripe invoicing: invoice items, the invoice state machine (draft → open → paid | void), events."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from sandbox.runtime import Runtime
from sandbox.stripe_common import (
    Params,
    StripeObject,
    base_object,
    declined,
    emit_event,
    get_or_404,
    invalid,
    list_object,
    metadata,
    require,
    stripe_endpoint,
    to_int,
)
from sandbox.util import iso_now, new_id, now_ts

DAY = 86400


def _not_editable(invoice: StripeObject, action: str, allowed: str) -> Exception:
    code = "invoice_not_editable" if allowed == "draft" else None
    return declined(
        f"You can only {action} an invoice whose status is '{allowed}'; "
        f"invoice {invoice['id']} is '{invoice['status']}'.",
        code=code,
    )


def _line(invoice: StripeObject, item: StripeObject) -> StripeObject:
    """An invoice line for an invoice item, in the pinned API version's shape (``parent``, no ``invoice_item``).

    ``metadata`` is left empty: Stripe documents line metadata for subscription lines only, so nothing may
    rely on it mirroring the invoice item's (casefac finds its lines through the invoice items instead).
    """
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice["id"],
        "parent": {"type": "invoice_item_details", "subscription_item_details": None,
                   "invoice_item_details": {"invoice_item": item["id"], "proration": False,
                                            "proration_details": {"credited_items": None},
                                            "subscription": None}},
        "metadata": {},
        "period": item["period"],
        "pretax_credit_amounts": [],
        "pricing": None,
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": None,
        "subtotal": item["amount"],
        "taxes": [],
        "livemode": False,
    }


def _recompute(invoice: StripeObject) -> None:
    total = sum(line["amount"] for line in invoice["lines"]["data"])
    invoice.update(subtotal=total, total=total, amount_due=total, amount_remaining=total - invoice["amount_paid"])


def _attach(invoice: StripeObject, item: StripeObject) -> None:
    item["invoice"] = invoice["id"]
    invoice["lines"]["data"].append(_line(invoice, item))
    _recompute(invoice)


# -- invoice items ------------------------------------------------------------------------
def create_invoiceitem(rt: Runtime, request: Request, params: Params) -> StripeObject:
    customer = get_or_404(rt, "customers", require(params, "customer"), "customer", "customer")
    amount = to_int(params, "amount")
    if amount is None:
        unit = to_int(params, "unit_amount")
        if unit is None:
            raise invalid("Missing required param: amount.", code="parameter_missing", param="amount")
        amount = unit * (to_int(params, "quantity", 1) or 1)
    now = now_ts()
    item = base_object("ii", "invoiceitem", params)
    del item["created"]  # an invoice item carries ``date``, not ``created``
    item.update(
        amount=amount,
        currency=str(params.get("currency") or customer.get("currency") or "usd").lower(),
        customer=customer["id"],
        date=now,
        description=params.get("description"),
        discountable=True,
        invoice=None,
        period={"start": now, "end": now},
        quantity=to_int(params, "quantity", 1),
        _seq=rt.state.next_seq(),
    )
    if params.get("invoice"):
        invoice = get_or_404(rt, "invoices", params["invoice"], "invoice", "invoice")
        if invoice["status"] != "draft":
            raise _not_editable(invoice, "add items to", "draft")
        _attach(invoice, item)
    rt.state.table("invoiceitems")[item["id"]] = item
    rt.state.commit()
    return item


def get_invoiceitem(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return get_or_404(rt, "invoiceitems", request.path_params["id"], "invoiceitem")


def list_invoiceitems(rt: Runtime, request: Request, params: Params) -> StripeObject:
    """``GET /v1/invoiceitems`` with Stripe's ``customer``, ``invoice`` and ``pending`` filters."""
    items = list(rt.state.table("invoiceitems").values())
    for field in ("customer", "invoice"):
        if params.get(field):
            items = [i for i in items if i.get(field) == params[field]]
    if str(params.get("pending", "")).lower() == "true":
        items = [i for i in items if i.get("invoice") is None]
    return list_object(items, "/v1/invoiceitems", params)


# -- invoices -----------------------------------------------------------------------------
def create_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    customer = get_or_404(rt, "customers", require(params, "customer"), "customer", "customer")
    method = params.get("collection_method") or "charge_automatically"
    if method not in ("charge_automatically", "send_invoice"):
        raise invalid(f"Invalid collection_method: {method}", param="collection_method")
    days = to_int(params, "days_until_due")
    due_date = to_int(params, "due_date")
    if method == "send_invoice" and days is None and due_date is None:
        raise invalid(
            "Invoices with collection_method=send_invoice must have either a due_date or days_until_due set.",
            param="days_until_due",
        )
    now = now_ts()
    invoice = base_object("in", "invoice", params)
    invoice.update(
        customer=customer["id"],
        customer_email=customer.get("email"),
        customer_name=customer.get("name"),
        status="draft",
        collection_method=method,
        _days_until_due=days,  # kept for finalize: the Invoice object has no such field
        due_date=due_date,
        currency=str(params.get("currency") or "").lower() or None,
        description=params.get("description"),
        auto_advance=str(params.get("auto_advance", "false")).lower() == "true",
        lines={"object": "list", "data": [], "has_more": False, "url": ""},
        amount_paid=0,
        attempt_count=0,
        attempted=False,
        number=None,
        hosted_invoice_url=None,
        invoice_pdf=None,
        period_start=now,
        period_end=now,
        account_name="Casefac Sandbox",
        status_transitions={
            "finalized_at": None,
            "paid_at": None,
            "voided_at": None,
            "marked_uncollectible_at": None,
        },
        _seq=rt.state.next_seq(),
    )
    invoice["lines"]["url"] = f"/v1/invoices/{invoice['id']}/lines"
    if params.get("pending_invoice_items_behavior", "exclude") == "include":
        pending = sorted(
            (
                i
                for i in rt.state.table("invoiceitems").values()
                if i["customer"] == customer["id"] and i["invoice"] is None
            ),
            key=lambda i: i["_seq"],
        )
        if invoice["currency"] is None and pending:
            invoice["currency"] = pending[0]["currency"]
        for item in pending:
            if item["currency"] == invoice["currency"]:
                _attach(invoice, item)
    invoice["currency"] = invoice["currency"] or "usd"
    _recompute(invoice)
    rt.state.table("invoices")[invoice["id"]] = invoice
    rt.state.commit()
    return invoice


def _invoice(rt: Runtime, request: Request) -> StripeObject:
    return get_or_404(rt, "invoices", request.path_params["id"], "invoice")


def get_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    return _invoice(rt, request)


def list_lines(rt: Runtime, request: Request, params: Params) -> StripeObject:
    """``GET /v1/invoices/{id}/lines``: every line, in the invoice's order, paged by ``starting_after``."""
    invoice = _invoice(rt, request)
    lines = list(invoice["lines"]["data"])
    after = params.get("starting_after")
    if after:
        ids = [line["id"] for line in lines]
        lines = lines[ids.index(after) + 1 :] if after in ids else []
    limit = max(1, min(100, to_int(params, "limit", 10) or 10))
    return {"object": "list", "data": lines[:limit], "has_more": len(lines) > limit,
            "url": f"/v1/invoices/{invoice['id']}/lines"}


def list_invoices(rt: Runtime, request: Request, params: Params) -> StripeObject:
    items = list(rt.state.table("invoices").values())
    for field in ("customer", "status", "collection_method"):
        if params.get(field):
            items = [i for i in items if i.get(field) == params[field]]
    return list_object(items, "/v1/invoices", params)


def update_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    invoice = _invoice(rt, request)
    if set(params) - {"metadata"} and invoice["status"] != "draft":
        raise _not_editable(invoice, "update", "draft")
    if "metadata" in params:
        invoice["metadata"] = {**invoice["metadata"], **metadata(params)}
    if "description" in params:
        invoice["description"] = params["description"]
    if "days_until_due" in params:
        invoice["_days_until_due"] = to_int(params, "days_until_due")
    rt.state.commit()
    return invoice


def finalize(rt: Runtime, invoice: StripeObject) -> None:
    """draft → open: number, hosted page URL and due date; a zero invoice is paid at once."""
    if invoice["status"] != "draft":
        raise _not_editable(invoice, "finalize", "draft")
    now = now_ts()
    customer = rt.state.table("customers")[invoice["customer"]]
    customer["_invoice_seq"] = customer.get("_invoice_seq", 0) + 1
    days = invoice.get("_days_until_due")
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{customer['_invoice_seq']:04d}",
        hosted_invoice_url=f"{rt.config.base_url}/stripe/invoices/{invoice['id']}/pay",
        invoice_pdf=f"{rt.config.base_url}/stripe/invoices/{invoice['id']}/pay",
        effective_at=now,
    )
    if invoice["collection_method"] == "send_invoice" and days is not None and invoice["due_date"] is None:
        invoice["due_date"] = now + days * DAY
    invoice["status_transitions"]["finalized_at"] = now
    emit_event(rt, "invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        mark_paid(rt, invoice)


def mark_paid(rt: Runtime, invoice: StripeObject) -> None:
    """open → paid (hosted page Pay button or ``POST /v1/invoices/{id}/pay``)."""
    if invoice["status"] != "open":
        raise _not_editable(invoice, "pay", "open")
    # What is left is paid (after any partial payment and any credit note, which lowered ``amount_remaining``).
    invoice.update(status="paid", amount_paid=invoice["amount_paid"] + invoice["amount_remaining"],
                   amount_remaining=0, attempted=True)
    invoice["attempt_count"] += 1
    invoice["status_transitions"]["paid_at"] = now_ts()
    emit_event(rt, "invoice.payment_succeeded", invoice)
    emit_event(rt, "invoice.paid", invoice)
    rt.state.commit()


def payment_failed(rt: Runtime, invoice: StripeObject) -> None:
    """An attempt failed: stays open, ``invoice.payment_failed`` fires (admin-triggered)."""
    if invoice["status"] != "open":
        raise _not_editable(invoice, "fail a payment of", "open")
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    emit_event(rt, "invoice.payment_failed", invoice)
    rt.state.commit()


def finalize_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    invoice = _invoice(rt, request)
    finalize(rt, invoice)
    rt.state.commit()
    return invoice


def send_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    """Like Stripe, emails the customer a link to the hosted page (it lands in the sandbox outbox)."""
    invoice = _invoice(rt, request)
    if invoice["status"] != "open":
        raise _not_editable(invoice, "send", "open")
    if invoice["collection_method"] != "send_invoice":
        raise invalid("You can only manually send an invoice if its collection method is 'send_invoice'.")
    _outbox_invoice_email(rt, invoice)
    emit_event(rt, "invoice.sent", invoice)
    rt.state.commit()
    return invoice


def _outbox_invoice_email(rt: Runtime, invoice: StripeObject) -> None:
    mail_id = new_id("stripe_mail")
    amount = f"{invoice['currency'].upper()} {invoice['amount_due'] / 100:,.2f}"
    html = (
        f"<p>Invoice {invoice['number']} for {amount}.</p>"
        f'<p><a href="{invoice["hosted_invoice_url"]}">View and pay the invoice</a></p>'
    )
    rt.state.table("mails")[mail_id] = {
        "id": mail_id,
        "seq": rt.state.next_seq(),
        "created": now_ts(),
        "created_iso": iso_now(),
        "from_email": "invoice+sandbox@stripe.test",
        "to": [invoice["customer_email"]] if invoice.get("customer_email") else [],
        "subject": f"Invoice {invoice['number']} ({amount})",
        "custom_args": {"stripe_invoice": invoice["id"]},
        "categories": ["stripe-invoice"],
        "attachments": [],
        "request": {"content": [{"type": "text/html", "value": html}], "personalizations": []},
    }


def void_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    invoice = _invoice(rt, request)
    if invoice["status"] not in ("open", "uncollectible"):
        raise _not_editable(invoice, "void", "open")
    invoice["status"] = "void"
    invoice["amount_remaining"] = 0
    invoice["status_transitions"]["voided_at"] = now_ts()
    emit_event(rt, "invoice.voided", invoice)
    rt.state.commit()
    return invoice


def mark_uncollectible(rt: Runtime, invoice: StripeObject) -> None:
    """open → uncollectible (``POST /v1/invoices/{id}/mark_uncollectible``): Stripe stops collecting it."""
    if invoice["status"] != "open":
        raise _not_editable(invoice, "mark uncollectible", "open")
    invoice["status"] = "uncollectible"
    invoice["status_transitions"]["marked_uncollectible_at"] = now_ts()
    emit_event(rt, "invoice.marked_uncollectible", invoice)
    rt.state.commit()


def mark_uncollectible_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    invoice = _invoice(rt, request)
    mark_uncollectible(rt, invoice)
    return invoice


def partial_payment(rt: Runtime, invoice: StripeObject, amount: int) -> None:
    """A payment of part of an open invoice (a bank transfer short of the total, admin-triggered): Stripe
    raises ``amount_paid``, lowers ``amount_remaining`` and sends ``invoice.updated``; the rest pays it."""
    if invoice["status"] != "open":
        raise _not_editable(invoice, "pay", "open")
    if not 0 < amount <= invoice["amount_remaining"]:
        raise invalid(f"A payment of {amount} does not fit the amount remaining {invoice['amount_remaining']}.")
    if amount == invoice["amount_remaining"]:
        mark_paid(rt, invoice)
        return
    invoice.update(amount_paid=invoice["amount_paid"] + amount,
                   amount_remaining=invoice["amount_remaining"] - amount, attempted=True)
    emit_event(rt, "invoice.updated", invoice)
    rt.state.commit()


def credit(rt: Runtime, invoice: StripeObject, amount: int) -> None:
    """A credit note on a finalized invoice (admin-triggered, as finance would in the Dashboard): before payment
    it lowers ``amount_due`` and ``amount_remaining`` (``pre_payment_credit_notes_amount``), after payment it is
    ``post_payment_credit_notes_amount``; ``total`` stays what was billed. Stripe sends ``invoice.updated``."""
    if invoice["status"] not in ("open", "paid"):
        raise _not_editable(invoice, "credit", "open or paid")
    if invoice["status"] == "open":
        if not 0 < amount <= invoice["amount_remaining"]:
            raise invalid(f"The credit note amount {amount} exceeds the amount remaining.")
        invoice["pre_payment_credit_notes_amount"] = invoice.get("pre_payment_credit_notes_amount", 0) + amount
        invoice.update(amount_due=invoice["amount_due"] - amount,
                       amount_remaining=invoice["amount_remaining"] - amount)
    else:
        invoice["post_payment_credit_notes_amount"] = invoice.get("post_payment_credit_notes_amount", 0) + amount
    emit_event(rt, "invoice.updated", invoice)
    if invoice["status"] == "open" and invoice["amount_remaining"] == 0:
        mark_paid(rt, invoice)
    rt.state.commit()


def pay_invoice(rt: Runtime, request: Request, params: Params) -> StripeObject:
    invoice = _invoice(rt, request)
    mark_paid(rt, invoice)
    return invoice


def money(amount: int, currency: str) -> str:
    """Display helper for the hosted invoice page (minor units → major)."""
    zero_decimal = {"jpy", "krw", "clp", "vnd", "pyg", "xaf", "xof"}
    value: Any = amount if currency.lower() in zero_decimal else f"{amount / 100:,.2f}"
    return f"{currency.upper()} {value}"


routes = [
    Route("/v1/invoiceitems", stripe_endpoint(create_invoiceitem), methods=["POST"]),
    Route("/v1/invoiceitems", stripe_endpoint(list_invoiceitems), methods=["GET"]),
    Route("/v1/invoiceitems/{id}", stripe_endpoint(get_invoiceitem), methods=["GET"]),
    Route("/v1/invoices", stripe_endpoint(create_invoice), methods=["POST"]),
    Route("/v1/invoices", stripe_endpoint(list_invoices), methods=["GET"]),
    Route("/v1/invoices/{id}", stripe_endpoint(get_invoice), methods=["GET"]),
    Route("/v1/invoices/{id}/lines", stripe_endpoint(list_lines), methods=["GET"]),
    Route("/v1/invoices/{id}", stripe_endpoint(update_invoice), methods=["POST"]),
    Route("/v1/invoices/{id}/finalize", stripe_endpoint(finalize_invoice), methods=["POST"]),
    Route("/v1/invoices/{id}/send", stripe_endpoint(send_invoice), methods=["POST"]),
    Route("/v1/invoices/{id}/void", stripe_endpoint(void_invoice), methods=["POST"]),
    Route("/v1/invoices/{id}/pay", stripe_endpoint(pay_invoice), methods=["POST"]),
    Route("/v1/invoices/{id}/mark_uncollectible", stripe_endpoint(mark_uncollectible_invoice), methods=["POST"]),
]
