"""How the world talks to a case: provider signals (deduplicated by event id), people's updates (each with a
validator from ``workflows.rules``: refused input never reaches history) and the ``status`` query."""


from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac import ledes, timezones
    from casefac.activity_io import (
        CONTRACT_SIGNERS,
        MAIL_ADDRESSES_QUERY,
        MailKind,
    )
    from casefac.contract import ContractRevision
    from casefac.events import (
        AgreementSigned,
        EnvelopeEvent,
        InvoiceEvent,
        MailEvent,
        Signal,
    )
    from casefac.messages import (
        AmendParty,
        ApproveContract,
        ApprovePayout,
        CancelCase,
        EditContract,
        Receipt,
        RecordPayout,
        ReportOutcome,
        ResendLink,
        ResolveInvoice,
        RespondToAssignment,
        RetryStep,
        ReviewCase,
        ReviewReport,
        SubmitEvaluation,
        SubmitReport,
        Update,
        UpdateTask,
    )
    from casefac.money import Money
    from casefac.parties import Role
    from casefac.record import CaseRecord
    from casefac.report import SubmittedReport
    from casefac.state import (
        ApprovedReport,
        Attention,
        EnvelopeState,
        InvoiceState,
        InvoiceStatusChange,
        Waiting,
    )
    from casefac.status import CaseStatus, ReportView, ReviewPreview, SignerView
    from workflows import rules


from workflows.case_core import MAX_TASK_NOTES
from workflows.case_record import CaseRecorder
from workflows.contract_signing import AGREEMENT_CONFIRM_PATCH, ENVELOPE_CONFIRM_PATCH
from workflows.guard_links import bump_epoch

#: ``workflow.patched`` id: a staff retry re-sends the emails that failed (before, it only cleared the flag, and
#: a history holding such a retry must replay without the mail activities it never scheduled).
RETRY_RESENDS_MAILS_PATCH = "retry-resends-mails"
#: ``workflow.patched`` id: an unchanged task save adds no timeline entry (runs before it replay as they ran).
NO_OP_TASK_SAVE_PATCH = "no-op-task-save"
#: ``workflow.patched`` id (security M4): invoice lines carry UTBMS codes and neutral text, the typed text only
#: on lines staff opt in; approvals before it keep the typed text (their invoices already went out with it).
NEUTRAL_TEXT_PATCH = "neutral-invoice-text"


