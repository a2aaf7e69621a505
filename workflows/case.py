"""CaseFacilitationWorkflow: one Case Facilitation from the Advocate's request to CLOSED.

The run loop dispatches on ``state.stage``; each stage method reads and writes only ``self.s`` (a pydantic
``CaseState``), so the whole case can continue-as-new and resume where it stood. People act through
validated updates, providers through deduplicated signals; every wait has reminders and an escalation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac import search_attributes as sa
    from casefac.activity_io import (
        CONTRACT_SIGNERS,
        ActivityName,
        EnvelopeRef,
        InvoiceRef,
        LoadRoster,
        MailKind,
        MailTo,
        RosterSnapshot,
        SendContractEnvelope,
        StoredDocuments,
        StoreSignedDocuments,
        VoidEnvelope,
        VoidInvoice,
    )
    from casefac.case import CaseStage
    from casefac.contract import REQUIRED_APPROVALS
    from casefac.contract_draft import draft_revision
    from casefac.evaluation import Outcome, OutcomeResult
    from casefac.events import (
        AgreementRequest,
    )
    from casefac.parties import Role
    from casefac.report import ReportKind, SubmittedReport
    from casefac.state import (
        CaseInput,
        EnvelopeState,
        InvoiceStatusChange,
        Offer,
        TaskState,
    )
    from casefac.status import CaseStatus


from workflows.case_core import FAILED, CaseCancelled, ContinueAsNewNow, Who
from workflows.case_messages import CaseMessages

#: ``workflow.patched`` id: the signed contract is archived beside the Assignment stage, not before it.
STORE_DOCUMENTS_BESIDE_PATCH = "store-documents-beside"
#: ``workflow.patched`` id: the Defender's payout and the Advocate's invoice are issued side by side.
PAYOUT_BESIDE_INVOICE_PATCH = "payout-beside-invoice"


@workflow.defn(name="CaseFacilitationWorkflow")
class CaseFacilitationWorkflow(CaseMessages):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._setup(inp)

    # ------------------------------------------------------------------------------------------ run
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        if inp.state is None:
            self._event("opened", str(self.req.opened_by))
        self._upsert_all()
        collector = asyncio.create_task(self._collect_money())
        recorder = asyncio.create_task(self._keep_record()) if self._keeps_record() else None
        if inp.state is None:
            self._milestone()  # the case is open: its id is taken in the record from now on
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
        except CaseCancelled:
            await self._cancel_case()
        except ContinueAsNewNow:
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._collector_busy
                                          and self._beside_done())
            self.s.runs += 1
            workflow.continue_as_new(CaseInput(request=self.req, policy=self.policy, state=self.s))
        await workflow.wait_condition(lambda: collector.done() or not self._collector_busy)
        collector.cancel()
        await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self._beside_done())
        if recorder is not None:
            await workflow.wait_condition(self._record_done)
            recorder.cancel()
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
                self.s.offers.append(Offer(defender_id=defender.id, offered_at=self.s.offer_sent_at,
                                           override=self._override))
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
            offer = self.s.offers[-1] if self.s.offers and self.s.offers[-1].defender_id == defender.id else None
            if offer is not None:
                offer.result = ("accepted" if self.s.defender_accepted else "declined") if answered else "no_answer"
                offer.answered_at = workflow.now()
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
        recipients: list[tuple[MailTo, list[str]]] = []
        if "advocate" in role:
            recipients.append((self._to_advocate(), [] if "Agreement" in what else ["review_contract"]))
        if "defender" in role:
            recipients.append((self._to_defender(), ["review_contract"]))
        if "staff" in role:
            recipients.append((self._to_staff(), []))
        await self._mail_many(MailKind.CONTRACT_REMINDER, recipients, {"what": what})

    async def _notify_contract_parties(self, kind: MailKind, extra: dict[str, Any] | None = None) -> None:
        ctx = {"revision": self._current.number, **(extra or {})}
        await self._mail_many(kind, [(self._to_advocate(), ["review_contract"]),
                                     (self._to_defender(), ["review_contract"]), (self._to_staff(), [])], ctx)

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
            if workflow.patched(STORE_DOCUMENTS_BESIDE_PATCH):
                # The Defender starts work now; archiving the signed PDFs runs beside (a failure there is
                # flagged for staff, and the case does not close before it has finished).
                self._beside(self._store_signed_contract(envelope, rev.number, blocking=False))
            else:  # cases started before the patch stored the documents first (replay)
                await self._store_signed_contract(envelope, rev.number, blocking=True)
            self._event(f"contract revision {rev.number} signed by all three")
            await self._notify_contract_parties(MailKind.CONTRACT_SIGNED)
            self._set_stage(CaseStage.ASSIGNMENT)
            return True
        rev.approvals.clear()
        self._version += 1
        self._event(f"contract envelope {envelope.status}; back to editing")
        await self._notify_contract_parties(MailKind.CONTRACT_RETURNED, {"reason": self._envelope_reason})
        return False

    async def _store_signed_contract(self, envelope: EnvelopeState, revision: int, *, blocking: bool) -> None:
        docs = await self._act(
            ActivityName.STORE_SIGNED_DOCUMENTS,
            StoreSignedDocuments(case_id=self.req.case_id, envelope_id=envelope.envelope_id,
                                 label=f"contract-r{revision}"),
            StoredDocuments, summary=f"Signed contract {self.req.case_id} · revision {revision}",
            step="store signed contract", blocking=blocking)
        if docs is not FAILED:
            envelope.documents_uri = docs.combined_uri

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
            await self._mail_many(MailKind.ASSIGNMENT_STARTED,
                                  [(self._to_defender(), ["update_task", "submit_report"]), (self._to_advocate(), [])],
                                  {"tasks": len(self.s.tasks)})
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
        await self._mail_many(MailKind.REPORT_RECEIVED, [(self._to_staff(), []), (self._to_defender(), [])], ctx)
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
        if workflow.patched(PAYOUT_BESIDE_INVOICE_PATCH):
            # Independent calls: neither waits for the other (nor for the other's trouble with staff).
            await self._together(self._pay_defender(approved), self._invoice_advocate(approved))
        else:  # cases that reached this point before the patch paid out first, then invoiced (replay)
            await self._pay_defender(approved)
            await self._invoice_advocate(approved)
        await self._mail(MailKind.REPORT_APPROVED, self._to_defender(),
                         {**ctx, "payout": approved.priced.payout_total.format()})
        if report.report.kind is ReportKind.FINAL:
            self.s.final_approved = True
            self._set_stage(CaseStage.EVALUATION)
        else:
            self._set_stage(CaseStage.ASSIGNMENT)

    # ------------------------------------------------------------------------------ EVALUATION stage
    async def _evaluation(self) -> None:
        p = self.policy
        if self.s.evaluation_started_at is None:
            self.s.evaluation_started_at = workflow.now()
            await self._mail_many(MailKind.EVALUATION_REQUEST, [
                (self._to_advocate(), ["evaluate", "report_outcome"] if self.s.outcome is None else ["evaluate"]),
                (self._to_defender(), ["evaluate"])])
        start = self.s.evaluation_started_at
        self._who = self._evaluation_who
        self._since = start
        self._sync_waiting()
        while True:
            self._check_cancel()
            now = workflow.now()
            eval_deadline = start + p.evaluation_reminder_every * (p.evaluation_reminders_max + 1)
            evals_open = len(self.s.evaluations) < 2 and now < eval_deadline
            if self.s.outcome is None and now >= start + p.outcome_wait_max:
                self.s.outcome = Outcome(result=OutcomeResult.UNKNOWN, notes="not reported within the policy")
                self.s.outcome_at = now
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
                raise ContinueAsNewNow
        self._who = None
        for role in ("advocate", "defender"):
            if role not in self.s.evaluations:
                self._event(f"no evaluation from the {role}")
        await self._mail_many(MailKind.CASE_CLOSED, [(self._to_advocate(), []), (self._to_defender(), [])])
        self._set_stage(CaseStage.CLOSED)

    async def _evaluation_reminders(self, start: datetime) -> None:
        p = self.policy
        now = workflow.now()
        if (len(self.s.evaluations) < 2 and self.s.evaluation_reminders < p.evaluation_reminders_max
                and now >= start + p.evaluation_reminder_every * (self.s.evaluation_reminders + 1)):
            self.s.evaluation_reminders += 1
            late = [(to(), ["evaluate"]) for role, to in (("advocate", self._to_advocate),
                                                          ("defender", self._to_defender))
                    if role not in self.s.evaluations]
            await self._mail_many(MailKind.EVALUATION_REMINDER, late)
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
            if done is not FAILED:
                env.status = "voided"
        for inv in self.s.invoices:
            if inv.status in ("draft", "open", "payment_failed"):
                ref = await self._act(ActivityName.VOID_INVOICE,
                                      VoidInvoice(workflow_id=self._wid, invoice_id=inv.invoice_id), InvoiceRef,
                                      summary=f"Void Stripe invoice {self.req.case_id} · {inv.amount_due.format()}",
                                      step="void invoice", blocking=False)
                if ref is not FAILED:
                    inv.status = ref.status
                    inv.history = [*inv.history, InvoiceStatusChange(status=ref.status, at=workflow.now())]
        self._money_changed()
        ctx = {"reason": cancel.reason}
        told = [self._to_advocate(), *([self._to_defender()] if self.s.defender else []), self._to_staff()]
        await self._mail_many(MailKind.CASE_CANCELLED, [(to, []) for to in told], ctx)
        self._set_stage(CaseStage.CANCELLED)
