"""The money side of a case: the Defender's payout, the Advocate's invoice, and collection in the
background (dunning for open invoices, reminders to finance for manual payouts)."""


from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac import ledes
    from casefac import search_attributes as sa
    from casefac.activity_io import (
        ActivityName,
        Attachment,
        GetInvoice,
        InvoiceRef,
        IssueInvoice,
        MailKind,
        PayDefender,
        TransferRef,
        VoidInvoice,
    )
    from casefac.case_details import money_attributes
    from casefac.money import total
    from casefac.state import (
        ApprovedReport,
        InvoiceState,
        InvoiceStatusChange,
        PayoutState,
    )
    from casefac.status import MoneyFigures, money_figures


from workflows.case_core import FAILED
from workflows.case_notices import CaseNotices

#: ``workflow.patched`` id: a staff retry of a money step sends fresh Stripe idempotency keys.
MONEY_RETRY_KEY_PATCH = "money-retry-key"
#: ``workflow.patched`` id (review C2): a payout over the policy's threshold waits for a second staff member
#: (``approve_payout``) before the transfer or finance's request; cases before it paid at once.
PAYOUT_FOUR_EYES_PATCH = "payout-four-eyes"
#: ``workflow.patched`` id (security C2 §4, review M7): a ``paid`` signal is confirmed at Stripe
#: (``billing.get_invoice``) before the invoice counts as paid, and each dunning tick asks Stripe first;
#: dunning ends after ``dunning_reminders_max`` with a staff decision (review M6); the due date is Stripe's (m7).
INVOICE_TRUTH_PATCH = "invoice-truth"
#: ``workflow.patched`` id (review P1): a refund or credit decision is pending until finance records the Stripe
#: refund or credit note it made (reminded meanwhile); before it, the decision alone settled the invoice.
REFUND_RECORDED_PATCH = "refund-credit-recorded"
#: ``workflow.patched`` id (review P2): a payout that goes out (recorded, or transferred after four eyes) after its
#: report's invoice was voided or marked uncollectible is a loss finance decides on; before it, the case settled.
LOSS_RECHECK_PATCH = "payout-after-void-loss"
#: ``workflow.patched`` id (review P3): an invoice marked uncollectible always needs a decision (before it, one
#: with no payout out yet needed none, and the case could not settle).
UNCOLLECTIBLE_DECIDES_PATCH = "uncollectible-decides"
#: ``workflow.patched`` id (review P4): four eyes counts what one staff member released alone on the case, as
#: money in the threshold's currency; before it, each report's payout alone in its own minor units.
FOUR_EYES_CUMULATIVE_PATCH = "four-eyes-cumulative"


