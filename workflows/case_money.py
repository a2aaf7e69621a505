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
        InvoiceRef,
        IssueInvoice,
        MailKind,
        PayDefender,
        TransferRef,
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


from workflows.case_notices import CaseNotices

#: ``workflow.patched`` id: a staff retry of a money step sends fresh Stripe idempotency keys.
MONEY_RETRY_KEY_PATCH = "money-retry-key"


class CaseMoney(CaseNotices):
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
        if defender.payout.kind == "stripe_connect":
            ref = await self._act(
                ActivityName.PAY_DEFENDER,
                PayDefender(workflow_id=self._wid, case_id=self.req.case_id, report_number=approved.number,
                            defender_id=defender.id, account_id=defender.payout.account_id, amount=amount),
                TransferRef, summary=f"Stripe transfer to {defender.id} · {amount.format()}",
                step=f"payout for report {approved.number}",
                on_staff_retry=self._fresh_keys(f"payout for report {approved.number}"))
            self.s.payouts.append(PayoutState(report_number=approved.number, method="stripe_connect", amount=amount,
                                              status="paid", reference=ref.transfer_id,
                                              requested_at=workflow.now(), paid_at=workflow.now()))
            self._event(f"paid {amount.format()} to {defender.id} by Stripe transfer")
            await self._mail(MailKind.PAYOUT_MADE, self._to_defender(),
                             {"amount": amount.format(), "report_number": approved.number})
        else:
            self.s.payouts.append(PayoutState(report_number=approved.number, method="manual", amount=amount,
                                              requested_at=workflow.now()))
            self._event(f"manual payout of {amount.format()} to {defender.id} requested from finance")
            await self._mail(MailKind.PAYOUT_TO_RECORD, self._to_finance(),
                             {"amount": amount.format(), "report_number": approved.number,
                              "defender_id": defender.id})
        self._money_changed()

    async def _invoice_advocate(self, approved: ApprovedReport) -> None:
        priced = approved.priced
        if priced.invoice_total.amount <= 0:
            self._event(f"report {approved.number}: nothing to invoice")
            return
        ref = await self._act(
            ActivityName.ISSUE_INVOICE,
            IssueInvoice(workflow_id=self._wid, case_id=self.req.case_id, report_number=approved.number,
                         advocate=self.req.advocate, lines=priced.invoice_lines, total=priced.invoice_total,
                         days_until_due=self.policy.invoice_days_until_due),
            InvoiceRef, summary=f"Stripe invoice {self.req.case_id} · {priced.invoice_total.format()}",
            step=f"invoice for report {approved.number}",
            on_staff_retry=self._fresh_keys(f"invoice for report {approved.number}"))
        self.s.invoices.append(InvoiceState(report_number=approved.number, invoice_id=ref.invoice_id,
                                            number=ref.number, status=ref.status, amount_due=ref.amount_due,
                                            hosted_invoice_url=ref.hosted_invoice_url, issued_at=workflow.now(),
                                            due_date=ref.due_date,
                                            history=[InvoiceStatusChange(status=ref.status, at=workflow.now())]))
        self._event(f"invoice {ref.number or ref.invoice_id} sent: {ref.amount_due.format()}")
        self._apply_orphan_invoice_events()
        self._money_changed()
        await self._mail(MailKind.INVOICE_SENT, self._to_advocate(),
                         {"amount": ref.amount_due.format(), "invoice_number": ref.number,
                          "hosted_invoice_url": ref.hosted_invoice_url,
                          "due_date": ref.due_date.isoformat() if ref.due_date else None},
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
            approved=approved, hourly_rate=self._current.terms.hourly_rate, timekeeper_id=defender.id,
            timekeeper_name=defender.name)

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
        return inv.issued_at + timedelta(days=self.policy.invoice_days_until_due)

    def _next_money_timer(self) -> datetime | None:
        p = self.policy
        times: list[datetime] = []
        for inv in self.s.invoices:
            if inv.status in ("open", "payment_failed"):
                times.append(self._invoice_due_at(inv) + p.dunning_reminder_every * inv.reminders_sent)
                if not inv.escalated:
                    times.append(inv.issued_at + p.dunning_escalate_after)
        for pay in self.s.payouts:
            if pay.status == "pending":
                times.append(pay.requested_at + p.payout_record_reminder_every * (pay.reminders_sent + 1))
        return min(times) if times else None

    async def _money_reminders(self) -> None:
        p = self.policy
        now = workflow.now()
        for inv in self.s.invoices:
            if inv.status not in ("open", "payment_failed"):
                continue
            if now >= self._invoice_due_at(inv) + p.dunning_reminder_every * inv.reminders_sent:
                inv.reminders_sent += 1
                await self._mail(MailKind.INVOICE_REMINDER, self._to_advocate(),
                                 {"amount": inv.amount_due.format(), "invoice_number": inv.number,
                                  "hosted_invoice_url": inv.hosted_invoice_url, "reminder": inv.reminders_sent})
            if not inv.escalated and now >= inv.issued_at + p.dunning_escalate_after:
                inv.escalated = True
                self._event(f"invoice {inv.number or inv.invoice_id} unpaid; escalated to staff")
                await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                                 {"step": "invoice", "reason": f"invoice {inv.number or inv.invoice_id} unpaid "
                                  f"({inv.amount_due.format()})"})
        for pay in self.s.payouts:
            if pay.status == "pending" and now >= pay.requested_at + p.payout_record_reminder_every * (
                    pay.reminders_sent + 1):
                pay.reminders_sent += 1
                await self._mail(MailKind.PAYOUT_TO_RECORD, self._to_finance(),
                                 {"amount": pay.amount.format(), "report_number": pay.report_number,
                                  "defender_id": self.s.defender.id if self.s.defender else None,
                                  "reminder": pay.reminders_sent})

    def _money_settled(self) -> bool:
        return (all(i.status in ("paid", "void") for i in self.s.invoices)
                and all(p.status == "paid" for p in self.s.payouts))

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
