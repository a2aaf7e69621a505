"""How the world talks to a case: provider signals (deduplicated by event id), people's updates (each with a
validator from ``workflows.rules``: refused input never reaches history) and the ``status`` query."""


from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac import ledes
    from casefac.activity_io import (
        CONTRACT_SIGNERS,
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
        ApproveContract,
        CancelCase,
        EditContract,
        Receipt,
        RecordPayout,
        ReportOutcome,
        RespondToAssignment,
        RetryStep,
        ReviewCase,
        ReviewReport,
        SubmitEvaluation,
        SubmitReport,
        Update,
        UpdateTask,
    )
    from casefac.parties import Role
    from casefac.pricing import price_report
    from casefac.record import CaseRecord
    from casefac.report import SubmittedReport
    from casefac.state import (
        ApprovedReport,
        Attention,
        InvoiceState,
        InvoiceStatusChange,
        Waiting,
    )
    from casefac.status import CaseStatus, ReportView, SignerView
    from workflows import rules


from workflows.case_core import MAX_TASK_NOTES
from workflows.case_record import CaseRecorder

#: ``workflow.patched`` id: an unchanged task save adds no timeline entry (runs before it replay as they ran).
NO_OP_TASK_SAVE_PATCH = "no-op-task-save"


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
            # Completed means every recipient signed, whichever of their own events is still on its way
            # (providers deliver in no set order): the timeline says so in both orders alike.
            env.status = "completed"
            for rid in CONTRACT_SIGNERS.values():
                if rid not in env.signed:
                    env.signed.append(rid)
                    self._event(f"contract signed by recipient {rid}")
        elif ev.kind in ("declined", "recipient_declined"):
            env.status = "declined"
            self._envelope_reason = ev.reason or "a signer declined"
        elif ev.kind == "voided":
            env.status = "voided"
            self._envelope_reason = ev.reason or "the envelope was voided"
        self._version += 1

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
        inv = next((i for i in self.s.invoices if i.invoice_id == ev.invoice_id), None)
        if inv is None:
            self.s.orphan_invoice_events = [*self.s.orphan_invoice_events[-20:], ev]
            return
        self._apply_invoice_event(inv, ev)

    def _apply_invoice_event(self, inv: InvoiceState, ev: InvoiceEvent) -> None:
        if inv.status in ("paid", "void"):
            return
        inv.status = {"paid": "paid", "payment_failed": "payment_failed", "voided": "void"}[ev.kind]  # type: ignore[assignment]
        inv.history = [*inv.history, InvoiceStatusChange(status=inv.status, at=workflow.now())]
        if inv.status == "paid":
            inv.paid_at = workflow.now()
        self._event(f"invoice {inv.number or inv.invoice_id} {inv.status}")
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
        self.s.agreement.status = "signed"
        self.s.agreement.envelope_id = ev.envelope_id
        self.s.agreement.signed_at = ev.signed_at
        self._event("Advocate Agreement in force")

    # ---------------------------------------------------------------------------------------- updates
    def _receipt(self, message: str, number: int | None = None) -> Receipt:
        return Receipt(stage=self.s.stage.value, message=message, number=number)

    @workflow.update(name=Update.REVIEW_CASE)
    def review_case(self, payload: Any) -> Receipt:
        msg = rules.parse(ReviewCase, payload)
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
        msg = rules.parse(RespondToAssignment, payload)
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
        msg = rules.parse(EditContract, payload)
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
        msg = rules.parse(ApproveContract, payload)
        self._current.approvals.append(msg.actor.role)
        self._event(f"contract revision {msg.revision} approved", str(msg.actor))
        return self._receipt(f"revision {msg.revision} approved", msg.revision)

    @approve_contract.validator
    def _v_approve(self, payload: Any) -> None:
        msg = rules.parse(ApproveContract, payload)
        rules.approve_contract(self.req, self.s, msg)

    @workflow.update(name=Update.UPDATE_TASK)
    def update_task(self, payload: Any) -> Receipt:
        msg = rules.parse(UpdateTask, payload)
        task = next(t for t in self.s.tasks if t.id == msg.task_id)
        # Saving a task unchanged (same status, no note) records nothing: no timeline entry, no new date.
        if msg.status == task.status and not msg.note and workflow.patched(NO_OP_TASK_SAVE_PATCH):
            return self._receipt(f"task {task.id} is {task.status}")
        task.status = msg.status
        task.updated_at = workflow.now()
        if msg.note:
            task.notes = [*task.notes, msg.note][-MAX_TASK_NOTES:]
        self._event(f"task {task.id} {task.status}", str(msg.actor))
        return self._receipt(f"task {task.id} is {task.status}")

    @update_task.validator
    def _v_task(self, payload: Any) -> None:
        msg = rules.parse(UpdateTask, payload)
        rules.update_task(self.req, self.s, msg)

    @workflow.update(name=Update.SUBMIT_REPORT)
    def submit_report(self, payload: Any) -> Receipt:
        msg = rules.parse(SubmitReport, payload)
        number = len(self.s.reports) + 1
        self.s.reports.append(SubmittedReport(number=number, report=msg.report, submitted_by=msg.actor,
                                              submitted_at=workflow.now()))
        self._event(f"{msg.report.kind.value} report {number} submitted", str(msg.actor))
        return self._receipt(f"report {number} received", number)

    @submit_report.validator
    def _v_report(self, payload: Any) -> None:
        msg = rules.parse(SubmitReport, payload)
        rules.submit_report(self.req, self.s, msg, workflow.now().date())

    @workflow.update(name=Update.REVIEW_REPORT)
    def review_report(self, payload: Any) -> Receipt:
        msg = rules.parse(ReviewReport, payload)
        report = next(r for r in self.s.reports if r.number == msg.report_number)
        if msg.decision == "request_changes":
            report.status = "changes_requested"
            report.change_reasons = list(msg.reasons)
            self._event(f"changes requested on report {report.number}", str(msg.actor))
            return self._receipt("changes requested", report.number)
        priced = self._price(msg)
        report.status = "approved"
        self.s.approved.append(ApprovedReport(number=report.number, priced=priced,
                                              exchange_rates=list(msg.exchange_rates),
                                              adjustments=list(msg.adjustments), approved_by=str(msg.actor),
                                              approved_at=workflow.now()))
        self._event(f"report {report.number} approved: invoice {priced.invoice_total.format()}, payout "
                    f"{priced.payout_total.format()}", str(msg.actor))
        return self._receipt(f"approved: invoice {priced.invoice_total.format()}", report.number)

    @review_report.validator
    def _v_review_report(self, payload: Any) -> None:
        msg = rules.parse(ReviewReport, payload)
        rules.review_report(self.req, self.s, msg)
        if msg.decision == "approve":
            try:
                self._price(msg)
            except ValueError:  # e.g. a rate that makes an amount larger than any invoice may be
                raise ValueError("exchange_rates: these rates put an amount out of range") from None

    def _price(self, msg: ReviewReport) -> Any:
        report = next(r for r in self.s.reports if r.number == msg.report_number)
        assert self.s.defender is not None
        return price_report(report.report, list(msg.exchange_rates), list(msg.adjustments),
                            self._current.terms.hourly_rate, self.req.advocate.billing_currency,
                            self.s.defender.hourly_rate.currency)

    @workflow.update(name=Update.RECORD_PAYOUT)
    async def record_payout(self, payload: Any) -> Receipt:
        msg = rules.parse(RecordPayout, payload)
        payout = next(p for p in self.s.payouts if p.report_number == msg.report_number)
        payout.status = "paid"
        payout.reference = msg.reference
        payout.paid_at = workflow.now()
        self._event(f"manual payout for report {payout.report_number} recorded", str(msg.actor))
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
        msg = rules.parse(SubmitEvaluation, payload)
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
        msg = rules.parse(ReportOutcome, payload)
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
        msg = rules.parse(CancelCase, payload)
        self.s.cancel = msg
        self._event("cancellation requested", str(msg.actor))
        return self._receipt("cancelling: open envelopes and invoices will be voided")

    @cancel_case.validator
    def _v_cancel(self, payload: Any) -> None:
        msg = rules.parse(CancelCase, payload)
        rules.cancel_case(self.req, self.s, msg)

    @workflow.update(name=Update.RETRY_STEP)
    def retry_step(self, payload: Any) -> Receipt:
        msg = rules.parse(RetryStep, payload)
        attention = self.s.attention
        assert attention is not None
        self._event(f"retry requested for {attention.step}", str(msg.actor))
        if attention.blocking:
            self.s.retry_requested = True
            return self._receipt(f"retrying {attention.step}")
        self._clear_attention()
        return self._receipt(f"cleared: {attention.step}")

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
            waiting = Waiting(role=role, party_id=party, what=what, since=self._since)
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
                                change_reasons=r.change_reasons) for r in s.reports],
            invoices=s.invoices, payouts=s.payouts, money=self._money_figures(),
            evaluations_from=sorted(s.evaluations), outcome=s.outcome.result.value if s.outcome else None,
            timeline=s.timeline, history_events=workflow.info().get_current_history_length(),
            record_seq=s.record_seq, record_written=s.record_written)
