"""Stripe activities: the only module that imports ``stripe``.

Every POST carries an idempotency key derived from the workflow id and the step (``casefac.ids``), so a
retried activity replays Stripe's stored answer instead of creating a second object; Stripe keeps keys
24 hours, so each activity also looks for what an earlier attempt made (by metadata) and continues from
its state. The SDK's own network retries are off: Temporal's RetryPolicy does the backing off, visibly.

Stripe stores a *failed* result too (a 500 raised while executing, ``balance_insufficient``…) and replays
it under the same key for 24 h. So a replayed failure is not retried (it would fail the same way all day):
it goes to staff, and a staff retry carries ``key_generation`` + 1, i.e. fresh keys. That is safe because
every create is preceded by a look-up through a consistent list endpoint (the customer by email and
``metadata['advocate_id']``, the invoice by metadata among that customer's invoices, items by the invoice's
items, the transfer by transfer group), which sees what an earlier attempt made the moment it was made: a
fresh key never makes a second customer, invoice, line or transfer. Stripe *search* is not enough on its
own: its index trails creation by up to a minute, and a staff retry that quick would make a twin customer,
find no invoice among the twin's and issue a second one.

Invoice items are created *on* the draft invoice (``invoice=``), not left pending for
``pending_invoice_items_behavior=include`` to sweep up: with pending items, two cases of the same
Advocate invoiced at once (or one crashed half-way) would pull each other's lines into their invoices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import in_thread
from casefac.activity_io import (
    ActivityName,
    GetInvoice,
    InvoiceRef,
    IssueInvoice,
    PayDefender,
    TransferRef,
    VoidInvoice,
)
from casefac.errors import ErrorType, for_status, rate_limit_delay, rejected, unavailable
from casefac.ids import idempotency_key
from casefac.money import Money
from casefac.parties import Advocate, Defender
from casefac.settings import StripeSettings

#: Per Stripe call; a hung call fails the attempt as StripeUnavailable rather than hanging the thread.
REQUEST_TIMEOUT_SECONDS = 20
#: Stripe's search index trails writes by "less than a minute" under normal conditions.
SEARCH_LAG_SECONDS = 30.0
T = TypeVar("T")


def invoice_key(workflow_id: str, report_number: int | str, *parts: object, generation: int = 0) -> str:
    """``case-JIM-2026-0042:invoice:r1[:item3|:finalize|:send][:g2]`` (``gN``: the Nth staff retry)."""
    return with_generation(idempotency_key(workflow_id, "invoice", f"r{report_number}", *parts), generation)


def with_generation(key: str, generation: int) -> str:
    """The key of a staff retry: generation 0 keeps the original keys (cases started before this release)."""
    return f"{key}:g{generation}" if generation else key


#: What to do about Stripe refusals a person must fix, by Stripe error code.
_FIXES: dict[str, str] = {
    "insufficient_capabilities_for_transfer": (
        "the Defender's Stripe Connect account cannot receive transfers yet: finish its onboarding in the "
        "Stripe Dashboard (Connect → Accounts; the 'transfers' capability must be active), then retry"),
    "transfers_not_allowed": (
        "Stripe does not allow transfers to this Defender's account (its country or currency): pay this "
        "report by hand and record it with `casefac record-payout`, or fix the account, then retry"),
    "account_invalid": "the Defender's Stripe account id is wrong or not connected to JiM's platform: fix the "
                       "roster's payout account id, then retry",
}
_REPLAYED_FIX = ("Stripe replays this failure for 24 h to retries that reuse the request's idempotency key; "
                 "check the Stripe Dashboard, then `casefac retry` (a staff retry sends fresh keys)")
_WRONG_MODE_FIX = ("CASEFAC_STRIPE__API_KEY is a key of the other mode (test vs live) than the objects it names: "
                   "set the key of the mode you run in (sk_live_… / rk_live_… in live mode), then retry")


def fix_for(exc: stripe.StripeError) -> str | None:
    """The fix in words for a refusal a person can resolve (None: no advice beyond the error itself)."""
    message = (exc.user_message or "").lower()
    if exc.code == "resource_missing" and "similar object exists in" in message:
        return _WRONG_MODE_FIX
    return _FIXES.get(str(exc.code))


def _replayed(exc: stripe.StripeError) -> bool:
    headers = {str(k).lower(): v for k, v in (exc.headers or {}).items()}
    return str(headers.get("idempotent-replayed", "")).lower() == "true"


@contextmanager
def stripe_errors(what: str) -> Iterator[None]:
    """Stripe errors → ``ApplicationError`` (``from None``: SDK texts may echo request parameters).

    A failure Stripe *replayed* from its idempotency store is final for this key, whatever its status, so
    it is non-retryable: staff see it now instead of after a day of identical answers.
    """
    try:
        yield
    except stripe.IdempotencyError as exc:
        raise rejected(ErrorType.STRIPE_IDEMPOTENCY_CONFLICT, what, status=exc.http_status, code=exc.code,
                       provider_message=exc.user_message) from None
    except stripe.APIConnectionError as exc:
        raise unavailable(ErrorType.STRIPE_UNAVAILABLE, f"{what}: connection failed", code=exc.code) from None
    except stripe.StripeError as exc:
        if _replayed(exc):
            raise rejected(ErrorType.STRIPE_REJECTED, f"{what} (replayed by Stripe)", status=exc.http_status,
                           code=exc.code, provider_message=exc.user_message,
                           fix=fix_for(exc) or _REPLAYED_FIX) from None
        raise for_status(ErrorType.STRIPE_UNAVAILABLE, ErrorType.STRIPE_REJECTED, what,
                         status=exc.http_status, code=exc.code, retry_after=rate_limit_delay(exc.headers),
                         provider_message=exc.user_message, fix=fix_for(exc)) from None


class BillingActivities:
    """Invoice and payout activities on ``TaskQueue.BILLING``."""

    def __init__(self, settings: StripeSettings,
                 roster: Callable[[str | None], Sequence[Defender]] | None = None) -> None:
        """``roster(country)``: the Defenders as the roster holds them now; ``pay_defender`` checks the account
        it is asked to pay against it (security C2 §5: the activity trusts the roster, not its input)."""
        self._settings = settings
        self._roster = roster
        self._client = stripe.StripeClient(
            settings.api_key.get_secret_value(),
            base_addresses={"api": settings.api_base},
            max_network_retries=0,
            http_client=stripe.new_default_http_client(timeout=REQUEST_TIMEOUT_SECONDS),
        )

    # -- activities -------------------------------------------------------------------------------
    @activity.defn(name=ActivityName.ISSUE_INVOICE)
    async def issue_invoice(self, request: IssueInvoice) -> InvoiceRef:
        """Customer, draft invoice, its items, finalize, send: safe to re-run after a crash at any point.

        A re-run continues from the invoice's state. One residue: an open invoice resumed after Stripe
        forgot the send key (24 h) is sent again, i.e. a second copy of Stripe's email, never a second
        invoice or charge.
        """
        return await in_thread(self._issue, request)

    @activity.defn(name=ActivityName.VOID_INVOICE)
    async def void_invoice(self, request: VoidInvoice) -> InvoiceRef:
        """Void an open invoice; already void → unchanged; paid → ``InvoiceAlreadyPaid`` (non-retryable)."""
        return await in_thread(self._void, request)

    @activity.defn(name=ActivityName.GET_INVOICE)
    async def get_invoice(self, request: GetInvoice) -> InvoiceRef:
        """The invoice as Stripe has it now (read-only): the workflow confirms "paid" and reconciles with it."""
        return await in_thread(self._get, request)

    @activity.defn(name=ActivityName.PAY_DEFENDER)
    async def pay_defender(self, request: PayDefender) -> TransferRef:
        """A Connect transfer to the Defender's account, at most once per case and report."""
        return await in_thread(self._pay, request)

    # -- issue ------------------------------------------------------------------------------------
    def _issue(self, request: IssueInvoice) -> InvoiceRef:
        wf, n = request.workflow_id, _report_part(request)
        customer_id = self.ensure_customer(request.advocate, generation=request.key_generation,
                                           update=request.update_customer)
        g = request.key_generation
        invoice = (self._find_invoice(customer_id, wf, request.report_number, request.reissue)
                   or self._create_invoice(request, customer_id))
        if invoice.status == "draft":
            invoice = self._add_items(request, customer_id, invoice)
            # The total, not amount_due: a customer credit balance lowers what is due, not what was billed.
            if invoice.total != request.total.amount or invoice.currency.upper() != request.total.currency:
                raise rejected(ErrorType.INVOICE_TOTAL_MISMATCH,
                               f"Stripe invoice {invoice.id} totals {invoice.total} "
                               f"{invoice.currency.upper()}, expected {request.total.format()}")
            invoice = self._call(f"Stripe finalize invoice {invoice.id}", lambda: self._client.v1.invoices
                                 .finalize_invoice(invoice.id, {"auto_advance": False},
                                                   {"idempotency_key": invoice_key(wf, n, "finalize",
                                                                                   generation=g)}))
        if invoice.status == "open":
            invoice = self._call(f"Stripe send invoice {invoice.id}", lambda: self._client.v1.invoices
                                 .send_invoice(invoice.id, {}, {"idempotency_key": invoice_key(wf, n, "send",
                                                                                               generation=g)}))
        activity.logger.info("invoice %s for %s report %s is %s", invoice.id, wf, n, invoice.status)
        return _invoice_ref(invoice)

    def ensure_customer(self, advocate: Advocate, *, generation: int = 0, update: bool = False) -> str:
        """One Stripe customer per Advocate across all their cases, found by ``metadata['advocate_id']``.

        Found by search first (any email the Advocate ever had). Stripe's search index lags creation by up
        to a minute, so on a miss the customer is looked for in the consistent list by the Advocate's
        email before one is created: a staff retry (``generation`` > 0: a key of its own, so a stored
        failure is not replayed to it) seconds after attempt 1 made the customer finds it there instead of
        making a twin. The fixed key covers the rest of the window for generation 0 (a second case
        replays the same creation). Left: a customer younger than the index lag whose Advocate's email
        changed since is found by neither; generation 0 then waits for the index (the create's key
        conflicts), a staff retry would make a twin.
        """
        query = f"metadata['advocate_id']:'{advocate.id}'"
        found = self._call(f"Stripe customer search {advocate.id}",
                           lambda: self._client.v1.customers.search({"query": query, "limit": 1}))
        customer = found.data[0] if found.data else self._list_customer(advocate)
        if customer is not None:
            # Only on an explicit change (``update``): a case's snapshot of the Advocate may be older than a
            # fix made in Stripe or by another case, and must not revert it (review M3).
            if update and (customer.email != str(advocate.email) or customer.name != advocate.name):
                self._call(f"Stripe update customer {customer.id}", lambda: self._client.v1.customers.update(
                    customer.id, {"email": str(advocate.email), "name": advocate.name}))
            return str(customer.id)
        params: dict[str, Any] = {
            "email": str(advocate.email), "name": advocate.name,
            "description": f"Advocate {advocate.id}",
            "preferred_locales": [advocate.language],
            "metadata": {"advocate_id": advocate.id, "organization": advocate.organization},
        }
        try:
            created = self._call(f"Stripe create customer {advocate.id}", lambda: self._client.v1.customers
                                 .create(params, {"idempotency_key": with_generation(f"customer:{advocate.id}",
                                                                                     generation)}))
        except ApplicationError as err:
            if err.type != ErrorType.STRIPE_IDEMPOTENCY_CONFLICT:
                raise
            # Created within 24 h with other details (the Advocate's email changed) and not yet
            # searchable: wait for the index rather than make a twin or give up.
            raise unavailable(ErrorType.STRIPE_UNAVAILABLE, f"Stripe customer {advocate.id} not yet searchable",
                              retry_after=SEARCH_LAG_SECONDS) from None
        activity.logger.info("customer %s created for advocate %s", created.id, advocate.id)
        return str(created.id)

    def _list_customer(self, advocate: Advocate) -> Any:
        """The Advocate's customer from ``GET /v1/customers?email=`` (consistent, unlike search), else None."""
        what = f"Stripe list customers {advocate.id}"
        page = self._call(what, lambda: self._client.v1.customers.list({"email": str(advocate.email),
                                                                        "limit": 100}))
        with stripe_errors(what):
            for customer in page.auto_paging_iter():
                meta = customer.metadata.to_dict() if customer.metadata else {}
                if meta.get("advocate_id") == advocate.id:
                    return customer
        return None

    def _find_invoice(self, customer_id: str, workflow_id: str, report_number: int, reissue: int = 0) -> Any:
        """An invoice an earlier attempt made for this case and report (any status), else None.

        ``reissue``: the staff re-issue it belongs to (0: the report's first invoice, whose metadata has none)."""
        page = self._call(f"Stripe list invoices {customer_id}", lambda: self._client.v1.invoices.list(
            {"customer": customer_id, "limit": 100}))
        with stripe_errors(f"Stripe list invoices {customer_id}"):
            for invoice in page.auto_paging_iter():
                meta = invoice.metadata.to_dict() if invoice.metadata else {}
                if meta.get("workflow_id") == workflow_id and meta.get("report_number") == str(report_number) \
                        and meta.get("reissue", "") == (str(reissue) if reissue else ""):
                    return invoice
        return None

    def _create_invoice(self, request: IssueInvoice, customer_id: str) -> Any:
        params: dict[str, Any] = {
            "customer": customer_id,
            "collection_method": "send_invoice",
            "days_until_due": request.days_until_due,
            "currency": request.total.currency.lower(),
            "pending_invoice_items_behavior": "exclude",
            "auto_advance": False,
            "description": f"Case Facilitation {request.case_id}, report {request.report_number}",
            "metadata": _metadata(request),
        }
        key = invoice_key(request.workflow_id, _report_part(request), generation=request.key_generation)
        return self._call(f"Stripe create invoice {request.workflow_id} r{request.report_number}",
                          lambda: self._client.v1.invoices.create(params, {"idempotency_key": key}))

    def _add_items(self, request: IssueInvoice, customer_id: str, invoice: Any) -> Any:
        """Each priced line once, whatever earlier attempts did.

        The lines already there are found through the invoice's *invoice items* (``GET /v1/invoiceitems
        ?invoice=``), whose metadata Stripe keeps as given: an invoice line's own metadata is documented for
        subscription lines only, so it is not relied on. Each create also has its own key, so neither a
        replay within 24 h nor a resume after it duplicates a line. Then the invoice's lines are counted
        (it embeds 10 at most; the rest are paged from ``/v1/invoices/{id}/lines``): anything but exactly
        the report's lines stops the invoice before it is finalized.
        """
        what = f"Stripe list items of {invoice.id}"
        page = self._call(what, lambda: self._client.v1.invoice_items.list(
            {"invoice": invoice.id, "customer": customer_id, "limit": 100}))
        with stripe_errors(what):
            present = {str((item.metadata.to_dict() if item.metadata else {}).get("line"))
                       for item in page.auto_paging_iter()}
        for i, line in enumerate(request.lines, start=1):
            if str(i) in present:
                continue
            params: dict[str, Any] = {
                "customer": customer_id, "invoice": invoice.id, "amount": line.amount.amount,
                "currency": line.amount.currency.lower(), "description": line.description[:500],
                "metadata": {**_metadata(request), "line": str(i), "code": line.code},
            }
            key = invoice_key(request.workflow_id, _report_part(request), f"item{i}",
                              generation=request.key_generation)
            self._call(f"Stripe add item {i} to {invoice.id}",
                       lambda p=params, k=key: self._client.v1.invoice_items.create(p, {"idempotency_key": k}))
        refreshed = self._call(f"Stripe get invoice {invoice.id}",
                               lambda: self._client.v1.invoices.retrieve(invoice.id))
        count = self._count_lines(refreshed)
        if count != len(request.lines):
            raise rejected(ErrorType.INVOICE_TOTAL_MISMATCH,
                           f"Stripe invoice {invoice.id} has {count} lines, expected {len(request.lines)}")
        return refreshed

    def _count_lines(self, invoice: Any) -> int:
        lines = invoice.lines
        if not lines.has_more:
            return len(lines.data)
        what = f"Stripe list lines of {invoice.id}"
        page = self._call(what, lambda: self._client.v1.invoices.line_items.list(invoice.id, {"limit": 100}))
        with stripe_errors(what):
            return sum(1 for _ in page.auto_paging_iter())

    # -- void -------------------------------------------------------------------------------------
    def _void(self, request: VoidInvoice) -> InvoiceRef:
        invoice = self._call(f"Stripe get invoice {request.invoice_id}",
                             lambda: self._client.v1.invoices.retrieve(request.invoice_id))
        if invoice.status == "paid":
            if request.paid_ok:  # a payment that raced the cancel: the case records it and staff decide
                return _invoice_ref(invoice)
            raise rejected(ErrorType.INVOICE_ALREADY_PAID, f"Stripe invoice {invoice.id} is already paid")
        if request.mark == "uncollectible":
            if invoice.status == "open":
                key = idempotency_key(request.workflow_id, "uncollectible", invoice.id)
                invoice = self._call(f"Stripe mark uncollectible {invoice.id}", lambda: self._client.v1.invoices
                                     .mark_uncollectible(invoice.id, {}, {"idempotency_key": key}))
            return _invoice_ref(invoice)
        if invoice.status in ("open", "uncollectible"):
            key = idempotency_key(request.workflow_id, "void", invoice.id)
            invoice = self._call(f"Stripe void invoice {invoice.id}", lambda: self._client.v1.invoices
                                 .void_invoice(invoice.id, {}, {"idempotency_key": key}))
            activity.logger.info("invoice %s voided for %s", invoice.id, request.workflow_id)
        # void: nothing to do. draft: never sent, so nothing to withdraw (an issue attempt still
        # running must be cancelled by the workflow first, or it may finalize the draft later).
        return _invoice_ref(invoice)

    def _get(self, request: GetInvoice) -> InvoiceRef:
        invoice = self._call(f"Stripe get invoice {request.invoice_id}",
                             lambda: self._client.v1.invoices.retrieve(request.invoice_id))
        meta = invoice.metadata.to_dict() if invoice.metadata else {}
        if meta.get("workflow_id") != request.workflow_id:  # never report another case's invoice as this one's
            raise rejected(ErrorType.STRIPE_REJECTED, f"Stripe invoice {invoice.id} is not an invoice of "
                           f"{request.workflow_id}")
        return _invoice_ref(invoice)

    # -- payout -----------------------------------------------------------------------------------
    def _pay(self, request: PayDefender) -> TransferRef:
        if request.amount.amount <= 0:
            raise rejected(ErrorType.INVALID_PAYOUT, f"payout for {request.workflow_id} "
                           f"r{request.report_number} must be positive")
        self._check_payee(request)
        existing = self._find_transfer(request)
        if existing is not None:
            return _transfer_ref(existing)
        params: dict[str, Any] = {
            "amount": request.amount.amount, "currency": request.amount.currency.lower(),
            "destination": request.account_id, "transfer_group": request.workflow_id,
            "description": f"Case Facilitation {request.case_id}, report {request.report_number}",
            "metadata": {"case_id": request.case_id, "workflow_id": request.workflow_id,
                         "report_number": str(request.report_number), "defender_id": request.defender_id},
        }
        key = with_generation(idempotency_key(request.workflow_id, "transfer", f"r{request.report_number}"),
                              request.key_generation)
        what = f"Stripe transfer {request.workflow_id} r{request.report_number}"
        try:
            transfer = self._call(what, lambda: self._client.v1.transfers.create(params, {"idempotency_key": key}))
        except ApplicationError as err:
            details = err.details[0] if err.details and isinstance(err.details[0], dict) else {}
            if details.get("code") == "balance_insufficient":
                raise self._balance_insufficient(what, request, err, details) from None
            raise
        activity.logger.info("transfer %s for %s report %s", transfer.id, request.workflow_id,
                             request.report_number)
        return _transfer_ref(transfer)

    def _balance_insufficient(self, what: str, request: PayDefender, err: ApplicationError,
                              details: dict[str, Any]) -> ApplicationError:
        """The refusal with the top-up finance must make, from the balance available now."""
        currency = request.amount.currency
        try:
            balance = self._client.v1.balance.retrieve()
            available = sum(int(b.amount) for b in balance.available if str(b.currency).upper() == currency)
        except stripe.StripeError:
            available = 0  # the advice stays right: top up by at least the payout
        shortfall = Money(amount=max(request.amount.amount - available, 1), currency=currency)
        fix = (f"top up the Stripe balance in {currency} by {shortfall.format()} (available "
               f"{Money(amount=available, currency=currency).format()}, this payout {request.amount.format()}; "
               f"Stripe Dashboard → Balances → Add to balance), then `casefac retry {request.case_id}`")
        return rejected(ErrorType.STRIPE_REJECTED, what + (" (replayed by Stripe)" if "replayed" in err.message
                                                           else ""),
                        status=details.get("status"), code="balance_insufficient",
                        provider_message=details.get("provider_message"), fix=fix)

    def _check_payee(self, request: PayDefender) -> None:
        """The account and amount against the roster and the ceiling, not as the input says (security C2 §5).

        Anyone able to schedule this activity could otherwise name any connected account and any amount."""
        limit = self._settings.max_transfer
        if request.amount.amount > limit:
            raise rejected(ErrorType.INVALID_PAYOUT, f"payout {request.amount.format()} for {request.workflow_id} "
                           f"r{request.report_number} exceeds the transfer ceiling "
                           f"{Money(amount=limit, currency=request.amount.currency).format()}",
                           fix="pay it by hand and record it (casefac record-payout), or raise "
                               "CASEFAC_STRIPE__MAX_TRANSFER, then retry")
        if self._roster is None:
            return
        defender = next((d for d in self._roster(request.country) if d.id == request.defender_id), None)
        if defender is None or defender.payout.kind != "stripe_connect" or \
                defender.payout.account_id != request.account_id:
            raise rejected(ErrorType.INVALID_PAYOUT, f"payout for {request.workflow_id} r{request.report_number}: "
                           f"the account is not {request.defender_id}'s Stripe account in the roster",
                           fix="check the Defender's payout account in the roster (casefac defenders show), "
                               "then retry")

    def _find_transfer(self, request: PayDefender) -> Any:
        page = self._call(f"Stripe list transfers {request.workflow_id}", lambda: self._client.v1.transfers.list(
            {"transfer_group": request.workflow_id, "limit": 100}))
        with stripe_errors(f"Stripe list transfers {request.workflow_id}"):
            for transfer in page.auto_paging_iter():
                meta = transfer.metadata.to_dict() if transfer.metadata else {}
                if meta.get("report_number") == str(request.report_number):
                    return transfer
        return None

    @staticmethod
    def _call(what: str, fn: Callable[[], T]) -> T:
        with stripe_errors(what):
            return fn()


