"""CaseFacilitationWorkflow: one Case Facilitation from the Advocate's request to CLOSED.

The run loop dispatches on ``state.stage``; each stage method reads and writes only ``self.s`` (a pydantic
``CaseState``), so the whole case can continue-as-new and resume where it stood. People act through
validated updates, providers through deduplicated signals; every wait has reminders and an escalation.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac import search_attributes as sa
    from casefac import timezones
    from casefac.activity_io import (
        CONTRACT_SIGNERS,
        ActivityName,
        ConfirmAgreement,
        EnvelopeRef,
        EnvelopeTruth,
        GetEnvelopeStatus,
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
        AgreementSigned,
        AgreementWithdrawal,
        Signal,
    )
    from casefac.ids import advocate_workflow_id
    from casefac.parties import Defender, Role
    from casefac.report import ReportKind, SubmittedReport
    from casefac.state import (
        ApprovedReport,
        CaseInput,
        EnvelopeState,
        InvoiceStatusChange,
        Offer,
        TaskState,
    )
    from casefac.status import CaseStatus
    from workflows import rules


from workflows.case_core import FAILED, CaseCancelled, ContinueAsNewNow, Who
from workflows.case_messages import CaseMessages
from workflows.contract_signing import (
    AGREEMENT_CONFIRM_AGAIN_PATCH,
    AGREEMENT_RECHECKS,
    AGREEMENT_WITHDRAW_PATCH,
    CONTRACT_CLOCK_PATCH,
    CONTRACT_FROZEN_PATCH,
    ENVELOPE_CONFIRM_PATCH,
    RECONCILE_AFTER,
)
from workflows.guard_staff import carried_policy, require_guard

#: ``workflow.patched`` id: the signed contract is archived beside the Assignment stage, not before it.
STORE_DOCUMENTS_BESIDE_PATCH = "store-documents-beside"
#: ``workflow.patched`` id: the Defender's payout and the Advocate's invoice are issued side by side.
PAYOUT_BESIDE_INVOICE_PATCH = "payout-beside-invoice"
#: ``workflow.patched`` id (review C2, issue 12.3): a report over a contract or budget cap is flagged to staff when
#: it arrives, and an approval over a cap (with its reason) is told to finance before the money moves.
CAPS_PATCH = "caps-enforced"
#: ``workflow.patched`` id (review M5): a cancel settles the money: voids are blocking, a payment racing the cancel
#: is recorded and opens a staff decision, and the case closes only when invoices and payouts are settled.
CANCEL_SETTLES_PATCH = "cancel-settles-money"
#: ``workflow.patched`` id: the offer's deadline is the Defender's local end of day after N business days, with a
#: reminder at half the window, and a lapse no longer bars the Defender (review M8, m22).
LOCAL_DEADLINES_PATCH = "local-deadlines"
#: ``workflow.patched`` id: a cancel accepted during the previous step sends no "assignment started" or "please
#: evaluate" before "case cancelled" (m9).
NO_NOTICE_AFTER_CANCEL_PATCH = "no-notice-after-cancel"
#: ``workflow.patched`` id: the Defender's report reminders go out in their working hours (review M8).
LOCAL_REMINDERS_PATCH = "local-reminders"


@workflow.defn(name="CaseFacilitationWorkflow")
class CaseFacilitationWorkflow(CaseMessages):
    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self._setup(inp)

    # ------------------------------------------------------------------------------------------ run
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseStatus:
        require_guard(self)  # S2: a case that needs signed staff updates never runs unguarded
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
                # A stage transition is a natural point to start afresh when history is long (review M2).
                if not self.s.stage.terminal and self._may_continue_as_new():
                    raise ContinueAsNewNow
        except CaseCancelled:
            await self._cancel_case()
        except ContinueAsNewNow:
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._collector_busy
                                          and self._beside_done())
            self.s.runs += 1
            workflow.continue_as_new(CaseInput(request=self.req, policy=carried_policy(self), state=self.s))
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
        if self.s.defender is None or self.s.offer_sent_at is None:  # a resumed open offer needs no roster
            await self._refresh_roster()
        while True:
            if self.s.review is None:
                await self._wait(lambda: self.s.review is not None,
                                 who=lambda: ("staff", None, "review the case and assign a Defender"),
                                 every=p.review_reminder_every, on_remind=self._remind_staff("review"),
                                 escalate_after=p.review_escalate_after, on_escalate=self._escalate("review"),
                                 key="review")
            decision = self.s.review
            assert decision is not None
            if decision.decision == "decline":
                await self._mail(MailKind.CASE_DECLINED, self._to_advocate(), {"reason": decision.reason})
                self._set_stage(CaseStage.DECLINED)
                return
            defender = self.s.defender
            assert defender is not None
            if self.s.offer_sent_at is None:
                await self._send_offer(defender)
            answered = await self._offer_answered(defender)
            offer = self.s.offers[-1] if self.s.offers and self.s.offers[-1].defender_id == defender.id else None
            if offer is not None:
                offer.result = ("accepted" if self.s.defender_accepted else "declined") if answered else "no_answer"
                offer.answered_at = workflow.now()
            if answered and self.s.defender_accepted:
                self._event(f"Defender {defender.id} accepted", f"defender:{defender.id}")
                self.s.roster = []  # other Defenders' details are not carried for the rest of the case (M2)
                self._clear_offer()
                await self._mail(MailKind.ASSIGNMENT_CONFIRMED, self._to_advocate())
                self._set_stage(CaseStage.AGREEMENT)
                return
            await self._offer_refused(defender, answered, offer)
            await self._refresh_roster()

    async def _send_offer(self, defender: Defender) -> None:
        """The offer and its deadline: the Defender's local end of day, business days only (review M8)."""
        p = self.policy
        now = workflow.now()
        self.s.offer_sent_at = now
        self.s.offer_reminded = False
        self.s.offer_mail_failed = False
        zone_name = self._defender_tz()
        if p.answer_in_business_days and workflow.patched(LOCAL_DEADLINES_PATCH):
            self.s.offer_deadline = timezones.answer_by(now, max(p.defender_answer_window.days, 1), zone_name)
            answer_by = timezones.local_date(self.s.offer_deadline, zone_name).isoformat()
        else:  # cases offered before the patch: a plain duration, written as a UTC date (replay)
            self.s.offer_deadline = None
            answer_by = (now + p.defender_answer_window).date().isoformat()
        self.s.offers.append(Offer(defender_id=defender.id, offered_at=now, override=self._override,
                                   answer_by=self.s.offer_deadline, zone=zone_name))
        self._upsert(sa.DEFENDER_ID.value_set(defender.id))
        ctx: dict[str, Any] = {"answer_by": answer_by,
                               "services": ", ".join(s.value for s in self.req.services),
                               "deadline": self.req.deadline.isoformat() if self.req.deadline else None}
        if self.s.offer_deadline is not None:
            ctx["answer_by_time"] = f"{timezones.local(self.s.offer_deadline, zone_name):%H:%M}"
            ctx["answer_by_zone"] = zone_name
        await self._mail(MailKind.ASSIGNMENT_OFFER, self._to_defender(), ctx, actions=["respond_assignment"])

    async def _offer_answered(self, defender: Defender) -> bool:
        """Wait for the Defender's answer until the deadline; a reminder at half the window (m22); a failed offer
        email holds the clock until staff retry (the offer then goes again with a fresh window, M3)."""
        p = self.policy
        while True:
            if self.s.offer_mail_failed:
                await self._wait(lambda: not self.s.offer_mail_failed or self.s.defender_accepted is not None,
                                 who=lambda: ("staff", None, "correct the Defender's email (casefac amend) and retry"),
                                 every=p.attention_reminder_every, on_remind=self._remind_staff("offer email"),
                                 key="offer-mail")
                continue
            sent = self.s.offer_sent_at
            assert sent is not None
            deadline = self.s.offer_deadline or sent + p.defender_answer_window
            half = sent + (deadline - sent) / 2
            if self.s.offer_deadline is not None and p.reminders_in_working_hours:  # the Defender's hours (M8)
                half = min(timezones.working_time(half, self.s.offers[-1].zone or self._defender_tz()),
                           deadline - (deadline - sent) / 4)
            remind = self.s.offer_deadline is not None and not self.s.offer_reminded and workflow.now() < half
            answered = await self._wait(
                lambda: self.s.defender_accepted is not None or self.s.offer_mail_failed,
                who=lambda d=defender: ("defender", d.id, "accept or decline the assignment"),
                until=half if remind else deadline, key="offer")
            if self.s.defender_accepted is not None:
                return True
            if self.s.offer_mail_failed:
                continue
            if answered:  # cannot happen: done() is one of the two above
                continue
            if remind:
                self.s.offer_reminded = True
                zone_name = self.s.offers[-1].zone if self.s.offers else self._defender_tz()
                await self._mail(MailKind.ASSIGNMENT_OFFER, self._to_defender(),
                                 {"answer_by": timezones.local_date(deadline, zone_name).isoformat(),
                                  "answer_by_time": f"{timezones.local(deadline, zone_name):%H:%M}",
                                  "answer_by_zone": zone_name, "reminder": 1,
                                  "services": ", ".join(s.value for s in self.req.services),
                                  "deadline": self.req.deadline.isoformat() if self.req.deadline else None},
                                 actions=["respond_assignment"])
                continue
            return False

    async def _offer_refused(self, defender: Defender, answered: bool, offer: Offer | None) -> None:
        """Back to review. A decline is said as one, with the Defender's reason, to staff (never "waiting too
        long"); a lapse does not bar the Defender: staff may offer the case again (review M8)."""
        reason = offer.reason if offer is not None and answered else ""
        if answered:
            self._event(f"Defender {defender.id} declined: “{reason[:300]}”; back to review"
                        if reason else f"Defender {defender.id} declined; back to review", f"defender:{defender.id}")
            self.s.declined_defenders.append(defender.id)
        else:
            self._event(f"Defender {defender.id} did not answer in time; back to review (may be offered again)")
            if not workflow.patched(LOCAL_DEADLINES_PATCH):
                self.s.declined_defenders.append(defender.id)
        self.s.review = None
        self.s.defender = None
        self.s.defender_accepted = None
        self._clear_offer()
        self._upsert(sa.DEFENDER_ID.value_unset())
        if answered:
            await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                             {"step": "assignment", "declined_by": defender.id, "decline_reason": reason,
                              "reason": f"Defender {defender.id} declined; assign another"})
        else:
            await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                             {"step": "assignment",
                              "reason": f"Defender {defender.id} did not answer in time; assign another "
                                        "(the same Defender may be offered the case again)"})

    def _clear_offer(self) -> None:
        self.s.offer_sent_at = None
        self.s.offer_deadline = None
        self.s.offer_reminded = False
        self.s.offer_mail_failed = False

    async def _refresh_roster(self) -> None:
        self.s.roster_loading = True  # staff's review waits for the fresh list (m11)
        try:
            snapshot = await self._act(ActivityName.LOAD_ROSTER, LoadRoster(country=self.req.country),
                                       RosterSnapshot, summary=f"Roster for {self.req.country}", step="roster")
        finally:
            self.s.roster_loading = False
        self.s.roster = snapshot.defenders

    # ------------------------------------------------------------------------------- AGREEMENT stage
    async def _agreement(self) -> None:
        p = self.policy
        defender = self.s.defender
        assert defender is not None
        if self.s.agreement.status == "not_requested":
            moved = await self._act(ActivityName.REQUEST_AGREEMENT,
                                    AgreementRequest(case_workflow_id=self._wid, case_id=self.req.case_id,
                                                     advocate=self.req.advocate),
                                    bool | None,  # type: ignore[arg-type]
                                    summary=f"Advocate Agreement for {self.req.advocate.id}", step="agreement")
            if moved:  # security m8: never silently; the entity keeps the Agreement where it was sent
                self._event("this case names other contact details for the Advocate than the Agreement out was "
                            "sent to; staff were asked to confirm (casefac resend … --what agreement moves it)")
            if self.s.agreement.status == "not_requested":
                self.s.agreement.status = "pending"
        if not self.s.revisions:
            self.s.revisions.append(draft_revision(self.req, defender, workflow.now()))
            self._event("contract revision 1 drafted")
        notified = 0
        while True:
            if self.s.agreement.claimed is not None:  # an agreement_signed signal to confirm (security C2 §4)
                await self._confirm_agreement()
                continue
            if self._current.number != notified:
                notified = self._current.number
                await self._notify_contract_parties(MailKind.CONTRACT_REVIEW)
            if self._contract_ready():
                if await self._sign_contract():
                    return
                # CONTRACT_RETURNED already told everyone about this revision: no second review mail (m10).
                notified = self._current.number if self._contract_clocked() else 0
                continue
            await self._wait(lambda n=notified: (self._contract_ready() or self._current.number != n
                                                 or self.s.agreement.claimed is not None),
                             who=self._contract_who, every=p.contract_reminder_every,
                             on_remind=self._remind_contract, **self._contract_escalation())

    def _contract_clocked(self) -> bool:
        """m10: one escalation clock for the contract wait, kept across revisions (a patch, for replay)."""
        return workflow.patched(CONTRACT_CLOCK_PATCH)

    def _contract_escalation(self) -> dict[str, Any]:
        """The contract wait's escalation, measured from the first wait of this round, at most once (m10)."""
        p = self.policy
        if not self._contract_clocked():
            return {"escalate_after": p.contract_escalate_after, "on_escalate": self._escalate("contract")}
        s = self.s
        if s.contract_since is None:
            s.contract_since = workflow.now()
        if s.contract_escalated:
            return {}
        escalate = self._escalate("contract")

        async def once() -> None:
            s.contract_escalated = True
            await escalate()

        left = s.contract_since + p.contract_escalate_after - workflow.now()
        return {"escalate_after": max(left, timedelta(seconds=1)), "on_escalate": once}

    def _signature_escalation(self, envelope: EnvelopeState) -> dict[str, Any]:
        """The signature wait's escalation, from the envelope's sending, not from the last signature (m10)."""
        p = self.policy
        if not self._contract_clocked() or envelope.sent_at is None:
            return {"escalate_after": p.signature_escalate_after, "on_escalate": self._escalate("signature")}
        s = self.s
        if s.signature_escalated:
            return {}
        escalate = self._escalate("signature")

        async def once() -> None:
            s.signature_escalated = True
            await escalate()

        left = envelope.sent_at + p.signature_escalate_after - workflow.now()
        return {"escalate_after": max(left, timedelta(seconds=1)), "on_escalate": once}

    async def _confirm_agreement(self) -> None:
        """Believe ``agreement_signed`` only when the Advocate's entity says so too (security C2 §4)."""
        claim = self.s.agreement.claimed
        assert claim is not None
        again = workflow.patched(AGREEMENT_CONFIRM_AGAIN_PATCH)
        rechecks = iter(AGREEMENT_RECHECKS if again else ())
        told = False
        while True:
            fact = await self._act(ActivityName.CONFIRM_AGREEMENT,
                                   ConfirmAgreement(advocate_id=self.req.advocate.id),
                                   AgreementSigned | None,  # type: ignore[arg-type]
                                   summary=f"Confirm the Advocate Agreement of {self.req.advocate.id}",
                                   step="confirm agreement")
            if not again:
                self.s.agreement.claimed = None
            if self.s.agreement.status == "signed":
                self.s.agreement.claimed = None
                return
            if again and self.s.agreement.claimed is not claim:
                # A newer claim (the entity's next signal) came while asking: ask again about that one.
                claim = self.s.agreement.claimed
                if claim is None:
                    return
                rechecks, told = iter(AGREEMENT_RECHECKS), False
                continue
            if fact is not None and fact.envelope_id == claim.envelope_id:
                break
            pause = next(rechecks, None)
            if pause is None:
                self.s.agreement.claimed = None
                self._event("an 'Advocate Agreement signed' message was not confirmed by the Advocate's entity; "
                            "ignored")
                return
            if not told:  # said once per claim; the case asks again before it gives up on it
                told = True
                self._event("an 'Advocate Agreement signed' message was not confirmed by the Advocate's entity "
                            "yet; asking it again")
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(functools.partial(self._claim_moved, claim), timeout=pause,
                                              timeout_summary="ask the Advocate's entity again")
            if self._cancel_pending():
                self.s.agreement.claimed = None
                return
            if self.s.agreement.claimed is not claim:
                claim = self.s.agreement.claimed
                if claim is None:
                    return
                rechecks, told = iter(AGREEMENT_RECHECKS), False
        self.s.agreement.claimed = None
        self.s.agreement.status = "signed"
        self.s.agreement.envelope_id = fact.envelope_id
        self.s.agreement.signed_at = fact.signed_at
        self._event("Advocate Agreement in force")

    def _claim_moved(self, claim: AgreementSigned) -> bool:
        """The wait before asking the entity again about ``claim`` ends early: a newer claim, in force, cancel."""
        a = self.s.agreement
        return a.claimed is not claim or a.status == "signed" or self._cancel_pending()

    async def _withdraw_agreement(self) -> None:
        """A cancelled case no longer waits for the Agreement: its entity stops working for it (review M4)."""
        if self.s.agreement.status != "pending" or not workflow.patched(AGREEMENT_WITHDRAW_PATCH):
            return
        handle = workflow.get_external_workflow_handle(advocate_workflow_id(self.req.advocate.id))
        try:
            await handle.signal(Signal.WITHDRAW_REQUEST,
                                AgreementWithdrawal(case_workflow_id=self._wid, case_id=self.req.case_id))
        except Exception:  # the entity is gone: nothing waits for this case there
            workflow.logger.info("no Advocate entity to withdraw from", extra={"case_id": self.req.case_id})

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
            # While this case waits for the Agreement, its reminder carries a live signing link (issue 12 item 1).
            recipients.append((self._to_advocate(), ["sign_agreement"] if "Agreement" in what else ["review_contract"]))
        if "defender" in role:
            recipients.append((self._to_defender(), ["review_contract"]))
        if "staff" in role:
            recipients.append((self._to_staff(), []))
        await self._mail_many(MailKind.CONTRACT_REMINDER, recipients, {"what": what})

    async def _notify_contract_parties(self, kind: MailKind, extra: dict[str, Any] | None = None, *,
                                       revision: int | None = None) -> None:
        ctx = {"revision": revision or self._current.number, **(extra or {})}
        await self._mail_many(kind, [(self._to_advocate(), ["review_contract"]),
                                     (self._to_defender(), ["review_contract"]), (self._to_staff(), [])], ctx)

    async def _sign_contract(self) -> bool:
        """Send one envelope and follow it; True when all three signed, False when it came back.

        From the moment the envelope is asked for until it is back, the contract is frozen
        (``signing_revision``: edits and approvals are refused, review C1); what is signed, and so executed
        and priced, is ``rev``, the envelope's revision.
        """
        p = self.policy
        defender = self.s.defender
        assert defender is not None
        self.s.envelope_attempts += 1
        rev = self._current
        self.s.signing_revision = rev.number
        ref = await self._act(
            ActivityName.SEND_CONTRACT_ENVELOPE,
            SendContractEnvelope(workflow_id=self._wid, case_id=self.req.case_id, attempt=self.s.envelope_attempts,
                                 revision=rev, advocate=self.req.advocate, defender=defender,
                                 country=self.req.country, matter_type=self.req.matter_type,
                                 services=self.req.services),
            EnvelopeRef, summary=f"DocuSign contract {self.req.case_id} · revision {rev.number}",
            step="contract envelope")
        confirm = workflow.patched(ENVELOPE_CONFIRM_PATCH)
        self.s.envelope = EnvelopeState(envelope_id=ref.envelope_id, revision=rev.number,
                                        sent_at=workflow.now() if confirm else None)
        self.s.signature_escalated = False
        self._event(f"contract revision {rev.number} sent for signature")
        envelope = self.s.envelope
        if self._current.number != rev.number and workflow.patched(CONTRACT_FROZEN_PATCH):
            # Defensive (nothing edits a frozen contract): never let a revision nobody approved go on.
            await self._void_stale_envelope(envelope, rev.number)
        elif confirm and ref.status not in ("sent", "created", "delivered"):
            self._honour_found_envelope(envelope, ref.status)  # a retry found the envelope further on (m12)
        self._apply_orphan_envelope_events()
        asked = -1
        while envelope.status == "sent":
            if envelope.completed_claimed:
                await self._confirm_envelope(envelope)
                continue
            signer = self._next_signer()
            if signer is None:  # all signed; the envelope-completed event is on its way
                if confirm:  # never a silent wait: ask DocuSign after a while, then escalate (review M7)
                    await self._wait(lambda: envelope.status != "sent" or envelope.completed_claimed,
                                     who=lambda: ("docusign", None, "confirm the completed envelope"),
                                     every=RECONCILE_AFTER, on_remind=lambda _n: self._reconcile_envelope(envelope),
                                     escalate_after=RECONCILE_AFTER * 2,
                                     on_escalate=self._escalate("signed envelope not confirmed by DocuSign"))
                    continue
                await self._wait(lambda: envelope.status != "sent",
                                 who=lambda: ("docusign", None, "confirm the completed envelope"))
                break
            if asked != len(envelope.signed):
                asked = len(envelope.signed)
                await self._ask_to_sign(signer, MailKind.CONTRACT_TO_SIGN)
            signed_now = len(envelope.signed)
            remind = ((lambda _n, r=signer: self._remind_signer(envelope, r)) if confirm else
                      (lambda _n, r=signer: self._ask_to_sign(r, MailKind.SIGNATURE_REMINDER)))
            await self._wait(lambda n=signed_now: (envelope.status != "sent" or len(envelope.signed) != n
                                                   or envelope.completed_claimed),
                             who=lambda r=signer: self._signer_who(r), every=p.signature_reminder_every,
                             on_remind=remind, **self._signature_escalation(envelope))
        if envelope.status == "completed":
            self.s.signing_revision = None
            if workflow.patched(STORE_DOCUMENTS_BESIDE_PATCH):
                # The Defender starts work now; archiving the signed PDFs runs beside (a failure there is
                # flagged for staff, and the case does not close before it has finished).
                self._beside(self._store_signed_contract(envelope, rev.number, blocking=False))
            else:  # cases started before the patch stored the documents first (replay)
                await self._store_signed_contract(envelope, rev.number, blocking=True)
            self._event(f"contract revision {rev.number} signed by all three")
            await self._notify_contract_parties(MailKind.CONTRACT_SIGNED, revision=rev.number)
            self._set_stage(CaseStage.ASSIGNMENT)
            return True
        # Back to editing: the declined revision's approvals and the current one's are void (C1), and the
        # contract's escalation clock starts again for this new round (m10).
        rev.approvals.clear()
        self._current.approvals.clear()
        self.s.signing_revision = None
        self.s.contract_since = None
        self.s.contract_escalated = False
        self._version += 1
        self._event(f"contract envelope {envelope.status}; back to editing")
        await self._notify_contract_parties(MailKind.CONTRACT_RETURNED, {"reason": self._envelope_reason},
                                            revision=rev.number)
        return False

    async def _void_stale_envelope(self, envelope: EnvelopeState, revision: int) -> None:
        done = await self._act(ActivityName.VOID_ENVELOPE,
                               VoidEnvelope(envelope_id=envelope.envelope_id,
                                            reason=f"Revision {revision} is no longer the current contract"),
                               None, summary=f"Void stale DocuSign envelope {self.req.case_id}",
                               step="void envelope", blocking=False)
        envelope.status = "voided"
        self._envelope_reason = f"revision {revision} changed while its envelope was made; approve it again"
        if done is FAILED:
            self._event(f"could not void the envelope of revision {revision}; staff must void it in DocuSign")

    def _honour_found_envelope(self, envelope: EnvelopeState, status: str) -> None:
        """The create activity found this step's envelope already further on (review m12)."""
        if status == "completed":
            envelope.completed_claimed = True  # confirmed with DocuSign like any "completed"
        elif status in ("declined", "voided"):
            envelope.status = status  # type: ignore[assignment]
            self._envelope_reason = f"the envelope was found {status} at DocuSign"

    async def _envelope_truth(self, envelope: EnvelopeState, reason: str) -> Any:
        return await self._act(ActivityName.GET_ENVELOPE_STATUS,
                               GetEnvelopeStatus(envelope_id=envelope.envelope_id, reason=reason), EnvelopeTruth,
                               summary=f"DocuSign status of contract {self.req.case_id} · revision "
                                       f"{envelope.revision}", step="envelope status", blocking=False)

    async def _confirm_envelope(self, envelope: EnvelopeState) -> None:
        """A "completed" event moves the case only once DocuSign confirms it (security C2 §4)."""
        envelope.completed_claimed = False
        truth = await self._envelope_truth(envelope, "confirm completed")
        if truth is FAILED:
            self._event("could not confirm the completed contract envelope with DocuSign; asking again later")
            return
        self._apply_envelope_truth(envelope, truth)
        if envelope.status == "sent":
            self._event(f"a 'completed' message for envelope {envelope.envelope_id} was not confirmed by DocuSign "
                        f"(it is {truth.status}); ignored")

    async def _reconcile_envelope(self, envelope: EnvelopeState) -> None:
        """Ask DocuSign when a webhook is late (review M7): a lost Connect message cannot stall the case."""
        truth = await self._envelope_truth(envelope, "reconcile")
        if truth is not FAILED:
            self._apply_envelope_truth(envelope, truth)

    async def _remind_signer(self, envelope: EnvelopeState, role: Role) -> None:
        """Before nagging a signer, ask DocuSign whether they already signed (review M7)."""
        before = (envelope.status, len(envelope.signed))
        await self._reconcile_envelope(envelope)
        if (envelope.status, len(envelope.signed)) == before:
            await self._ask_to_sign(role, MailKind.SIGNATURE_REMINDER)

    def _apply_envelope_truth(self, envelope: EnvelopeState, truth: EnvelopeTruth) -> None:
        if truth.envelope_id != envelope.envelope_id or envelope.status != "sent":
            return
        if truth.status == "completed":
            envelope.status = "completed"
            self._mark_all_signed(envelope)
        elif truth.status in ("declined", "voided"):
            envelope.status = truth.status  # type: ignore[assignment]
            self._envelope_reason = truth.reason or f"the envelope was {truth.status}"
        else:
            for rid in CONTRACT_SIGNERS.values():
                if rid in truth.signed and rid not in envelope.signed:
                    envelope.signed.append(rid)
                    self._event(f"contract signed by recipient {rid} (confirmed with DocuSign)")
        self._version += 1

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
        revision = self.s.envelope.revision if self.s.envelope is not None else self._current.number
        await self._mail(kind, to, {"revision": revision}, actions=["sign_contract"])

    # ------------------------------------------------------------------------------ ASSIGNMENT stage
    async def _assignment(self) -> None:
        p = self.policy
        defender = self.s.defender
        assert defender is not None
        if not self.s.tasks:
            self._no_notice_after_cancel()
            self.s.tasks = [TaskState(id=t.id, description=t.description) for t in self._signed_revision().terms.tasks]
            await self._mail_many(MailKind.ASSIGNMENT_STARTED,
                                  [(self._to_defender(), ["update_task", "submit_report"]), (self._to_advocate(), [])],
                                  {"tasks": len(self.s.tasks)})
        await self._wait(lambda: self._pending_report() is not None,
                         who=lambda: ("defender", defender.id, "submit the hour & expense report"),
                         every=p.report_reminder_every,
                         on_remind=lambda _n: self._mail(MailKind.REPORT_REMINDER, self._to_defender(),
                                                         actions=["submit_report"]),
                         escalate_after=p.report_escalate_after, on_escalate=self._escalate("report"),
                         key="report", zone=self._working_hours_zone())
        self._set_stage(CaseStage.PAYMENT)

    def _working_hours_zone(self) -> str | None:
        """The Defender's zone for reminders in their working hours, for cases from the patch on (M8)."""
        if self.policy.reminders_in_working_hours and workflow.patched(LOCAL_REMINDERS_PATCH):
            return self._defender_tz()
        return None

    def _no_notice_after_cancel(self) -> None:
        """A cancel accepted during the previous step: no opening notice before "case cancelled" (m9)."""
        if self._cancel_pending() and workflow.patched(NO_NOTICE_AFTER_CANCEL_PATCH):
            raise CaseCancelled

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
        if report.status == "submitted" and workflow.patched(CAPS_PATCH):
            await self._flag_caps(report)
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
        if approved.over_caps and workflow.patched(CAPS_PATCH):
            await self._tell_finance_over_cap(approved)
        if workflow.patched(PAYOUT_BESIDE_INVOICE_PATCH):
            # Independent calls: neither waits for the other (nor for the other's trouble with staff).
            await self._together(self._pay_defender(approved), self._invoice_advocate(approved))
        else:  # cases that reached this point before the patch paid out first, then invoiced (replay)
            await self._pay_defender(approved)
            await self._invoice_advocate(approved)
        # S3 (M2): a report link submits one report; after an interim one the Defender gets a fresh link.
        await self._mail(MailKind.REPORT_APPROVED, self._to_defender(),
                         {**ctx, "payout": approved.priced.payout_total.format()},
                         actions=[] if report.report.kind is ReportKind.FINAL else ["submit_report"])
        if report.report.kind is ReportKind.FINAL:
            self.s.final_approved = True
            self._set_stage(CaseStage.EVALUATION)
        else:
            self._set_stage(CaseStage.ASSIGNMENT)

    async def _flag_caps(self, report: SubmittedReport) -> None:
        """A report over a cap is accepted and flagged: timeline, status (``caps_flagged``) and staff's email."""
        over = rules.submitted_breaches(self.req, self.s, report.report)
        self.s.caps_flagged = over
        if not over:
            return
        self._event(f"report {report.number} is over the {'; the '.join(over)}; approving it needs a reason")
        await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(), {
            "step": f"report {report.number} over a cap",
            "reason": f"report {report.number} exceeds the {'; the '.join(over)}. Approve it only with "
                      f"casefac review-report {self.req.case_id} --over-cap \"reason\", or request changes."})

    async def _tell_finance_over_cap(self, approved: ApprovedReport) -> None:
        """Finance learns of an approval over a cap, with staff's reason, before the money moves."""
        await self._mail(MailKind.STAFF_ESCALATION, self._to_finance(), {
            "step": f"report {approved.number} approved over a cap",
            "reason": f"{approved.approved_by} approved report {approved.number} over the "
                      f"{'; the '.join(approved.over_caps)}. Reason: {approved.over_cap_reason}"})

    # ------------------------------------------------------------------------------ EVALUATION stage
    async def _evaluation(self) -> None:
        p = self.policy
        if self.s.evaluation_started_at is None:
            self._no_notice_after_cancel()
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
        return self._refund_who() or ("advocate", self.req.advocate.id, "pay the open invoice")

    def _refund_who(self) -> Who | None:
        """P1: a refund or credit decided but not yet recorded waits on finance (only cases past the patch)."""
        pending = next((i for i in self.s.invoices if i.resolution_pending), None)
        return ("finance", None, self._refund_to_make(pending)) if pending is not None else None

    async def _settle_money_on_cancel(self) -> None:
        """Review M5: voids are blocking steps; a payment that raced the cancel is kept and staff decide (refund or
        credit); invoices of approved work are voided only when staff said so; the case stays open (collecting,
        reminding finance of manual payouts) until every invoice and payout is settled."""
        keep = self.s.cancel_invoices == "keep"
        for inv in self.s.invoices:
            if inv.status not in ("draft", "open", "payment_failed", "uncollectible") or keep:
                continue
            ref = await self._act(ActivityName.VOID_INVOICE,
                                  VoidInvoice(workflow_id=self._wid, invoice_id=inv.invoice_id, paid_ok=True),
                                  InvoiceRef, summary=f"Void Stripe invoice {self.req.case_id} · "
                                                      f"{inv.amount_due.format()}", step="void invoice")
            self._take_invoice_truth(inv, ref, "cancel", deliberate=True)
            if ref.status == "void" and any(p.report_number == inv.report_number and p.status == "paid"
                                            for p in self.s.payouts):
                await self._mail(MailKind.STAFF_ESCALATION, self._to_finance(), {
                    "step": "invoice voided on cancel",
                    "reason": f"invoice {inv.number or inv.invoice_id} ({inv.billed.format()}) was voided by the "
                              f"cancel, but the Defender's payout for report {inv.report_number} went out: a loss"})
            if ref.status == "paid":
                inv.needs_decision = "paid while the case was being cancelled: refund, credit or keep"
                self._event(f"invoice {inv.number or inv.invoice_id} was paid during the cancel; staff decide")
                await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(), {
                    "step": "invoice paid during cancel",
                    "reason": f"invoice {inv.number or inv.invoice_id} ({inv.billed.format()}) was paid while the case "
                              f"was cancelled: casefac resolve-invoice {self.req.case_id} {inv.report_number} "
                              "--decision refund|credit|keep"})
        for pay in self.s.payouts:
            if pay.status == "to_approve":
                pay.status = "waived"
                self._event(f"payout for report {pay.report_number} not made: the case was cancelled before its "
                            "second approval")
        self._money_changed()
        if self._money_settled():
            return
        await self._wait(self._money_settled, who=self._settling_who, every=self.policy.payout_record_reminder_every,
                         on_remind=lambda _n: self._mail(MailKind.STAFF_ESCALATION, self._to_staff(), {
                             "step": "cancel",
                             "reason": f"the cancelled case waits to settle: {self._settling_who()[2]}"}))

    def _settling_who(self) -> Who:
        pending = [p for p in self.s.payouts if p.status == "pending"]
        if pending:
            return ("finance", None, f"record the manual payout for report {pending[0].report_number}")
        refund = self._refund_who()
        if refund is not None:
            return refund
        undecided = [i for i in self.s.invoices if i.needs_decision and not i.resolution]
        if undecided:
            return ("staff", None, f"decide on invoice of report {undecided[0].report_number} "
                                   f"({undecided[0].needs_decision})")
        return ("advocate", self.req.advocate.id, "pay the open invoice")

    async def _cancel_case(self) -> None:
        self._cancelling = True
        cancel = self.s.cancel
        assert cancel is not None
        self._who = None
        await self._withdraw_agreement()  # W1: the Advocate's entity stops working for this case (review M4)
        env = self.s.envelope
        if env is not None and env.status == "sent":
            done = await self._act(ActivityName.VOID_ENVELOPE,
                                   VoidEnvelope(envelope_id=env.envelope_id, reason="Case cancelled by JiM"),
                                   None, summary=f"Void DocuSign envelope {self.req.case_id}", step="void envelope",
                                   blocking=False)
            if done is not FAILED:
                env.status = "voided"
        if workflow.patched(CANCEL_SETTLES_PATCH):
            await self._settle_money_on_cancel()
        else:  # cases cancelled before the patch voided what they could and closed (replay)
            for inv in self.s.invoices:
                if inv.status in ("draft", "open", "payment_failed"):
                    ref = await self._act(ActivityName.VOID_INVOICE,
                                          VoidInvoice(workflow_id=self._wid, invoice_id=inv.invoice_id), InvoiceRef,
                                          summary=f"Void Stripe invoice {self.req.case_id} · "
                                                  f"{inv.amount_due.format()}",
                                          step="void invoice", blocking=False)
                    if ref is not FAILED:
                        inv.status = ref.status
                        inv.history = [*inv.history, InvoiceStatusChange(status=ref.status, at=workflow.now())]
        self._money_changed()
        ctx = {"reason": cancel.reason}
        told = [self._to_advocate(), *([self._to_defender()] if self.s.defender else []), self._to_staff()]
        await self._mail_many(MailKind.CASE_CANCELLED, [(to, []) for to in told], ctx)
        self._set_stage(CaseStage.CANCELLED)
