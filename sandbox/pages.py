"""Human pages: sandbox index, mail outbox, and the Stripe hosted invoice page with its Pay button."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox import stripe_billing
from sandbox.runtime import runtime
from sandbox.sendgrid import mail_html, matching_mails
from sandbox.templating import message_page, render


async def index(request: Request) -> Response:
    return render("index.html")


async def outbox(request: Request) -> Response:
    rt = runtime(request)
    mails = matching_mails(rt, request.query_params.get("to"), request.query_params.getlist("custom_args"))
    return render("outbox.html", mails=mails)


async def outbox_message(request: Request) -> Response:
    mail = runtime(request).state.table("mails").get(request.path_params["id"])
    if mail is None:
        return message_page("Not found", "No such message in the outbox.", 404, "/outbox", "Outbox")
    html, text = mail_html(mail)
    return render("mail.html", mail=mail, html=html, text=text)


async def invoice_page(request: Request) -> Response:
    invoice = runtime(request).state.table("invoices").get(request.path_params["id"])
    if invoice is None or invoice["status"] == "draft":
        return message_page("Not found", "No such invoice.", 404)
    due = datetime.fromtimestamp(invoice["due_date"], UTC).date().isoformat() if invoice.get("due_date") else None
    return render("invoice.html", invoice=invoice, due=due, money=stripe_billing.money)


async def invoice_pay(request: Request) -> Response:
    """The Pay button: marks the invoice paid and fires ``invoice.paid``; back to the page (303)."""
    rt = runtime(request)
    invoice = rt.state.table("invoices").get(request.path_params["id"])
    if invoice is None:
        return message_page("Not found", "No such invoice.", 404)
    if invoice["status"] != "open":
        return message_page("Cannot pay", f"This invoice is {invoice['status']}.", 409, str(request.url))
    stripe_billing.mark_paid(rt, invoice)
    return RedirectResponse(str(request.url), status_code=303)


routes = [
    Route("/", index, methods=["GET"]),
    Route("/outbox", outbox, methods=["GET"]),
    Route("/outbox/{id}", outbox_message, methods=["GET"]),
    Route("/stripe/invoices/{id}/pay", invoice_page, methods=["GET"]),
    Route("/stripe/invoices/{id}/pay", invoice_pay, methods=["POST"]),
]