class CaseMoney(CaseNotices):
    #: Whether the run took ``INVOICE_TRUTH_PATCH`` (None: not asked yet); per instance once asked.
    _truth: bool | None = None

    def _fresh_keys(self, step: str) -> Callable[[Any, int], Any]:
        """The input of a money step's n-th staff retry: the same request under key generation n.

        Stripe replays a failed request's result under its idempotency key for 24 h, so retrying with the
        old keys would fail again however well staff fixed the cause. The billing activities look up what
        earlier attempts made before creating anything, so new keys never double an invoice or transfer.
        The generation is in the activity's input (history) and on the timeline. Cases that met
        NeedsAttention before this release replay with their old keys (the patch is taken at the retry).
        """

        def on_staff_retry(arg: Any, generation: int) -> Any:
            if not workflow.patched(MONEY_RETRY_KEY_PATCH):
                return arg
            self._event(f"{step}: retried with fresh Stripe idempotency keys (generation {generation})")
            return arg.model_copy(update={"key_generation": generation})

        return on_staff_retry

    async def _pay_defender(self, approved: ApprovedReport) -> None:
        defender = self.s.defender
        assert defender is not None
        amount = approved.priced.payout_total
        if amount.amount <= 0:
            self._event(f"report {approved.number}: nothing to pay out")
            return
        if approved.payout_needs_second and workflow.patched(PAYOUT_FOUR_EYES_PATCH):
            await self._second_approval(approved, defender.payout.kind)
        if defender.payout.kind == "stripe_connect":
            ref = await self._act(
                ActivityName.PAY_DEFENDER,
                PayDefender(workflow_id=self._wid, case_id=self.req.case_id, report_number=approved.number,
                            defender_id=defender.id, account_id=defender.payout.account_id, amount=amount,
                            country=self.req.country),
                TransferRef, summary=f"Stripe transfer to {defender.id} · {amount.format()}",
                step=f"payout for report {approved.number}",
                on_staff_retry=self._fresh_keys(f"payout for report {approved.number}"))
            self.s.payouts = [p for p in self.s.payouts if not (p.report_number == approved.number
                                                                and p.status == "to_approve")]
            self.s.payouts.append(PayoutState(report_number=approved.number, method="stripe_connect", amount=amount,
                                              status="paid", reference=ref.transfer_id,
                                              requested_at=workflow.now(), paid_at=workflow.now(),
                                              approved_by=approved.payout_approved_by))
            self._event(f"paid {amount.format()} to {defender.id} by Stripe transfer")
            self._recheck_losses(approved.number)
            await self._mail(MailKind.PAYOUT_MADE, self._to_defender(),
                             {"amount": amount.format(), "report_number": approved.number})
        else:
            self.s.payouts = [p for p in self.s.payouts if not (p.report_number == approved.number
                                                                and p.status == "to_approve")]
            self.s.payouts.append(PayoutState(report_number=approved.number, method="manual", amount=amount,
                                              requested_at=workflow.now(), approved_by=approved.payout_approved_by))
            self._event(f"manual payout of {amount.format()} to {defender.id} requested from finance")
            await self._mail(MailKind.PAYOUT_TO_RECORD, self._to_finance(),
                             {"amount": amount.format(), "report_number": approved.number,
                              "defender_id": defender.id})
        self._money_changed()

    async def _second_approval(self, approved: ApprovedReport, method: str) -> None:
        """Four eyes: the payout waits (with daily reminders to staff) for a second, different staff member."""
        amount = approved.priced.payout_total
        self.s.payouts.append(PayoutState(report_number=approved.number, method=method,  # type: ignore[arg-type]
                                          amount=amount, status="to_approve", requested_at=workflow.now()))
        self._event(f"payout {amount.format()} for report {approved.number} waits for a second staff approval "
                    f"(approved by {approved.approved_by})")
        self._money_changed()
        reason = (f"the payout of {amount.format()} for report {approved.number} needs a second staff approval: "
                  f"casefac approve-payout {self.req.case_id} {approved.number} (not {approved.approved_by})")
        await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(), {"step": "payout approval", "reason": reason})
        await self._wait(lambda: approved.payout_approved_by is not None,
                         who=lambda: ("staff", None, f"approve the payout of report {approved.number} (four eyes)"),
                         every=self.policy.payout_approval_reminder_every,
                         on_remind=lambda _n: self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                                                         {"step": "payout approval", "reason": reason}))

    async def _invoice_advocate(self, approved: ApprovedReport, *, reissue: int = 0) -> None:
        """``reissue`` > 0: a staff re-issue (its keys and metadata differ from the voided invoice's)."""
        priced = approved.priced
        if priced.invoice_total.amount <= 0:
            self._event(f"report {approved.number}: nothing to invoice")
            return
        ref = await self._act(
            ActivityName.ISSUE_INVOICE,
            IssueInvoice(workflow_id=self._wid, case_id=self.req.case_id, report_number=approved.number,
                         advocate=self.req.advocate, lines=priced.invoice_lines, total=priced.invoice_total,
                         days_until_due=self.policy.invoice_days_until_due, reissue=reissue),
            InvoiceRef, summary=f"Stripe invoice {self.req.case_id} · {priced.invoice_total.format()}",
            step=f"invoice for report {approved.number}",
            on_staff_retry=self._fresh_keys(f"invoice for report {approved.number}"))
        self.s.invoices.append(InvoiceState(report_number=approved.number, invoice_id=ref.invoice_id,
                                            number=ref.number, status=ref.status, amount_due=ref.amount_due,
                                            hosted_invoice_url=ref.hosted_invoice_url, issued_at=workflow.now(),
                                            due_date=ref.due_date, total=ref.total, amount_paid=ref.amount_paid,
                                            amount_remaining=ref.amount_remaining, credited=ref.credited,
                                            history=[InvoiceStatusChange(status=ref.status, at=workflow.now())]))
        self._event(f"invoice {ref.number or ref.invoice_id} sent: {ref.amount_due.format()}")
        self._apply_orphan_invoice_events()
        self._money_changed()
        submitted = next((r for r in self.s.reports if r.number == approved.number), None)
        await self._mail(MailKind.INVOICE_SENT, self._to_advocate(),
                         {"amount": ref.amount_due.format(), "invoice_number": ref.number,
                          "hosted_invoice_url": ref.hosted_invoice_url,
                          "due_date": ref.due_date.isoformat() if ref.due_date else None,
                          "receipts": submitted.report.neutral_receipt_names() if submitted else []},
                         attachments=self._ledes(approved, ref))

    def _ledes(self, approved: ApprovedReport, ref: InvoiceRef) -> list[Attachment]:
        """The LEDES 1998B file for law-firm e-billing; without it the invoice mail still goes out."""
        try:
            file = ledes.attachment(self._ledes_invoice(approved.number))
        except ValueError:  # the report and its pricing disagree: never fail the workflow task over a file
            workflow.logger.warning("LEDES not rendered", extra={"case_id": self.req.case_id})
            return []
        return [Attachment(**file._asdict())]

    def _ledes_invoice(self, report_number: int) -> ledes.LedesInvoice:
        """What a LEDES file of an approved, invoiced report needs (raises ValueError if there is none)."""
        defender = self.s.defender
        approved = next((a for a in self.s.approved if a.number == report_number), None)
        invoice = next((i for i in self.s.invoices if i.report_number == report_number), None)
        if defender is None or approved is None or invoice is None:
            raise ValueError(f"report {report_number} is not approved and invoiced")
        submitted = next(r for r in self.s.reports if r.number == report_number)
        return ledes.LedesInvoice(
            case_id=self.req.case_id, invoice_number=invoice.number or invoice.invoice_id,
            invoice_date=invoice.issued_at.date(), client_id=self.req.advocate.id, report=submitted.report,
            approved=approved, hourly_rate=self._signed_revision().terms.hourly_rate, timekeeper_id=defender.id)

    # ------------------------------------------------------------------------- money in the background
    async def _collect_money(self) -> None:
        """Dunning for open invoices and reminders for manual payouts, beside whatever stage runs."""
        while not self.s.stage.terminal:
            due = self._next_money_timer()
            version = self._money_version
            timeout = None if due is None else max(due - workflow.now(), timedelta(seconds=1))
            try:
                await workflow.wait_condition(lambda v=version: self.s.stage.terminal or self._money_version != v,
                                              timeout=timeout)
            except TimeoutError:
                self._collector_busy = True
                try:
                    await self._money_reminders()
                finally:
                    self._collector_busy = False

    def _invoice_due_at(self, inv: InvoiceState) -> datetime:
        """Stripe's due date when it gave one (Stripe's ``due_date`` is the finalization time plus the days, so the
        issue's time of day on that date), else issue + the policy's days (m7)."""
        if inv.due_date is not None and self._invoice_truth():
            return datetime.combine(inv.due_date, inv.issued_at.timetz())
        return inv.issued_at + timedelta(days=self.policy.invoice_days_until_due)

    def _invoice_truth(self) -> bool:
        """Whether this case confirms invoice facts at Stripe (``INVOICE_TRUTH_PATCH``), memoized per run."""
        if self._truth is None:
            self._truth = workflow.patched(INVOICE_TRUTH_PATCH)
        return self._truth

    def _dunning_open(self, inv: InvoiceState) -> bool:
        return inv.status in ("open", "payment_failed") and not inv.needs_decision and not inv.resolution

    def _next_money_timer(self) -> datetime | None:
        p = self.policy
        times: list[datetime] = []
        for inv in self.s.invoices:
            if inv.confirming or self._resolution_due(inv):
                times.append(workflow.now())
            if self._dunning_open(inv):
                times.append(self._invoice_due_at(inv) + p.dunning_reminder_every * inv.reminders_sent)
                if not inv.escalated:
                    times.append(inv.issued_at + p.dunning_escalate_after)
            if inv.resolution_pending and inv.resolution_pending_since is not None:
                times.append(self._refund_reminder_due(inv))
        for pay in self.s.payouts:
            if pay.status == "pending":
                times.append(pay.requested_at + p.payout_record_reminder_every * (pay.reminders_sent + 1))
        return min(times) if times else None

    def _refund_reminder_due(self, inv: InvoiceState) -> datetime:
        """Finance is told at once that a refund or credit is to be made, then reminded until it records it."""
        assert inv.resolution_pending_since is not None
        return inv.resolution_pending_since + self.policy.payout_record_reminder_every * inv.resolution_reminders

    def _refund_to_make(self, inv: InvoiceState) -> str:
        what = "refund" if inv.resolution == "refund" else "credit note"
        return (f"{what} of invoice {inv.number or inv.invoice_id} ({inv.billed.format()}) to be made in the Stripe "
                f"Dashboard, then recorded: casefac resolve-invoice {self.req.case_id} {inv.report_number} "
                f"--decision {inv.resolution} --reference {'re_' if inv.resolution == 'refund' else 'cn_'}…")

    async def _reconcile(self, inv: InvoiceState, why: str) -> bool:
        """Ask Stripe for the invoice and take its status, amounts and due date; False if Stripe did not answer."""
        ref = await self._act(ActivityName.GET_INVOICE,
                              GetInvoice(workflow_id=self._wid, invoice_id=inv.invoice_id, reason=why),
                              InvoiceRef, summary=f"Stripe invoice {inv.number or inv.invoice_id} · {why}",
                              step=f"check invoice {inv.number or inv.invoice_id} at Stripe", blocking=False)
        if ref is FAILED:  # flagged for staff; the paid event stays unconfirmed, the next dunning tick asks again
            if inv.confirming:
                inv.confirming = False
                self._event(f"invoice {inv.number or inv.invoice_id}: Stripe did not answer; the payment is not "
                            "confirmed yet (checked again before the next reminder)")
                self._money_changed()
            return False
        self._take_invoice_truth(inv, ref, why)
        return True

    def _take_invoice_truth(self, inv: InvoiceState, ref: InvoiceRef, why: str, *, deliberate: bool = False) -> None:
        """``deliberate``: staff asked for this status (a void on cancel): a loss is told, not asked about."""
        inv.confirming = False
        inv.amount_due = ref.amount_due
        inv.total = ref.total or inv.total
        inv.amount_paid, inv.amount_remaining = ref.amount_paid, ref.amount_remaining
        inv.credited = max(inv.credited, ref.credited)
        inv.due_date = ref.due_date or inv.due_date
        if ref.status != inv.status and not (inv.status == "payment_failed" and ref.status == "open"):
            inv.status = ref.status
            inv.history = [*inv.history, InvoiceStatusChange(status=ref.status, at=workflow.now())]
            if ref.status == "paid":
                inv.paid_at = workflow.now()
            self._event(f"invoice {inv.number or inv.invoice_id} confirmed at Stripe ({why}): {ref.status}")
        elif why == "paid signal" and ref.status != "paid":
            self._event(f"invoice {inv.number or inv.invoice_id}: a 'paid' event Stripe does not confirm "
                        f"(Stripe says {ref.status}); ignored")
        if deliberate and ref.status in ("void", "uncollectible"):
            inv.resolution = inv.resolution or f"{ref.status} by staff"
        self._note_money_anomalies(inv)
        self._money_changed()

    def _resolution_due(self, inv: InvoiceState) -> bool:
        """A staff decision that needs Stripe: a write-off not yet marked, a re-issue not yet made."""
        if inv.resolution == "write_off":
            return inv.status in ("open", "payment_failed")
        if inv.resolution == "reissue":
            return not any(i.report_number == inv.report_number and i.issued_at > inv.issued_at
                           for i in self.s.invoices)
        return False

    async def _carry_out(self, inv: InvoiceState) -> None:
        """Write off: mark the invoice uncollectible at Stripe. Re-issue: void it, then invoice the report again
        under new idempotency keys (``IssueInvoice.reissue``), so Stripe makes a new invoice, not the old one."""
        mark = "uncollectible" if inv.resolution == "write_off" else "void"
        if inv.status not in ("void", "uncollectible") or (mark == "void" and inv.status == "uncollectible"):
            ref = await self._act(ActivityName.VOID_INVOICE,
                                  VoidInvoice(workflow_id=self._wid, invoice_id=inv.invoice_id, mark=mark),  # type: ignore[arg-type]
                                  InvoiceRef, summary=f"Stripe invoice {inv.number or inv.invoice_id} · {mark}",
                                  step=f"{inv.resolution.replace('_', ' ')} invoice {inv.number or inv.invoice_id}")
            self._take_invoice_truth(inv, ref, inv.resolution, deliberate=True)
        if inv.resolution != "reissue" or inv.status == "paid":
            return
        approved = next(a for a in self.s.approved if a.number == inv.report_number)
        inv.reissue = sum(1 for i in self.s.invoices if i.report_number == inv.report_number)
        await self._invoice_advocate(approved, reissue=inv.reissue)

    def _note_money_anomalies(self, inv: InvoiceState) -> None:
        """What finance must decide about: a void or uncollectible invoice whose payout went out, an overpayment."""
        paid_out = any(p.report_number == inv.report_number and p.status == "paid" for p in self.s.payouts)
        if inv.status in ("void", "uncollectible") and paid_out and not inv.needs_decision and not inv.resolution:
            inv.needs_decision = (f"invoice {inv.status} but the Defender's payout for report {inv.report_number} "
                                  "went out: a loss to write off, or re-issue")
            self._event(f"invoice {inv.number or inv.invoice_id} {inv.status} after the payout; finance decides")
        elif inv.status == "uncollectible" and not inv.needs_decision and not inv.resolution \
                and workflow.patched(UNCOLLECTIBLE_DECIDES_PATCH):
            inv.needs_decision = ("marked uncollectible in Stripe: write off (accept it), re-issue, or keep "
                                  f"(casefac resolve-invoice {self.req.case_id} {inv.report_number} ...)")
            self._event(f"invoice {inv.number or inv.invoice_id} uncollectible; finance decides")
        if inv.amount_paid is not None and inv.amount_paid.amount > inv.billed.amount and "overpaid" not in \
                inv.needs_decision:
            inv.needs_decision = f"overpaid: {inv.amount_paid.format()} paid on {inv.billed.format()} billed"

    def _recheck_losses(self, report_number: int) -> None:
        """A payout of ``report_number`` just went out: its void or uncollectible invoice is now a loss (P2)."""
        for inv in self.s.invoices:
            if (inv.report_number == report_number and inv.status in ("void", "uncollectible")
                    and not inv.needs_decision and not inv.resolution and workflow.patched(LOSS_RECHECK_PATCH)):
                self._note_money_anomalies(inv)

    async def _money_reminders(self) -> None:
        p = self.policy
        now = workflow.now()
        truth = self._invoice_truth()
        for inv in self.s.invoices:
            if inv.confirming and truth:
                await self._reconcile(inv, "paid signal")
        for inv in list(self.s.invoices):
            if self._resolution_due(inv):
                await self._carry_out(inv)
        for inv in self.s.invoices:
            if not self._dunning_open(inv):
                continue
            if now >= self._invoice_due_at(inv) + p.dunning_reminder_every * inv.reminders_sent:
                if truth:
                    await self._reconcile(inv, "before reminder")  # M7: never nag for what is already paid
                    if not self._dunning_open(inv):
                        continue
                if truth and inv.reminders_sent >= p.dunning_reminders_max:
                    inv.needs_decision = (f"unpaid after {inv.reminders_sent} reminders: write off or re-issue "
                                          f"(casefac resolve-invoice {self.req.case_id} {inv.report_number} ...)")
                    self._event(f"invoice {inv.number or inv.invoice_id}: dunning ended; staff decide")
                    await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                                     {"step": "invoice", "reason": f"invoice {inv.number or inv.invoice_id} "
                                      f"({inv.amount_due.format()}) {inv.needs_decision}"})
                    self._money_changed()
                    continue
                inv.reminders_sent += 1
                ctx: dict[str, Any] = {"amount": inv.amount_due.format(), "invoice_number": inv.number,
                                       "hosted_invoice_url": inv.hosted_invoice_url, "reminder": inv.reminders_sent}
                if truth and inv.due_date is not None:
                    ctx["due_date"] = inv.due_date.isoformat()
                await self._mail(MailKind.INVOICE_REMINDER, self._to_advocate(), ctx)
            if not inv.escalated and now >= inv.issued_at + p.dunning_escalate_after:
                inv.escalated = True
                self._event(f"invoice {inv.number or inv.invoice_id} unpaid; escalated to staff")
                await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                                 {"step": "invoice", "reason": f"invoice {inv.number or inv.invoice_id} unpaid "
                                  f"({inv.amount_due.format()})"})
        for inv in self.s.invoices:
            if inv.resolution_pending and inv.resolution_pending_since is not None \
                    and now >= self._refund_reminder_due(inv):
                inv.resolution_reminders += 1
                await self._mail(MailKind.STAFF_ESCALATION, self._to_finance(),
                                 {"step": f"{inv.resolution} to record", "reason": self._refund_to_make(inv)})
        for pay in self.s.payouts:
            if pay.status == "pending" and now >= pay.requested_at + p.payout_record_reminder_every * (
                    pay.reminders_sent + 1):
                pay.reminders_sent += 1
                await self._mail(MailKind.PAYOUT_TO_RECORD, self._to_finance(),
                                 {"amount": pay.amount.format(), "report_number": pay.report_number,
                                  "defender_id": self.s.defender.id if self.s.defender else None,
                                  "reminder": pay.reminders_sent})

    def _money_settled(self) -> bool:
        """Every invoice paid or void (or resolved by staff) and every payout made; nothing waits on a decision."""
        return (all((i.status in ("paid", "void") or i.resolution) and not (i.needs_decision and not i.resolution)
                    and not i.confirming and not self._resolution_due(i) and not i.resolution_pending
                    for i in self.s.invoices)
                and all(p.status in ("paid", "waived") for p in self.s.payouts))

    def _money_changed(self) -> None:
        self._version += 1
        self._money_version += 1
        self._milestone()
        invoices = self.s.invoices
        if invoices:
            statuses = {i.status for i in invoices}
            worst = next((s for s in ("payment_failed", "open", "draft", "uncollectible", "paid", "void")
                          if s in statuses), "open")
            currency = invoices[0].amount_due.currency
            invoiced = total([i.amount_due for i in invoices if i.status != "void"], currency)
            updates = [sa.INVOICE_STATUS.value_set(worst), sa.INVOICE_AMOUNT.value_set(invoiced.amount)]
            if self._money_view():  # one upsert: total in major units, currency, issued and due dates, payout
                updates += money_attributes(self.s, self.policy.invoice_days_until_due)
            self._upsert(*updates)
        elif self.s.payouts and self._money_view():
            self._upsert(*money_attributes(self.s, self.policy.invoice_days_until_due))
        self._sync_waiting()  # a manual payout to record waits on finance
        workflow.set_current_details(self._details())

    def _money_figures(self) -> MoneyFigures:
        return money_figures(self.s.invoices, self.s.payouts)
