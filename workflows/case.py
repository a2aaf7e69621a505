"""CaseFacilitationWorkflow: one Case Facilitation from the Advocate's request to CLOSED.

The run loop dispatches on ``state.stage``; each stage method reads and writes only ``self.s`` (a pydantic
``CaseState``), so the whole case can continue-as-new and resume where it stood. People act through
validated updates, providers through deduplicated signals; every wait has reminders and an escalation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from casefac import search_attributes as sa
    from casefac.activity_io import (
        CONTRACT_SIGNERS,
        ActivityName,
        EnvelopeRef,
        InvoiceRef,
        IssueInvoice,
        LoadRoster,
        MailKind,
        MailTo,
        PayDefender,
        PortalAction,
        RosterSnapshot,
        SendContractEnvelope,
        SendMail,
        StoredDocuments,
        StoreSignedDocuments,
        TransferRef,
        VoidEnvelope,
        VoidInvoice,
    )
    from casefac.case import CaseStage
    from casefac.contract import REQUIRED_APPROVALS, ContractRevision
    from casefac.contract_draft import draft_revision
    from casefac.evaluation import Outcome, OutcomeResult
    from casefac.events import (
        AgreementRequest,
        AgreementSigned,
        EnvelopeEvent,
        InvoiceEvent,
        MailEvent,
        Signal,
    )
    from casefac.ids import idempotency_key
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
    from casefac.money import Money, total
    from casefac.parties import Role
    from casefac.pricing import price_report
    from casefac.report import ReportKind, SubmittedReport
    from casefac.state import (
        ApprovedReport,
        Attention,
        CaseInput,
        CaseState,
        EnvelopeState,
        InvoiceState,
        PayoutState,
        TaskState,
        TimelineEntry,
        Waiting,
    )
    from casefac.status import CaseStatus, MoneyFigures, ReportView
    from workflows import rules
    from workflows.options import OPTIONS

T = TypeVar("T")
Who = tuple[str, str | None, str]

#: Bounded memories, so a case that lives for years keeps a small history and state.
MAX_SEEN_EVENTS = 1000
MAX_TIMELINE = 300
MAX_TASK_NOTES = 20


class _Cancelled(Exception):
    """Raised out of any wait once staff cancelled the case; ``run`` then cleans up."""


class _ContinueAsNew(Exception):
    """Raised at a safe point when history is long; ``run`` carries the state into a new run."""


@workflow.defn(name="CaseFacilitationWorkflow")
class CaseFacilitationWorkflow:
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self.req = inp.request
        self.policy = inp.policy
        self.s: CaseState = inp.state or CaseState(opened_at=workflow.now())
        self._who: Callable[[], Who] | None = None
        self._since: datetime | None = None
        self._version = 0  # bumped on every state change a wait may care about
        self._cancelling = False
        self._collector_busy = False
        self._mail_tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------------------------------ run
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        if inp.state is None:
            self._event("opened", str(self.req.opened_by))
        self._upsert_all()
        collector = asyncio.create_task(self._collect_money())
        stages: dict[CaseStage, Callable[[], Awaitable[None]]] = {
            CaseStage.REVIEW: self._review,
            CaseStage.AGREEMENT: self._agreement,
            CaseStage.ASSIGNMENT: self._assignment,
            CaseStage.PAYMENT: self._payment,
            CaseStage.EVALUATION: self._evaluation,
        }
        try:
            if inp.state is None:
                await self._mail(MailKind.CASE_RECEIVED, self._to_advocate())
            while not self.s.stage.terminal:
                await stages[self.s.stage]()
        except _Cancelled:
            await self._cancel_case()
        except _ContinueAsNew:
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._collector_busy
                                          and self._mail_drained())
            self.s.runs += 1
            workflow.continue_as_new(CaseInput(request=self.req, policy=self.policy, state=self.s))
        await workflow.wait_condition(lambda: collector.done() or not self._collector_busy)
        collector.cancel()
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self._mail_drained())
        workflow.logger.info("case finished", extra={"case_id": self.req.case_id, "stage": self.s.stage.value})
        return self.status()

    # ---------------------------------------------------------------------------------- REVIEW stage
    async def _review(self) -> None:
        p = self.policy
        await self._refresh_roster()
        while True:
            if self.s.review is None:
                await self._wait(lambda: self.s.review is not None,
                                 who=lambda: ("staff", None, "review the case and assign a Defender"),
                                 every=p.review_reminder_every, on_remind=self._remind_staff("review"),
                                 escalate_after=p.review_escalate_after, on_escalate=self._escalate("review"))
            decision = self.s.review
            assert decision is not None
            if decision.decision == "decline":
                await self._mail(MailKind.CASE_DECLINED, self._to_advocate(), {"reason": decision.reason})
                self._set_stage(CaseStage.DECLINED)
                return
            defender = self.s.defender
            assert defender is not None
            if self.s.offer_sent_at is None:
                self.s.offer_sent_at = workflow.now()
                self._upsert(sa.DEFENDER_ID.value_set(defender.id))
                answer_by = self.s.offer_sent_at + p.defender_answer_window
                await self._mail(MailKind.ASSIGNMENT_OFFER, self._to_defender(),
                                 {"answer_by": answer_by.date().isoformat(),
                                  "services": ", ".join(s.value for s in self.req.services),
                                  "deadline": self.req.deadline.isoformat() if self.req.deadline else None},
                                 actions=["respond_assignment"])
            remaining = self.s.offer_sent_at + p.defender_answer_window - workflow.now()
            answered = await self._wait(lambda: self.s.defender_accepted is not None,
                                        who=lambda d=defender: ("defender", d.id, "accept or decline the assignment"),
                                        deadline=remaining)
            if answered and self.s.defender_accepted:
                self._event(f"Defender {defender.id} accepted", f"defender:{defender.id}")
                await self._mail(MailKind.ASSIGNMENT_CONFIRMED, self._to_advocate())
                self._set_stage(CaseStage.AGREEMENT)
                return
            why = "declined" if answered else "did not answer in time"
            self._event(f"Defender {defender.id} {why}; back to review")
            self.s.declined_defenders.append(defender.id)
            self.s.review = None
            self.s.defender = None
            self.s.defender_accepted = None
            self.s.offer_sent_at = None
            self._upsert(sa.DEFENDER_ID.value_unset())
            await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                             {"step": "assignment", "reason": f"Defender {defender.id} {why}; assign another"})
            await self._refresh_roster()

    async def _refresh_roster(self) -> None:
        snapshot = await self._act(ActivityName.LOAD_ROSTER, LoadRoster(country=self.req.country), RosterSnapshot,
                                   summary=f"Roster for {self.req.country}", step="roster")
        self.s.roster = snapshot.defenders

    # ------------------------------------------------------------------------------- AGREEMENT stage
    async def _agreement(self) -> None:
        p = self.policy
        defender = self.s.defender
        assert defender is not None
        if self.s.agreement.status == "not_requested":
            await self._act(ActivityName.REQUEST_AGREEMENT,
                            AgreementRequest(case_workflow_id=self._wid, case_id=self.req.case_id,
                                             advocate=self.req.advocate),
                            None, summary=f"Advocate Agreement for {self.req.advocate.id}", step="agreement")
            if self.s.agreement.status == "not_requested":
                self.s.agreement.status = "pending"
        if not self.s.revisions:
            self.s.revisions.append(draft_revision(self.req, defender, workflow.now()))
            self._event("contract revision 1 drafted")
        notified = 0
        while True:
            if self._current.number != notified:
                notified = self._current.number
                await self._notify_contract_parties(MailKind.CONTRACT_REVIEW)
            if self._contract_ready():
                if await self._sign_contract():
                    return
                notified = 0
                continue
            await self._wait(lambda n=notified: self._contract_ready() or self._current.number != n,
                             who=self._contract_who, every=p.contract_reminder_every,
                             on_remind=self._remind_contract, escalate_after=p.contract_escalate_after,
                             on_escalate=self._escalate("contract"))

    @property
    def _current(self) -> ContractRevision:
        return self.s.revisions[-1]

    def _contract_ready(self) -> bool:
        return (self.s.agreement.status == "signed" and self.s.advocate_completed
                and REQUIRED_APPROVALS.issubset(self._current.approvals))

    def _contract_who(self) -> Who:
        if not self.s.advocate_completed:
            return ("advocate", self.req.advocate.id, "complete the case contract")
        missing = sorted(r.value for r in REQUIRED_APPROVALS - set(self._current.approvals))
        if missing:
            party = self.s.defender.id if missing == ["defender"] and self.s.defender else None
            return (" and ".join(missing), party, f"approve contract revision {self._current.number}")
        return ("advocate", self.req.advocate.id, "sign the one-time Advocate Agreement")

    async def _remind_contract(self, _n: int) -> None:
        role, _party, what = self._contract_who()
        if "advocate" in role:
            await self._mail(MailKind.CONTRACT_REMINDER, self._to_advocate(), {"what": what},
                             actions=[] if "Agreement" in what else ["review_contract"])
        if "defender" in role:
            await self._mail(MailKind.CONTRACT_REMINDER, self._to_defender(), {"what": what},
                             actions=["review_contract"])
        if "staff" in role:
            await self._mail(MailKind.CONTRACT_REMINDER, self._to_staff(), {"what": what})

    async def _notify_contract_parties(self, kind: MailKind, extra: dict[str, Any] | None = None) -> None:
        ctx = {"revision": self._current.number, **(extra or {})}
        await self._mail(kind, self._to_advocate(), ctx, actions=["review_contract"])
        await self._mail(kind, self._to_defender(), ctx, actions=["review_contract"])
        await self._mail(kind, self._to_staff(), ctx)

    async def _sign_contract(self) -> bool:
        """Send one envelope and follow it; True when all three signed, False when it came back."""
        p = self.policy
        defender = self.s.defender
        assert defender is not None
        self.s.envelope_attempts += 1
        rev = self._current
        ref = await self._act(
            ActivityName.SEND_CONTRACT_ENVELOPE,
            SendContractEnvelope(workflow_id=self._wid, case_id=self.req.case_id, attempt=self.s.envelope_attempts,
                                 revision=rev, advocate=self.req.advocate, defender=defender,
                                 country=self.req.country, matter_type=self.req.matter_type,
                                 services=self.req.services),
            EnvelopeRef, summary=f"DocuSign contract {self.req.case_id} · revision {rev.number}",
            step="contract envelope")
        self.s.envelope = EnvelopeState(envelope_id=ref.envelope_id, revision=rev.number)
        self._event(f"contract revision {rev.number} sent for signature")
        self._apply_orphan_envelope_events()
        envelope = self.s.envelope
        asked = -1
        while envelope.status == "sent":
            signer = self._next_signer()
            if signer is None:  # all signed; the envelope-completed event is on its way
                await self._wait(lambda: envelope.status != "sent",
                                 who=lambda: ("docusign", None, "confirm the completed envelope"))
                break
            if asked != len(envelope.signed):
                asked = len(envelope.signed)
                await self._ask_to_sign(signer, MailKind.CONTRACT_TO_SIGN)
            signed_now = len(envelope.signed)
            await self._wait(lambda n=signed_now: envelope.status != "sent" or len(envelope.signed) != n,
                             who=lambda r=signer: self._signer_who(r), every=p.signature_reminder_every,
                             on_remind=lambda _n, r=signer: self._ask_to_sign(r, MailKind.SIGNATURE_REMINDER),
                             escalate_after=p.signature_escalate_after, on_escalate=self._escalate("signature"))
        if envelope.status == "completed":
            docs = await self._act(
                ActivityName.STORE_SIGNED_DOCUMENTS,
                StoreSignedDocuments(case_id=self.req.case_id, envelope_id=envelope.envelope_id,
                                     label=f"contract-r{rev.number}"),
                StoredDocuments, summary=f"Signed contract {self.req.case_id} · revision {rev.number}",
                step="store signed contract")
            envelope.documents_uri = docs.combined_uri
            self._event(f"contract revision {rev.number} signed by all three")
            await self._notify_contract_parties(MailKind.CONTRACT_SIGNED)
            self._set_stage(CaseStage.ASSIGNMENT)
            return True
        rev.approvals.clear()
        self._version += 1
        self._event(f"contract envelope {envelope.status}; back to editing")
        await self._notify_contract_parties(MailKind.CONTRACT_RETURNED, {"reason": self._envelope_reason})
        return False

    _envelope_reason = ""

    def _next_signer(self) -> Role | None:
        assert self.s.envelope is not None
        return next((role for role, rid in CONTRACT_SIGNERS.items() if rid not in self.s.envelope.signed), None)

    def _signer_who(self, role: Role) -> Who:
        party = {Role.ADVOCATE: self.req.advocate.id, Role.DEFENDER: self.s.defender.id if self.s.defender else None,
                 Role.STAFF: None}[role]
        return (role.value, party, "sign the case contract")

    async def _ask_to_sign(self, role: Role, kind: MailKind) -> None:
        to = {Role.ADVOCATE: self._to_advocate, Role.DEFENDER: self._to_defender, Role.STAFF: self._to_staff}[role]()
        await self._mail(kind, to, {"revision": self._current.number}, actions=["sign_contract"])

    # ------------------------------------------------------------------------------ ASSIGNMENT stage
    async def _assignment(self) -> None:
        p = self.policy
        defender = self.s.defender
        assert defender is not None
        if not self.s.tasks:
            self.s.tasks = [TaskState(id=t.id, description=t.description) for t in self._current.terms.tasks]
            await self._mail(MailKind.ASSIGNMENT_STARTED, self._to_defender(),
                             {"tasks": len(self.s.tasks)}, actions=["update_task", "submit_report"])
            await self._mail(MailKind.ASSIGNMENT_STARTED, self._to_advocate(), {"tasks": len(self.s.tasks)})
        await self._wait(lambda: self._pending_report() is not None,
                         who=lambda: ("defender", defender.id, "submit the hour & expense report"),
                         every=p.report_reminder_every,
                         on_remind=lambda _n: self._mail(MailKind.REPORT_REMINDER, self._to_defender(),
                                                         actions=["submit_report"]),
                         escalate_after=p.report_escalate_after, on_escalate=self._escalate("report"))
        self._set_stage(CaseStage.PAYMENT)

    def _pending_report(self) -> SubmittedReport | None:
        return next((r for r in self.s.reports if r.status == "submitted"), None)

    # --------------------------------------------------------------------------------- PAYMENT stage
    async def _payment(self) -> None:
        p = self.policy
        report = self._pending_report()
        if report is None:  # defensive: nothing to review, go back to work
            self._set_stage(CaseStage.ASSIGNMENT)
            return
        ctx = {"report_number": report.number, "kind": report.report.kind.value}
        await self._mail(MailKind.REPORT_RECEIVED, self._to_staff(), ctx)
        await self._mail(MailKind.REPORT_RECEIVED, self._to_defender(), ctx)
        await self._wait(lambda: report.status != "submitted",
                         who=lambda: ("staff", None, f"review report {report.number}"),
                         every=p.report_review_reminder_every, on_remind=self._remind_staff(f"report {report.number}"),
                         escalate_after=p.report_review_escalate_after,
                         on_escalate=self._escalate(f"report {report.number}"))
        if report.status == "changes_requested":
            await self._mail(MailKind.REPORT_CHANGES_REQUESTED, self._to_defender(),
                             {**ctx, "reasons": "\n".join(report.change_reasons)}, actions=["submit_report"])
            self._set_stage(CaseStage.ASSIGNMENT)
            return
        approved = next(a for a in self.s.approved if a.number == report.number)
        await self._pay_defender(approved)
        await self._invoice_advocate(approved)
        await self._mail(MailKind.REPORT_APPROVED, self._to_defender(),
                         {**ctx, "payout": approved.priced.payout_total.format()})
        if report.report.kind is ReportKind.FINAL:
            self.s.final_approved = True
            self._set_stage(CaseStage.EVALUATION)
        else:
            self._set_stage(CaseStage.ASSIGNMENT)

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
                step=f"payout for report {approved.number}")
            self.s.payouts.append(PayoutState(report_number=approved.number, method="stripe_connect", amount=amount,
                                              status="paid", reference=ref.transfer_id,
                                              requested_at=workflow.now()))
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
            step=f"invoice for report {approved.number}")
        self.s.invoices.append(InvoiceState(report_number=approved.number, invoice_id=ref.invoice_id,
                                            number=ref.number, status=ref.status, amount_due=ref.amount_due,
                                            hosted_invoice_url=ref.hosted_invoice_url, issued_at=workflow.now(),
                                            due_date=ref.due_date))
        self._event(f"invoice {ref.number or ref.invoice_id} sent: {ref.amount_due.format()}")
        self._apply_orphan_invoice_events()
        self._money_changed()
        await self._mail(MailKind.INVOICE_SENT, self._to_advocate(),
                         {"amount": ref.amount_due.format(), "invoice_number": ref.number,
                          "hosted_invoice_url": ref.hosted_invoice_url,
                          "due_date": ref.due_date.isoformat() if ref.due_date else None},
                         attach_ledes_report=approved.number)

    # ------------------------------------------------------------------------------ EVALUATION stage
    async def _evaluation(self) -> None:
        p = self.policy
        if self.s.evaluation_started_at is None:
            self.s.evaluation_started_at = workflow.now()
            await self._mail(MailKind.EVALUATION_REQUEST, self._to_advocate(),
                             actions=["evaluate", "report_outcome"] if self.s.outcome is None else ["evaluate"])
            await self._mail(MailKind.EVALUATION_REQUEST, self._to_defender(), actions=["evaluate"])
        start = self.s.evaluation_started_at
        self._who = self._evaluation_who
        self._since = start
        while True:
            self._check_cancel()
            now = workflow.now()
            eval_deadline = start + p.evaluation_reminder_every * (p.evaluation_reminders_max + 1)
            evals_open = len(self.s.evaluations) < 2 and now < eval_deadline
            if self.s.outcome is None and now >= start + p.outcome_wait_max:
                self.s.outcome = Outcome(result=OutcomeResult.UNKNOWN, notes="not reported within the policy")
                self._event("outcome not reported in time; recorded as unknown")
            if not evals_open and self.s.outcome is not None and self._money_settled():
                break
            timers: list[datetime] = []
            if evals_open:
                timers.append(eval_deadline if self.s.evaluation_reminders >= p.evaluation_reminders_max
                              else start + p.evaluation_reminder_every * (self.s.evaluation_reminders + 1))
            if self.s.outcome is None:
                timers.append(min(start + p.outcome_reminder_every * (self.s.outcome_reminders + 1),
                                  start + p.outcome_wait_max))
            version = self._version
            timeout = max(min(timers) - now, timedelta(seconds=1)) if timers else None
            try:
                await workflow.wait_condition(lambda v=version: self._version != v or self._cancel_pending(),
                                              timeout=timeout)
            except TimeoutError:
                await self._evaluation_reminders(start)
            if self._should_continue_as_new():
                raise _ContinueAsNew
        self._who = None
        for role in ("advocate", "defender"):
            if role not in self.s.evaluations:
                self._event(f"no evaluation from the {role}")
        await self._mail(MailKind.CASE_CLOSED, self._to_advocate())
        await self._mail(MailKind.CASE_CLOSED, self._to_defender())
        self._set_stage(CaseStage.CLOSED)

    async def _evaluation_reminders(self, start: datetime) -> None:
        p = self.policy
        now = workflow.now()
        if (len(self.s.evaluations) < 2 and self.s.evaluation_reminders < p.evaluation_reminders_max
                and now >= start + p.evaluation_reminder_every * (self.s.evaluation_reminders + 1)):
            self.s.evaluation_reminders += 1
            if "advocate" not in self.s.evaluations:
                await self._mail(MailKind.EVALUATION_REMINDER, self._to_advocate(), actions=["evaluate"])
            if "defender" not in self.s.evaluations:
                await self._mail(MailKind.EVALUATION_REMINDER, self._to_defender(), actions=["evaluate"])
        if (self.s.outcome is None and now < start + p.outcome_wait_max
                and now >= start + p.outcome_reminder_every * (self.s.outcome_reminders + 1)):
            self.s.outcome_reminders += 1
            await self._mail(MailKind.OUTCOME_REMINDER, self._to_advocate(), actions=["report_outcome"])

    def _evaluation_who(self) -> Who:
        missing = [r for r in ("advocate", "defender") if r not in self.s.evaluations]
        if missing:
            return (" and ".join(missing), None, "evaluate the facilitation")
        if self.s.outcome is None:
            return ("advocate", self.req.advocate.id, "report the case outcome")
        return ("advocate", self.req.advocate.id, "pay the open invoice")

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() >= self.policy.continue_as_new_after_events)

    # ------------------------------------------------------------------------- money in the background
    async def _collect_money(self) -> None:
        """Dunning for open invoices and reminders for manual payouts, beside whatever stage runs."""
        while not self.s.stage.terminal:
            due = self._next_money_timer()
            version = self._version
            timeout = None if due is None else max(due - workflow.now(), timedelta(seconds=1))
            try:
                await workflow.wait_condition(lambda v=version: self.s.stage.terminal or self._version != v,
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
        invoices = self.s.invoices
        if invoices:
            statuses = {i.status for i in invoices}
            worst = next((s for s in ("payment_failed", "open", "draft", "uncollectible", "paid", "void")
                          if s in statuses), "open")
            currency = invoices[0].amount_due.currency
            invoiced = total([i.amount_due for i in invoices if i.status != "void"], currency)
            self._upsert(sa.INVOICE_STATUS.value_set(worst), sa.INVOICE_AMOUNT.value_set(invoiced.amount))
        workflow.set_current_details(self._details())

    # ---------------------------------------------------------------------------------- cancellation
    def _check_cancel(self) -> None:
        if self._cancel_pending():
            raise _Cancelled

    def _cancel_pending(self) -> bool:
        return self.s.cancel is not None and not self._cancelling

    async def _cancel_case(self) -> None:
        self._cancelling = True
        cancel = self.s.cancel
        assert cancel is not None
        self._who = None
        env = self.s.envelope
        if env is not None and env.status == "sent":
            done = await self._act(ActivityName.VOID_ENVELOPE,
                                   VoidEnvelope(envelope_id=env.envelope_id, reason="Case cancelled by JiM"),
                                   None, summary=f"Void DocuSign envelope {self.req.case_id}", step="void envelope",
                                   blocking=False)
            if done is not _FAILED:
                env.status = "voided"
        for inv in self.s.invoices:
            if inv.status in ("draft", "open", "payment_failed"):
                ref = await self._act(ActivityName.VOID_INVOICE,
                                      VoidInvoice(workflow_id=self._wid, invoice_id=inv.invoice_id), InvoiceRef,
                                      summary=f"Void Stripe invoice {self.req.case_id} · {inv.amount_due.format()}",
                                      step="void invoice", blocking=False)
                if ref is not _FAILED:
                    inv.status = ref.status
        self._money_changed()
        ctx = {"reason": cancel.reason}
        await self._mail(MailKind.CASE_CANCELLED, self._to_advocate(), ctx)
        if self.s.defender is not None:
            await self._mail(MailKind.CASE_CANCELLED, self._to_defender(), ctx)
        await self._mail(MailKind.CASE_CANCELLED, self._to_staff(), ctx)
        self._set_stage(CaseStage.CANCELLED)

    # ------------------------------------------------------------------------------------ activities
    async def _act(self, name: str, arg: Any, result_type: type[T] | None, *, summary: str, step: str,
                   blocking: bool = True) -> Any:
        """Run an activity; a refusal for good raises NeedsAttention and waits for staff's retry or cancel.

        With ``blocking=False`` (mail, clean-up on cancel) the failure is recorded for staff and the case
        goes on; the caller receives ``_FAILED``.
        """
        opts = OPTIONS[name]
        while True:
            try:
                return await workflow.execute_activity(
                    name, arg, result_type=result_type, task_queue=opts.task_queue,
                    start_to_close_timeout=opts.start_to_close, schedule_to_close_timeout=opts.schedule_to_close,
                    retry_policy=opts.retry, summary=summary)
            except ActivityError as err:
                cause = err.cause
                if isinstance(cause, ApplicationError):
                    etype = cause.type or "ApplicationError"
                else:
                    etype = type(cause).__name__ if cause else "ActivityError"
                message = cause.message if cause is not None else str(err)
                workflow.logger.warning("step failed", extra={"case_id": self.req.case_id, "step": step,
                                                              "error_type": etype})
                if not blocking:
                    self._flag(Attention(step=step, error_type=etype, message=message, since=workflow.now(),
                                         blocking=False))
                    return _FAILED
                await self._needs_attention(step, etype, message)

    async def _needs_attention(self, step: str, etype: str, message: str) -> None:
        self._flag(Attention(step=step, error_type=etype, message=message, since=workflow.now()))
        self.s.retry_requested = False
        ctx = {"step": step, "error": f"{etype}: {message}"}
        await self._mail(MailKind.NEEDS_ATTENTION, self._to_staff(), ctx)
        await self._wait(lambda: self.s.retry_requested,
                         who=lambda: ("staff", None, f"fix '{step}' and retry, or cancel"),
                         every=self.policy.attention_reminder_every,
                         on_remind=lambda _n: self._mail(MailKind.NEEDS_ATTENTION, self._to_staff(), ctx))
        self.s.retry_requested = False
        self.s.attention = None
        self._upsert(sa.NEEDS_ATTENTION.value_set(False))
        self._event(f"retrying {step}")

    def _flag(self, attention: Attention) -> None:
        if self.s.attention is not None and self.s.attention.blocking and not attention.blocking:
            return  # a blocking problem already has staff's attention
        self.s.attention = attention
        self._upsert(sa.NEEDS_ATTENTION.value_set(True))
        self._event(f"needs attention: {attention.step} ({attention.error_type})")

    async def _mail(self, kind: MailKind, to: MailTo, context: dict[str, Any] | None = None, *,
                    actions: list[str] | None = None, attach_ledes_report: int | None = None) -> None:
        self.s.mail_seq += 1
        ctx = {"case_id": self.req.case_id, "country": self.req.country,
               "advocate_name": self.req.advocate.name,
               "defender_name": self.s.defender.name if self.s.defender else None, **(context or {})}
        links = [PortalAction(action=a, role=to.role, party_id=to.party_id, case_id=self.req.case_id)  # type: ignore[arg-type]
                 for a in actions or []]
        mail = SendMail(idempotency_key=idempotency_key(self._wid, "mail", self.s.mail_seq, kind.value),
                        kind=kind, case_id=self.req.case_id, to=to, context=ctx, actions=links,
                        attach_ledes_report=attach_ledes_report)
        # Mail never holds the case up: it goes out beside the next step (its completion then shares a
        # workflow task with other events), and ``_mail_drained`` is awaited before the case closes.
        task = asyncio.create_task(self._act(
            ActivityName.SEND_MAIL, mail, None, summary=f"Email {kind.value} to {to.role.value} {to.party_id}",
            step=f"mail {kind.value}", blocking=False))
        self._mail_tasks.add(task)
        task.add_done_callback(self._mail_tasks.discard)

    def _mail_drained(self) -> bool:
        return not self._mail_tasks

    def _to_advocate(self) -> MailTo:
        a = self.req.advocate
        return MailTo(role=Role.ADVOCATE, party_id=a.id, email=a.email, name=a.name, language=a.language)

    def _to_defender(self) -> MailTo:
        d = self.s.defender
        assert d is not None
        return MailTo(role=Role.DEFENDER, party_id=d.id, email=d.email, name=d.name, language=d.language)

    def _to_staff(self) -> MailTo:
        return MailTo(role=Role.STAFF, party_id="coordinators")

    def _to_finance(self) -> MailTo:
        return MailTo(role=Role.FINANCE, party_id="finance")

    def _remind_staff(self, what: str) -> Callable[[int], Awaitable[None]]:
        return lambda n: self._mail(MailKind.REVIEW_REMINDER, self._to_staff(), {"what": what, "reminder": n})

    def _escalate(self, step: str) -> Callable[[], Awaitable[None]]:
        async def escalate() -> None:
            who = self._who() if self._who else ("", None, step)
            self._event(f"escalated to staff: {step}")
            await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                             {"step": step, "reason": f"waiting on {who[0]} to {who[2]}"})
        return escalate

    # ---------------------------------------------------------------------------------------- waiting
    async def _wait(self, done: Callable[[], bool], *, who: Callable[[], Who],
                    every: timedelta | None = None, on_remind: Callable[[int], Awaitable[None]] | None = None,
                    escalate_after: timedelta | None = None, on_escalate: Callable[[], Awaitable[None]] | None = None,
                    deadline: timedelta | None = None) -> bool:
        """Wait for ``done`` with reminders every ``every`` and one escalation; False if ``deadline`` passed."""
        prev = (self._who, self._since)
        self._who, self._since = who, workflow.now()
        since = self._since
        role, party, what = who()
        self.s.waiting = Waiting(role=role, party_id=party, what=what, since=since)
        reminders = 0
        escalated = False
        try:
            while True:
                self._check_cancel()
                if done():
                    return True
                elapsed = workflow.now() - since
                marks: list[timedelta] = []
                if every is not None and on_remind is not None:
                    marks.append(every * (reminders + 1))
                if escalate_after is not None and on_escalate is not None and not escalated:
                    marks.append(escalate_after)
                if deadline is not None:
                    marks.append(deadline)
                timeout = max(min(marks) - elapsed, timedelta(seconds=1)) if marks else None
                try:
                    await workflow.wait_condition(lambda: done() or self._cancel_pending(), timeout=timeout,
                                                  timeout_summary=what[:60])
                except TimeoutError:
                    elapsed = workflow.now() - since
                    if deadline is not None and elapsed >= deadline:
                        return False
                    if (escalate_after is not None and on_escalate is not None and not escalated
                            and elapsed >= escalate_after):
                        escalated = True
                        await on_escalate()
                    if every is not None and on_remind is not None and elapsed >= every * (reminders + 1):
                        reminders += 1
                        await on_remind(reminders)
        finally:
            self._who, self._since = prev
            self.s.waiting = None

    # ---------------------------------------------------------------------------- state bookkeeping
    @property
    def _wid(self) -> str:
        return workflow.info().workflow_id

    def _event(self, event: str, actor: str | None = None) -> None:
        self.s.timeline.append(TimelineEntry(at=workflow.now(), stage=self.s.stage, event=event, actor=actor))
        if len(self.s.timeline) > MAX_TIMELINE:
            del self.s.timeline[1: len(self.s.timeline) - MAX_TIMELINE + 1]
        self._version += 1

    def _set_stage(self, stage: CaseStage) -> None:
        self.s.stage = stage
        self._event(f"stage {stage.value}")
        self._upsert(sa.CASE_STAGE.value_set(stage.value))
        workflow.set_current_details(self._details())

    def _upsert(self, *updates: Any) -> None:
        workflow.upsert_search_attributes(list(updates))

    def _upsert_all(self) -> None:
        updates = [sa.CASE_STAGE.value_set(self.s.stage.value), sa.CASE_COUNTRY.value_set(self.req.country),
                   sa.ADVOCATE_ID.value_set(self.req.advocate.id),
                   sa.NEEDS_ATTENTION.value_set(self.s.attention is not None)]
        if self.s.defender is not None:
            updates.append(sa.DEFENDER_ID.value_set(self.s.defender.id))
        self._upsert(*updates)
        workflow.set_current_details(self._details())

    def _seen(self, event_id: str) -> bool:
        if event_id in self.s.seen_events:
            return True
        self.s.seen_events.append(event_id)
        if len(self.s.seen_events) > MAX_SEEN_EVENTS:
            del self.s.seen_events[: len(self.s.seen_events) - MAX_SEEN_EVENTS]
        return False

    def _details(self) -> str:
        """Markdown for the Temporal UI's current details: stage and the money trail, ids and amounts only."""
        lines = [f"**{self.req.case_id}** · {self.s.stage.value} · {self.req.country}"]
        if self.s.defender:
            lines.append(f"Defender `{self.s.defender.id}` · Advocate `{self.req.advocate.id}`")
        if self.s.invoices or self.s.payouts:
            lines += ["", "| money | report | amount | status | ref |", "|---|---|---|---|---|"]
            lines += [f"| invoice | {i.report_number} | {i.amount_due.format()} | {i.status} | "
                      f"{i.number or i.invoice_id} |" for i in self.s.invoices]
            lines += [f"| payout ({p.method}) | {p.report_number} | {p.amount.format()} | {p.status} | "
                      f"{p.reference or '—'} |" for p in self.s.payouts]
        if self.s.attention:
            lines.append(f"\n⚠ needs attention: {self.s.attention.step} ({self.s.attention.error_type})")
        return "\n".join(lines)

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
            env.status = "completed"
            for rid in CONTRACT_SIGNERS.values():
                if rid not in env.signed:
                    env.signed.append(rid)
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
            self._event(f"accepted; offered to {msg.defender_id}", str(msg.actor))
            return self._receipt(f"offered to {msg.defender_id}")
        self._event("declined by JiM", str(msg.actor))
        return self._receipt("case declined")

    @review_case.validator
    def _v_review_case(self, payload: Any) -> None:
        msg = rules.parse(ReviewCase, payload)
        rules.review_case(self.req, self.s, msg)

    @workflow.update(name=Update.RESPOND_TO_ASSIGNMENT)
    def respond_to_assignment(self, payload: Any) -> Receipt:
        msg = rules.parse(RespondToAssignment, payload)
        self.s.defender_accepted = msg.accept
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
        self.s.reports.append(SubmittedReport(number=number, report=msg.report, submitted_by=msg.actor))
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
            self._price(msg)

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
        self.s.attention = None
        self._upsert(sa.NEEDS_ATTENTION.value_set(False))
        return self._receipt(f"cleared: {attention.step}")

    @retry_step.validator
    def _v_retry(self, payload: Any) -> None:
        msg = rules.parse(RetryStep, payload)
        rules.retry_step(self.req, self.s, msg)

    # ----------------------------------------------------------------------------------------- query
    @workflow.query(name="status")
    def status(self) -> CaseStatus:
        s = self.s
        waiting = s.waiting
        if self._who is not None and self._since is not None and not s.stage.terminal:
            role, party, what = self._who()
            waiting = Waiting(role=role, party_id=party, what=what, since=self._since)
        return CaseStatus(
            case_id=self.req.case_id, stage=s.stage, country=self.req.country, advocate_id=self.req.advocate.id,
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
            timeline=s.timeline, history_events=workflow.info().get_current_history_length())

    def _money_figures(self) -> MoneyFigures:
        inv = [i for i in self.s.invoices if i.status != "void"]
        figures: dict[str, Money | None] = {}
        if inv:
            cur = inv[0].amount_due.currency
            figures["invoiced"] = total([i.amount_due for i in inv], cur)
            figures["paid"] = total([i.amount_due for i in inv if i.status == "paid"], cur)
            figures["outstanding"] = total([i.amount_due for i in inv if i.status != "paid"], cur)
        if self.s.payouts:
            cur = self.s.payouts[0].amount.currency
            figures["paid_out"] = total([p.amount for p in self.s.payouts if p.status == "paid"], cur)
            figures["payout_pending"] = total([p.amount for p in self.s.payouts if p.status == "pending"], cur)
        return MoneyFigures(**figures)


_FAILED: Any = object()