def _metadata(request: IssueInvoice) -> dict[str, str]:
    meta = {"case_id": request.case_id, "workflow_id": request.workflow_id,
            "report_number": str(request.report_number)}
    if request.reissue:
        meta["reissue"] = str(request.reissue)
    return meta


def _report_part(request: IssueInvoice) -> int | str:
    """The report in idempotency keys: ``1``, or ``1i2`` for its second staff re-issue (new keys, new invoice)."""
    return f"{request.report_number}i{request.reissue}" if request.reissue else request.report_number


def _invoice_ref(invoice: Any) -> InvoiceRef:
    due = datetime.fromtimestamp(invoice.due_date, UTC).date() if invoice.due_date else None
    cur = str(invoice.currency).upper()

    def money(name: str) -> Money | None:
        value = getattr(invoice, name, None)
        return Money(amount=int(value), currency=cur) if isinstance(value, int) else None  # type: ignore[arg-type]

    credited = sum(int(getattr(invoice, n, 0) or 0) for n in ("pre_payment_credit_notes_amount",
                                                             "post_payment_credit_notes_amount"))
    return InvoiceRef(
        invoice_id=str(invoice.id), number=invoice.number, status=invoice.status,
        amount_due=Money(amount=int(invoice.amount_due), currency=cur),  # type: ignore[arg-type]
        hosted_invoice_url=invoice.hosted_invoice_url, due_date=due, total=money("total"),
        amount_paid=money("amount_paid"), amount_remaining=money("amount_remaining"), credited=credited,
    )


def _transfer_ref(transfer: Any) -> TransferRef:
    return TransferRef(transfer_id=str(transfer.id),
                       amount=Money(amount=int(transfer.amount), currency=str(transfer.currency).upper()))