class CaseMessages(CaseRecorder):
    # ---------------------------------------------------------------------------------------- signals
    @workflow.signal(name=Signal.ENVELOPE_EVENT)
    def envelope_event(self, ev: EnvelopeEvent) -> None:
        if self._seen(ev.event_id):
            return
        env = self.s.envelope
        if env is None or env.envelope_id != ev.envelope_id:
            if env is None or env.status != "sent":
                self.s.orphan_envelope_events = [*self.s.orphan_envelope_events[-20:], ev]
            return
        self._apply_envelope_event(ev)

    def _apply_envelope_event(self, ev: EnvelopeEvent) -> None:
        env = self.s.envelope
        assert env is not None
        if env.status != "sent":
            return
        if ev.kind == "recipient_completed" and ev.recipient_id and ev.recipient_id not in env.signed:
            env.signed.append(ev.recipient_id)
            self._event(f"contract signed by recipient {ev.recipient_id}")
        elif ev.kind == "completed":
            if workflow.patched(ENVELOPE_CONFIRM_PATCH):
                # A webhook's word is not enough to execute a contract: DocuSign confirms it first (security
                # C2 §4; ``CaseFacilitationWorkflow._confirm_envelope``).
                env.completed_claimed = True
            else:  # cases before the patch believed the event (replay)
                env.status = "completed"
                self._mark_all_signed(env)
        elif ev.kind in ("declined", "recipient_declined"):
            env.status = "declined"
            self._envelope_reason = ev.reason or "a signer declined"
        elif ev.kind == "voided":
            env.status = "voided"
            self._envelope_reason = ev.reason or "the envelope was voided"
        self._version += 1

    def _mark_all_signed(self, env: EnvelopeState) -> None:
        """Completed means every recipient signed, whichever of their own events is still on its way
        (providers deliver in no set order): the timeline says so in both orders alike."""
        for rid in CONTRACT_SIGNERS.values():
            if rid not in env.signed:
                env.signed.append(rid)
                self._event(f"contract signed by recipient {rid}")

    def _apply_orphan_envelope_events(self) -> None:
        env = self.s.envelope
        pending, self.s.orphan_envelope_events = self.s.orphan_envelope_events, []
        for ev in pending:
            if env is not None and ev.envelope_id == env.envelope_id:
                self._apply_envelope_event(ev)

    @workflow.signal(name=Signal.INVOICE_EVENT)
    def invoice_event(self, ev: InvoiceEvent) -> None:
        if self._seen(ev.event_id):
            return
        if ev.kind == "transfer_reversed":  # W2 (M6): the Defender's payout came back
            self._payout_reversed(ev)
            return
        inv = next((i for i in self.s.invoices if i.invoice_id == ev.invoice_id), None)
        if inv is None:
            self.s.orphan_invoice_events = [*self.s.orphan_invoice_events[-20:], ev]
            return
        self._apply_invoice_event(inv, ev)

    def _apply_invoice_event(self, inv: InvoiceState, ev: InvoiceEvent) -> None:
        if ev.kind not in ("paid", "payment_failed", "voided"):  # the wider Stripe lifecycle (review M6)
            self._apply_money_event(inv, ev)
            return
        if inv.status in ("paid", "void"):
            return
        if ev.kind == "paid" and self._invoice_truth():
            # A signal is not proof (security C2 §4): the collector asks Stripe before the invoice counts as paid.
            if not inv.confirming:
                inv.confirming = True
                self._event(f"invoice {inv.number or inv.invoice_id}: paid event received; confirming at Stripe")
                self._money_changed()
            return
        inv.status = {"paid": "paid", "payment_failed": "payment_failed", "voided": "void"}[ev.kind]  # type: ignore[assignment]
        inv.history = [*inv.history, InvoiceStatusChange(status=inv.status, at=workflow.now())]
        if inv.status == "paid":
            inv.paid_at = workflow.now()
        self._event(f"invoice {inv.number or inv.invoice_id} {inv.status}")
        if self._invoice_truth():
            self._note_money_anomalies(inv)
        self._money_changed()

    def _apply_orphan_invoice_events(self) -> None:
        pending, self.s.orphan_invoice_events = self.s.orphan_invoice_events, []
        for ev in pending:
            inv = next((i for i in self.s.invoices if i.invoice_id == ev.invoice_id), None)
            if inv is not None:
                self._apply_invoice_event(inv, ev)

    @workflow.signal(name=Signal.MAIL_EVENT)
    def mail_event(self, ev: MailEvent) -> None:
        if self._seen(ev.event_id):
            return
        self._flag(Attention(step=f"email {ev.message_kind or 'message'} to {ev.role or 'a party'}",
                             error_type=f"SendGrid{ev.kind.capitalize()}",
                             message="the message was not delivered; check the address", since=workflow.now(),
                             blocking=False))

    @workflow.signal(name=Signal.AGREEMENT_SIGNED)
    def agreement_signed(self, ev: AgreementSigned) -> None:
        if self.s.agreement.status == "signed":
            return
        if workflow.patched(AGREEMENT_CONFIRM_PATCH):
            # Believed once the Advocate's entity confirms it (``_confirm_agreement``, security C2 §4).
            self.s.agreement.claimed = ev
            self._version += 1
            return
        self.s.agreement.status = "signed"
        self.s.agreement.envelope_id = ev.envelope_id
        self.s.agreement.signed_at = ev.signed_at
        self._event("Advocate Agreement in force")

    # ---------------------------------------------------------------------------------------- updates
    def _receipt(self, message: str, number: int | None = None) -> Receipt:
        return Receipt(stage=self.s.stage.value, message=message, number=number)

    @workflow.update(name=Update.REVIEW_CASE)
    def review_case(self, payload: Any) -> Receipt:
        msg = rules.parse(ReviewCase, payload, strict=False)
        self.s.review = msg
        if msg.decision == "accept":
            self.s.defender = next(d for d in self.s.roster if d.id == msg.defender_id)
            self.s.defender_accepted = None
            self.s.offer_sent_at = None
            self._override = msg.override.strip()
            self._event(f"accepted; offered to {msg.defender_id}"
                        + (f" (override: {self._override})" if self._override else ""), str(msg.actor))
            return self._receipt(f"offered to {msg.defender_id}")
        self._event("declined by JiM", str(msg.actor))
        return self._receipt("case declined")

    @review_case.validator
    def _v_review_case(self, payload: Any) -> None:
        msg = rules.parse(ReviewCase, payload)
        rules.review_case(self.req, self.s, msg, workflow.now().date())

    @workflow.update(name=Update.RESPOND_TO_ASSIGNMENT)
    def respond_to_assignment(self, payload: Any) -> Receipt:
        msg = rules.parse(RespondToAssignment, payload, strict=False)
        self.s.defender_accepted = msg.accept
        if not msg.accept and self.s.offers:
            self.s.offers[-1].reason = msg.reason
        return self._receipt("assignment accepted" if msg.accept else "assignment declined")

    @respond_to_assignment.validator
    def _v_respond(self, payload: Any) -> None:
        msg = rules.parse(RespondToAssignment, payload)
        rules.respond_to_assignment(self.req, self.s, msg)

    @workflow.update(name=Update.EDIT_CONTRACT)
    def edit_contract(self, payload: Any) -> Receipt:
        msg = rules.parse(EditContract, payload, strict=False)
        number = self._current.number + 1
        self.s.revisions.append(ContractRevision(number=number, terms=msg.terms, author=msg.actor, note=msg.note,
                                                 created_at=workflow.now()))
        if len(self.s.revisions) > 30:
            del self.s.revisions[1:-29]
        if msg.actor.role is Role.ADVOCATE:
            self.s.advocate_completed = True
        self._event(f"contract revision {number}", str(msg.actor))
        return self._receipt(f"revision {number} saved; approvals cleared", number)

    @edit_contract.validator
    def _v_edit(self, payload: Any) -> None:
        msg = rules.parse(EditContract, payload)
        rules.edit_contract(self.req, self.s, msg)

    @workflow.update(name=Update.APPROVE_CONTRACT)
    def approve_contract(self, payload: Any) -> Receipt:
        msg = rules.parse(ApproveContract, payload, strict=False)
        self._current.approvals.append(msg.actor.role)
        self._event(f"contract revision {msg.revision} approved", str(msg.actor))
        return self._receipt(f"revision {msg.revision} approved", msg.revision)

    @approve_contract.validator
    def _v_approve(self, payload: Any) -> None:
        msg = rules.parse(ApproveContract, payload)
        rules.approve_contract(self.req, self.s, msg)

    @workflow.update(name=Update.UPDATE_TASK)
    def update_task(self, payload: Any) -> Receipt:
        msg = rules.parse(UpdateTask, payload, strict=False)
        task = next(t for t in self.s.tasks if t.id == msg.task_id)
        # Saving a task unchanged (same status, no note) records nothing: no timeline entry, no new date.
        if msg.status == task.status and not msg.note and workflow.patched(NO_OP_TASK_SAVE_PATCH):
            return self._receipt(f"task {task.id} is {task.status}")
        task.status = msg.status
        task.updated_at = workflow.now()
        task.updates += 1
        if msg.note:
            task.notes = [*task.notes, msg.note][-MAX_TASK_NOTES:]
        self._event(f"task {task.id} {task.status}", str(msg.actor))
        return self._receipt(f"task {task.id} is {task.status}")

    @update_task.validator
    def _v_task(self, payload: Any) -> None:
        msg = rules.parse(UpdateTask, payload)
        rules.update_task(self.req, self.s, msg, self.policy)

    @workflow.update(name=Update.SUBMIT_REPORT)
    def submit_report(self, payload: Any) -> Receipt:
        msg = rules.parse(SubmitReport, payload, strict=False)
        number = len(self.s.reports) + 1
        self.s.reports.append(SubmittedReport(number=number, report=msg.report, submitted_by=msg.actor,
                                              submitted_at=workflow.now()))
        self._event(f"{msg.report.kind.value} report {number} submitted", str(msg.actor))
        return self._receipt(f"report {number} received", number)

    @submit_report.validator
    def _v_report(self, payload: Any) -> None:
        msg = rules.parse(SubmitReport, payload)
        rules.submit_report(self.req, self.s, msg, rules.local_today(self.req, self.s, workflow.now()))

    @workflow.update(name=Update.REVIEW_REPORT)
    def review_report(self, payload: Any) -> Receipt:
        msg = rules.parse(ReviewReport, payload, strict=False)
        report = next(r for r in self.s.reports if r.number == msg.report_number)
        if msg.decision == "request_changes":
            report.status = "changes_requested"
            report.change_reasons = list(msg.reasons)
            self._event(f"changes requested on report {report.number}", str(msg.actor))
            return self._receipt("changes requested", report.number)
        priced = self._price(msg)
        report.status = "approved"
        over = rules.approval_breaches(self.req, self.s, msg, priced)
        needs_second = self._needs_second(priced.payout_total, msg)
        self.s.approved.append(ApprovedReport(number=report.number, priced=priced,
                                              exchange_rates=list(msg.exchange_rates),
                                              adjustments=list(msg.adjustments), approved_by=str(msg.actor),
                                              approved_at=workflow.now(), rate_source=msg.rate_source or "staff",
                                              rate_as_of=msg.rate_as_of or workflow.now().date(),
                                              over_caps=over, over_cap_reason=msg.over_cap.strip() if over else "",
                                              line_text=list(msg.line_text), payout_needs_second=needs_second))
        self.s.caps_flagged = []
        self._event(f"report {report.number} approved: invoice {priced.invoice_total.format()}, payout "
                    f"{priced.payout_total.format()}", str(msg.actor))
        if over:
            self._event(f"report {report.number} approved over the {'; the '.join(over)}; reason: "
                        f"{msg.over_cap.strip()}", str(msg.actor))
        return self._receipt(f"approved: invoice {priced.invoice_total.format()}"
                             + (" (payout waits for a second staff approval)" if needs_second else ""), report.number)

    def _four_eyes(self) -> bool:
        from workflows.case_money import PAYOUT_FOUR_EYES_PATCH

        return workflow.patched(PAYOUT_FOUR_EYES_PATCH)

    def _needs_second(self, payout: Money, msg: ReviewReport) -> bool:
        """Four eyes: the cumulative, currency-aware rule (P4) where it differs from the per-report one it
        replaced; cases whose approval ran before ``FOUR_EYES_CUMULATIVE_PATCH`` replay with the old answer."""
        from workflows.case_money import FOUR_EYES_CUMULATIVE_PATCH

        old = rules.payout_over_threshold(payout, self.policy)
        new = rules.payout_needs_second(payout, self.policy, self.s.approved, str(msg.actor), msg.exchange_rates)
        if new != old and workflow.patched(FOUR_EYES_CUMULATIVE_PATCH):
            return new and self._four_eyes()
        return old and self._four_eyes()

    @review_report.validator
    def _v_review_report(self, payload: Any) -> None:
        msg = rules.parse(ReviewReport, payload)
        rules.review_report(self.req, self.s, msg, self.policy)
        if msg.decision == "approve":
            try:
                rules.price(self.req, self.s, msg)
            except ValueError:  # e.g. a rate that makes an amount larger than any invoice may be
                raise ValueError("exchange_rates: these rates put an amount out of range") from None

    def _price(self, msg: ReviewReport) -> Any:
        """At the signed revision's rate; neutral line texts for approvals from ``NEUTRAL_TEXT_PATCH`` on (M4)."""
        return rules.price(self.req, self.s, msg, neutral=workflow.patched(NEUTRAL_TEXT_PATCH))

    @workflow.update(name=Update.RECORD_PAYOUT)
    async def record_payout(self, payload: Any) -> Receipt:
        msg = rules.parse(RecordPayout, payload, strict=False)
        payout = next(p for p in self.s.payouts if p.report_number == msg.report_number)
        payout.status = "paid"
        payout.reference = msg.reference
        payout.paid_at = workflow.now()
        payout.paid_on, payout.received, payout.fees, payout.note = msg.paid_on, msg.received, msg.fees, msg.note
        extra = "".join([f", received {msg.received.format()}" if msg.received else "",
                         f", fees {msg.fees.format()}" if msg.fees else ""])
        self._event(f"manual payout for report {payout.report_number} recorded (paid on {msg.paid_on}{extra})",
                    str(msg.actor))
        self._recheck_losses(payout.report_number)  # P2: its invoice may have been voided meanwhile
        self._money_changed()
        await self._mail(MailKind.PAYOUT_MADE, self._to_defender(),
                         {"amount": payout.amount.format(), "report_number": payout.report_number})
        return self._receipt("payout recorded", payout.report_number)

    @record_payout.validator
    def _v_payout(self, payload: Any) -> None:
        msg = rules.parse(RecordPayout, payload)
        rules.record_payout(self.req, self.s, msg)

    @workflow.update(name=Update.SUBMIT_EVALUATION)
    def submit_evaluation(self, payload: Any) -> Receipt:
        msg = rules.parse(SubmitEvaluation, payload, strict=False)
        self.s.evaluations[msg.actor.role.value] = msg.evaluation
        self.s.evaluated_at[msg.actor.role.value] = workflow.now()
        self._milestone()
        self._event(f"evaluation from the {msg.actor.role.value}", str(msg.actor))
        return self._receipt("thank you for your evaluation")

    @submit_evaluation.validator
    def _v_eval(self, payload: Any) -> None:
        msg = rules.parse(SubmitEvaluation, payload)
        rules.submit_evaluation(self.req, self.s, msg)

    @workflow.update(name=Update.REPORT_OUTCOME)
    def report_outcome(self, payload: Any) -> Receipt:
        msg = rules.parse(ReportOutcome, payload, strict=False)
        self.s.outcome = msg.outcome
        self.s.outcome_at = workflow.now()
        self._milestone()
        self._event(f"outcome reported: {msg.outcome.result.value}", str(msg.actor))
        return self._receipt("outcome recorded")

    @report_outcome.validator
    def _v_outcome(self, payload: Any) -> None:
        msg = rules.parse(ReportOutcome, payload)
        rules.report_outcome(self.req, self.s, msg)

    @workflow.update(name=Update.CANCEL_CASE)
    def cancel_case(self, payload: Any) -> Receipt:
        msg = rules.parse(CancelCase, payload, strict=False)
        self.s.cancel = msg
        self.s.cancel_invoices = msg.invoices  # W2 (M5): void or keep the invoices of approved work
        self._event("cancellation requested" + (f" ({msg.invoices} invoices of approved work)" if msg.invoices
                                                 else ""), str(msg.actor))
        return self._receipt("cancelling: open envelopes and invoices will be voided")

    @cancel_case.validator
    def _v_cancel(self, payload: Any) -> None:
        msg = rules.parse(CancelCase, payload)
        rules.cancel_case(self.req, self.s, msg)

    @workflow.update(name=Update.RETRY_STEP)
    def retry_step(self, payload: Any) -> Receipt:
        msg = rules.parse(RetryStep, payload, strict=False)
        attention = self.s.attention
        if attention is None:  # failed mails kept after their flag was cleared
            self._event("retry requested for the failed emails", str(msg.actor))
            return self._receipt(f"sending {self._retry_mails()} email(s) again")
        self._event(f"retry requested for {attention.step}", str(msg.actor))
        if attention.blocking:
            self.s.retry_requested = True
            return self._receipt(f"retrying {attention.step}")
        resent = self._retry_mails()
        self._clear_attention()
        return self._receipt(f"sending {resent} email(s) again" if resent else f"cleared: {attention.step}")

    def _retry_mails(self) -> int:
        """Re-send what failed (to the parties' current addresses); a failed offer goes with a fresh window."""
        if self.s.offer_mail_failed:
            self.s.offer_mail_failed = False
            self.s.offer_sent_at = workflow.now()
            self.s.offer_reminded = False
            if self.s.offer_deadline is not None:
                zone_name = self.s.offers[-1].zone if self.s.offers else self._defender_tz()
                self.s.offer_deadline = timezones.answer_by(workflow.now(),
                                                            max(self.policy.defender_answer_window.days, 1),
                                                            zone_name)
                if self.s.offers:
                    self.s.offers[-1].answer_by = self.s.offer_deadline
            self._event("assignment offer sent again with a fresh window")
        self._version += 1
        if not workflow.patched(RETRY_RESENDS_MAILS_PATCH):  # a retry recorded before it only cleared the flag
            return 0
        return self._resend_failed_mails()

    @retry_step.validator
    def _v_retry(self, payload: Any) -> None:
        msg = rules.parse(RetryStep, payload)
        rules.retry_step(self.req, self.s, msg)

    # ----------------------------------------------------------------------------------------- query
    @workflow.query(name="ledes")
    def ledes_file(self, report_number: int) -> str | None:
        """The LEDES 1998B text of an approved, invoiced report (``casefac ledes``), or None."""
        try:
            return ledes.render(self._ledes_invoice(report_number))
        except ValueError:
            return None

    @workflow.query(name="signer")
    def signer(self, role: str) -> SignerView | None:
        """The next signer's recipient details, so a portal "sign" link opens a fresh recipient view."""
        env = self.s.envelope
        if env is None or env.status != "sent":
            return None
        if role == Role.ADVOCATE.value:
            a = self.req.advocate
            return SignerView(envelope_id=env.envelope_id, recipient_id=CONTRACT_SIGNERS[Role.ADVOCATE],
                              client_user_id=a.id, name=a.name, email=str(a.email))
        if role == Role.DEFENDER.value and self.s.defender is not None:
            d = self.s.defender
            return SignerView(envelope_id=env.envelope_id, recipient_id=CONTRACT_SIGNERS[Role.DEFENDER],
                              client_user_id=d.id, name=d.name, email=str(d.email))
        return None  # JiM's signer comes from settings.docusign

    @workflow.query(name=MAIL_ADDRESSES_QUERY)
    def mail_addresses(self, role: str, party_id: str) -> list[str]:
        """Where this case mails ``role`` ``party_id``'s links (S2: the mail activity checks a link's address)."""
        if role == Role.ADVOCATE.value and party_id == self.req.advocate.id:
            return [str(self.req.advocate.email)]
        d = self.s.defender
        if role == Role.DEFENDER.value and d is not None and party_id == d.id:
            return [str(d.email)]
        return []

    @workflow.query(name="record")
    def record(self) -> CaseRecord:
        """The snapshot the case record holds of this case (``casefac records sync``)."""
        return self._record_snapshot()

    @workflow.query(name="status")
    def status(self) -> CaseStatus:
        s = self.s
        waiting = s.waiting
        if self._who is not None and self._since is not None and not s.stage.terminal:
            role, party, what = self._who()
            waiting = Waiting(role=role, party_id=party, what=what, since=self._since,
                              until=s.waiting.until if s.waiting is not None else None)
        return CaseStatus(
            case_id=self.req.case_id, stage=s.stage, country=self.req.country, region=self.req.region,
            services=self.req.services, declined_defenders=s.declined_defenders,
            deadline=self.req.deadline, budget_cap=self.req.budget_cap, description=self.req.description,
            matter_type=self.req.matter_type.value, advocate_id=self.req.advocate.id,
            billing_currency=self.req.advocate.billing_currency,
            invoice_days_until_due=self.policy.invoice_days_until_due,
            advocate_language=self.req.advocate.language, defender_id=s.defender.id if s.defender else None,
            defender_language=s.defender.language if s.defender else None,
            waiting=None if s.stage.terminal else waiting, attention=s.attention, agreement=s.agreement,
            contract=s.revisions[-1] if s.revisions else None,
            previous_contract=s.revisions[-2] if len(s.revisions) > 1 else None,
            advocate_completed=s.advocate_completed, envelope=s.envelope, tasks=s.tasks,
            reports=[ReportView(number=r.number, kind=r.report.kind.value, status=r.status,
                                hours=str(r.report.total_hours()),
                                expense_currencies=sorted(r.report.expense_currencies()),
                                change_reasons=r.change_reasons, receipts=r.report.receipts()) for r in s.reports],
            invoices=s.invoices, payouts=s.payouts, money=self._money_figures(),
            evaluations_from=sorted(s.evaluations), outcome=s.outcome.result.value if s.outcome else None,
            timeline=s.timeline, history_events=workflow.info().get_current_history_length(),
            record_seq=s.record_seq, record_written=s.record_written,
            link_epochs=dict(s.link_epochs), used_links=list(s.used_links),
            offers=s.offers, offer_deadline=s.offer_deadline, defender_tz=s.defender_tz or self._defender_tz_view(),
            advocate_tz=s.advocate_tz or timezones.advocate_zone(self.req.advocate.country),
            failed_mails=len(s.failed_mails), runs=s.runs, report_to_correct=self._report_to_correct(),
            notices=list(s.notices),
            caps=rules.caps_of(self.req, s), caps_flagged=list(s.caps_flagged),  # W2: caps (issue 12.3)
            approvals=list(s.approved))

    # W3 -------------------------------------------------------------------------------------------------
    def _report_to_correct(self) -> Any:
        """The last report sent back for changes, unless a newer one was submitted since."""
        last = self.s.reports[-1] if self.s.reports else None
        return last.report if last is not None and last.status == "changes_requested" else None

    def _defender_tz_view(self) -> str:
        """The zone without writing it to state (a query must not change the case)."""
        return timezones.defender_zone(self.req.country)

    @workflow.update(name=Update.AMEND_ADVOCATE)
    def amend_advocate(self, payload: Any) -> Receipt:
        """Staff correct the Advocate's email or name: later mails and a retried step use it (review M3)."""
        msg = rules.parse(AmendParty, payload, strict=False)
        changes = {k: v for k, v in (("email", msg.email), ("name", msg.name)) if v is not None}
        self.req = self.req.model_copy(update={"advocate": self.req.advocate.model_copy(update=changes)})
        self._amended("Advocate", sorted(changes), msg)
        return self._receipt(f"the Advocate's {' and '.join(sorted(changes))} corrected")

    @amend_advocate.validator
    def _v_amend_advocate(self, payload: Any) -> None:
        rules.amend_advocate(self.req, self.s, rules.parse(AmendParty, payload))

    @workflow.update(name=Update.AMEND_DEFENDER)
    def amend_defender(self, payload: Any) -> Receipt:
        """Staff correct the assigned Defender's email or name (e.g. the offer bounced), for this case."""
        msg = rules.parse(AmendParty, payload, strict=False)
        assert self.s.defender is not None
        changes = {k: v for k, v in (("email", msg.email), ("name", msg.name)) if v is not None}
        self.s.defender = self.s.defender.model_copy(update=changes)
        self._amended(f"Defender {self.s.defender.id}", sorted(changes), msg)
        return self._receipt(f"the Defender's {' and '.join(sorted(changes))} corrected")

    @amend_defender.validator
    def _v_amend_defender(self, payload: Any) -> None:
        rules.amend_defender(self.req, self.s, rules.parse(AmendParty, payload))

    def _amended(self, who: str, fields: list[str], msg: AmendParty) -> None:
        self.s.amendments += 1
        note = f" ({msg.note.strip()[:200]})" if msg.note.strip() else ""
        self._event(f"{who}'s {' and '.join(fields)} corrected by staff{note}", str(msg.actor))
        self._milestone()
        workflow.set_current_details(self._details())

    # ------------------------------------------------------------------------------------- W2: money
    @workflow.update(name=Update.APPROVE_PAYOUT)
    def approve_payout(self, payload: Any) -> Receipt:
        msg = rules.parse(ApprovePayout, payload, strict=False)
        approved = next(a for a in self.s.approved if a.number == msg.report_number)
        approved.payout_approved_by = str(msg.actor)
        approved.payout_approved_at = workflow.now()
        self._event(f"payout of report {approved.number} approved by a second staff member", str(msg.actor))
        self._money_changed()
        return self._receipt(f"payout of report {approved.number} released", approved.number)

    @approve_payout.validator
    def _v_approve_payout(self, payload: Any) -> None:
        rules.approve_payout(self.req, self.s, rules.parse(ApprovePayout, payload))

    @workflow.update(name=Update.RESOLVE_INVOICE)
    def resolve_invoice(self, payload: Any) -> Receipt:
        msg = rules.parse(ResolveInvoice, payload, strict=False)
        inv = next(i for i in reversed(self.s.invoices) if i.report_number == msg.report_number)
        name = inv.number or inv.invoice_id
        if inv.resolution_pending:  # P1, step 2: finance made the refund or credit note in Stripe
            inv.resolution_pending = False
            inv.resolution_reference = msg.reference
            self._event(f"invoice {name}: {msg.decision} made in Stripe ({msg.reference})"
                        + (f" ({msg.note})" if msg.note else ""), str(msg.actor))
            self._money_changed()
            return self._receipt(f"invoice of report {msg.report_number}: {msg.decision} {msg.reference} recorded",
                                 msg.report_number)
        inv.resolution = msg.decision
        self._event(f"invoice {name}: staff decided to {msg.decision.replace('_', ' ')}"
                    + (f" ({msg.note})" if msg.note else ""), str(msg.actor))
        from workflows.case_money import REFUND_RECORDED_PATCH

        pending = False
        if msg.decision in ("refund", "credit") and workflow.patched(REFUND_RECORDED_PATCH):
            if msg.reference:  # both steps at once: the refund or credit note is already made
                inv.resolution_reference = msg.reference
                self._event(f"invoice {name}: {msg.decision} made in Stripe ({msg.reference})", str(msg.actor))
            else:  # P1: a decision moves no money; finance makes it in Stripe and records its id
                pending = inv.resolution_pending = True
                inv.resolution_pending_since = workflow.now()
                self._event(f"invoice {name}: {msg.decision} to be made in the Stripe Dashboard; the case settles "
                            "when finance records it", str(msg.actor))
        self._money_changed()
        return self._receipt(f"invoice of report {msg.report_number}: {msg.decision}"
                             + (" (to be made in Stripe and recorded with --reference)" if pending else ""),
                             msg.report_number)

    @resolve_invoice.validator
    def _v_resolve_invoice(self, payload: Any) -> None:
        rules.resolve_invoice(self.req, self.s, rules.parse(ResolveInvoice, payload))

    @workflow.query(name="review_preview")
    def review_preview(self, payload: Any) -> ReviewPreview:
        """What approving ``payload`` (a ``ReviewReport``) would cause, or why it would be refused (the CLI asks)."""
        try:
            msg = rules.parse(ReviewReport, payload)
            rules.review_report(self.req, self.s, msg, None)
            priced = rules.price(self.req, self.s, msg)
        except (ValueError, AssertionError, StopIteration) as exc:
            return ReviewPreview(refusal=str(exc) or "this approval is not possible now")
        refusal = None
        try:
            rules.review_report(self.req, self.s, msg, self.policy)
        except ValueError as exc:
            refusal = str(exc)
        defender = self.s.defender
        return ReviewPreview(priced=priced, over_caps=rules.approval_breaches(self.req, self.s, msg, priced),
                             caps=rules.caps_of(self.req, self.s), refusal=refusal,
                             payout_method=defender.payout.kind if defender else None,
                             needs_second_approval=rules.payout_needs_second(
                                 priced.payout_total, self.policy, self.s.approved, str(msg.actor),
                                 msg.exchange_rates))

    def _payout_reversed(self, ev: InvoiceEvent) -> None:
        pay = next((p for p in self.s.payouts if p.reference == ev.invoice_id), None)
        if pay is None or pay.status == "reversed":
            return
        pay.status = "reversed"
        pay.note = f"transfer reversed ({Money(amount=ev.amount or 0, currency=pay.amount.currency).format()})"
        self._flag(Attention(step=f"payout for report {pay.report_number}", error_type="TransferReversed",
                             message="the Stripe transfer to the Defender was reversed: pay again or record it",
                             since=workflow.now(), blocking=False))
        self._event(f"payout for report {pay.report_number} reversed in Stripe")
        self._money_changed()

    def _apply_money_event(self, inv: InvoiceState, ev: InvoiceEvent) -> None:
        """Stripe's lifecycle beyond paid/failed/void (review M6): each recorded, and finance told what to decide."""
        name = inv.number or inv.invoice_id
        amount = Money(amount=ev.amount or 0, currency=inv.amount_due.currency)
        if ev.kind == "marked_uncollectible":
            if inv.status != "uncollectible":
                inv.status = "uncollectible"
                inv.history = [*inv.history, InvoiceStatusChange(status="uncollectible", at=workflow.now())]
            self._event(f"invoice {name} marked uncollectible in Stripe")
        elif ev.kind == "partially_paid":
            if ev.amount_paid is not None:
                inv.amount_paid = Money(amount=ev.amount_paid, currency=inv.amount_due.currency)
            if ev.amount_remaining is not None:
                inv.amount_remaining = Money(amount=ev.amount_remaining, currency=inv.amount_due.currency)
            self._event(f"invoice {name}: partly paid ({inv.amount_paid.format() if inv.amount_paid else '?'}, "
                        f"{inv.amount_remaining.format() if inv.amount_remaining else '?'} left)")
        elif ev.kind == "credit_note":
            inv.credited += ev.amount or 0
            self._event(f"invoice {name}: credit note {amount.format()}")
        elif ev.kind == "refunded":
            inv.refunded = max(inv.refunded, ev.amount or 0)
            inv.needs_decision = inv.needs_decision or f"refunded {amount.format()} after payment"
            self._event(f"invoice {name}: payment refunded ({amount.format()})")
        elif ev.kind == "dispute_opened":
            inv.disputed = True
            inv.needs_decision = inv.needs_decision or "the payment is disputed (chargeback): answer it in Stripe"
            self._event(f"invoice {name}: payment disputed")
        elif ev.kind == "dispute_closed":
            inv.disputed = False
            self._event(f"invoice {name}: dispute closed ({ev.outcome or 'closed'})")
        self._note_money_anomalies(inv)
        self._money_changed()

    # ------------------------------------------------------------------------------- W1: re-sending links
    @workflow.update(name=Update.RESEND_LINK)
    async def resend_link(self, payload: Any) -> Receipt:
        """Staff re-mail a party's pending action with a fresh link (``casefac resend CASE --what …``).

        The party's link epoch is bumped first (``guard_links``), so every older link of theirs on this case
        stops working and only the new one acts.
        """
        msg = rules.parse(ResendLink, payload, strict=False)
        action = rules.RESEND_ACTIONS[msg.what]
        kind, ctx = self._resend_notice(msg.what)
        told = []
        for role in rules.resend_targets(self.req, self.s, msg.what):
            to = {Role.ADVOCATE: self._to_advocate, Role.DEFENDER: self._to_defender,
                  Role.STAFF: self._to_staff}[role]()
            bump_epoch(self.s, role.value, to.party_id)
            await self._mail(kind, to, ctx, actions=[action])
            told.append(role.value)
        self._event(f"{msg.what} link re-sent to the {' and the '.join(told)}", str(msg.actor))
        return self._receipt(f"re-sent the {msg.what} link to the {' and the '.join(told)}")

    @resend_link.validator
    def _v_resend_link(self, payload: Any) -> None:
        msg = rules.parse(ResendLink, payload)
        rules.resend_link(self.req, self.s, msg)

    def _resend_notice(self, what: str) -> tuple[MailKind, dict[str, Any]]:
        """The email that carries a re-sent link: the reminder each pending action already has."""
        if what == "offer":
            p = self.policy
            ctx: dict[str, Any] = {"services": ", ".join(s.value for s in self.req.services),
                                   "deadline": self.req.deadline.isoformat() if self.req.deadline else None}
            deadline = self.s.offer_deadline
            if deadline is None:  # an offer made before local deadlines: a plain duration, a UTC date (as then)
                due = (self.s.offer_sent_at or workflow.now()) + p.defender_answer_window
                return MailKind.ASSIGNMENT_OFFER, {**ctx, "answer_by": due.date().isoformat()}
            # As the first offer mail (``_review``): the Defender's local day, time and zone of the deadline.
            offer = self.s.offers[-1] if self.s.offers else None
            zone = (offer.zone if offer is not None and offer.zone else None) or self.s.defender_tz \
                or self._defender_tz_view()
            return MailKind.ASSIGNMENT_OFFER, {
                **ctx, "answer_by": timezones.local_date(deadline, zone).isoformat(),
                "answer_by_time": f"{timezones.local(deadline, zone):%H:%M}", "answer_by_zone": zone}
        if what == "contract-review":
            return MailKind.CONTRACT_REVIEW, {"revision": self._current.number}
        if what == "sign":
            env = self.s.envelope
            return MailKind.SIGNATURE_REMINDER, {"revision": env.revision if env else self._current.number}
        if what == "tasks":
            return MailKind.ASSIGNMENT_STARTED, {"tasks": len(self.s.tasks)}
        return {"report": MailKind.REPORT_REMINDER, "evaluation": MailKind.EVALUATION_REMINDER,
                "outcome": MailKind.OUTCOME_REMINDER}[what], {}
