"""AdvocateWorkflow: the entity that owns an Advocate's one-time Advocate Agreement.

Cases ask it (signal-with-start through the ``agreement.request`` activity); it sends ONE envelope however
many cases ask at once, follows it, and tells every waiting case when the agreement is in force. Later cases
are answered at once. It lives as long as the Advocate works with JiM, continuing-as-new when history grows.

Since ``LIVE_WAITERS_PATCH`` (review M4, m8, m12, m16; security C2 §4) it works only for cases that still
wait: a cancelled case withdraws (``withdraw_request``) and the sign link is re-pointed to a live waiter
(re-mailed when the one it named withdrew); reminders are capped, then staff hear once and it rests until
staff re-send (``resend_agreement``); a "completed" event is confirmed with DocuSign before the Agreement is
in force; a found envelope's real status is honoured; the envelope keeps the signer details it was sent to;
changed contact details never silently redirect an Agreement already out. Runs started before it keep the
old loop (``_run_v1``), which replays the recorded histories.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from casefac import search_attributes as sa
    from casefac.activity_io import (
        MAIL_ADDRESSES_QUERY,
        ActivityName,
        EnvelopeRef,
        EnvelopeTruth,
        GetEnvelopeStatus,
        MailKind,
        MailTo,
        PortalAction,
        SendAgreementEnvelope,
        SendMail,
        VoidEnvelope,
    )
    from casefac.events import AgreementRequest, AgreementSigned, AgreementWithdrawal, EnvelopeEvent, Signal
    from casefac.ids import idempotency_key
    from casefac.messages import Receipt, ResendAgreement, Update
    from casefac.parties import Advocate, Role
    from casefac.state import AdvocateInput, AdvocateState
    from casefac.status import SignerView
    from workflows import rules
    from workflows.guard_links import bump_epoch, current_epoch
    from workflows.options import OPTIONS

from workflows.guard_staff import carried_policy, require_guard  # S2

MAX_SEEN_EVENTS = 200
#: ``workflow.patched`` id: live waiters only, capped reminders, confirmed completion, staff re-send (see above).
LIVE_WAITERS_PATCH = "agreement-live-waiters"
#: Reminders per envelope before the entity stops nagging and tells staff (who can re-send).
MAX_AGREEMENT_REMINDERS = 5
#: Fresh envelopes sent on its own after a decline or a void; after these, staff decide (``casefac resend``).
MAX_AUTO_RESENDS = 2
#: DocuSign statuses in which the envelope can still be signed.
LIVE_STATUSES = frozenset({"created", "sent", "delivered"})


@workflow.defn(name="AdvocateWorkflow")
class AdvocateWorkflow:
    @workflow.init
    def __init__(self, inp: AdvocateInput) -> None:
        self.advocate = inp.advocate
        self.policy = inp.policy
        self.s: AdvocateState = inp.state or AdvocateState()
        self._version = 0
        self._mail_seq = 0

    def _v2(self) -> bool:
        """The live-waiters behaviour (a patch: runs recorded before it replay the old loop)."""
        return workflow.patched(LIVE_WAITERS_PATCH)

    @workflow.run
    async def run(self, inp: AdvocateInput) -> None:
        require_guard(self)  # S2: an entity that needs signed staff updates never runs unguarded
        v2 = self._v2()
        if not v2:
            self._mail_seq = self.s.attempts * 100  # distinct mail keys per run and attempt
        workflow.upsert_search_attributes([sa.ADVOCATE_ID.value_set(self.advocate.id)])
        if not v2:
            await self._run_v1()
            return
        while True:
            await workflow.wait_condition(lambda: self._has_work() or self._should_continue_as_new())
            if not self._has_work() and self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(AdvocateInput(advocate=self.advocate, policy=carried_policy(self),
                                                       state=self.s))
            await self._step()

    # ------------------------------------------------------------------------------ the live loop (v2)
    def _has_work(self) -> bool:
        s = self.s
        return (s.to_confirm is not None or s.contact_change is not None or s.resend_by is not None
                or (bool(s.waiters) and (s.relink or not s.stalled)))

    async def _step(self) -> None:
        s = self.s
        if s.to_confirm is not None:
            await self._confirm_completed()
        elif s.contact_change is not None:
            await self._contact_changed()
        elif s.resend_by is not None:
            await self._resend()
        elif s.status == "signed":
            await self._notify_waiters()
        elif s.status == "declined":
            await self._after_decline()
        elif s.status == "none":
            await self._send_envelope_v2()
        elif s.relink:
            s.relink = False
            await self._mail_v2(MailKind.AGREEMENT_TO_SIGN, self._to_signer(), actions=True)
        else:
            await self._follow_v2()

    def _interrupted(self) -> bool:
        s = self.s
        return (s.to_confirm is not None or s.contact_change is not None or s.resend_by is not None or s.relink
                or not s.waiters or s.status != "pending")

    async def _send_envelope_v2(self) -> None:
        """One envelope to the Advocate's current details; a found envelope's real status is honoured (m12)."""
        s = self.s
        s.attempts += 1
        opts = OPTIONS[ActivityName.SEND_AGREEMENT_ENVELOPE]
        signer = self.advocate
        while True:
            try:
                ref: EnvelopeRef = await workflow.execute_activity(
                    ActivityName.SEND_AGREEMENT_ENVELOPE,
                    SendAgreementEnvelope(workflow_id=workflow.info().workflow_id, attempt=s.attempts,
                                          advocate=signer),
                    result_type=EnvelopeRef, task_queue=opts.task_queue,
                    start_to_close_timeout=opts.start_to_close, schedule_to_close_timeout=opts.schedule_to_close,
                    retry_policy=opts.retry, heartbeat_timeout=opts.heartbeat,
                    summary=f"DocuSign Advocate Agreement {self.advocate.id}")
                break
            except ActivityError:
                await self._mail_v2(MailKind.NEEDS_ATTENTION, self._staff(), {"step": "Advocate Agreement envelope"})
                # Retry after a pause, unless nobody waits any more (staff can re-send later).
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: not self.s.waiters and self.s.resend_by is None,
                                                  timeout=self.policy.attention_reminder_every)
                if not s.waiters and s.resend_by is None:
                    s.attempts -= 1
                    return
        s.envelope_id = ref.envelope_id
        s.signer = signer
        s.sent_at = workflow.now()
        s.reminders = 0
        s.escalated = False
        s.stalled = False
        if ref.status == "completed":  # a retry or a restarted entity found the envelope already signed
            s.status = "pending"
            s.to_confirm = ref.envelope_id
            return
        if ref.status not in LIVE_STATUSES:  # found voided or declined: that attempt is spent, send afresh
            workflow.logger.info("found agreement envelope no longer signable", extra={"status": ref.status})
            s.status = "none"
            s.envelope_id = None
            return
        s.status = "pending"
        s.relink = False  # this email carries a live link
        await self._mail_v2(MailKind.AGREEMENT_TO_SIGN, self._to_signer(), actions=True)

    async def _follow_v2(self) -> None:
        """Remind while someone waits, at most ``MAX_AGREEMENT_REMINDERS`` times; escalate once; then rest."""
        p = self.policy
        s = self.s
        assert s.sent_at is not None
        while not self._interrupted():
            marks = []
            if s.reminders < MAX_AGREEMENT_REMINDERS:
                marks.append(s.sent_at + p.agreement_reminder_every * (s.reminders + 1))
            if not s.escalated:
                marks.append(s.sent_at + p.agreement_escalate_after)
            if not marks:
                s.stalled = True  # staff were told; nothing more until they re-send or someone signs
                return
            try:
                await workflow.wait_condition(self._interrupted,
                                              timeout=max(min(marks) - workflow.now(), timedelta(seconds=1)))
            except TimeoutError:
                if self._interrupted():
                    break
                now = workflow.now()
                if not s.escalated and now >= s.sent_at + p.agreement_escalate_after:
                    s.escalated = True
                    await self._mail_v2(MailKind.STAFF_ESCALATION, self._staff(),
                                        {"step": "Advocate Agreement", "reason": "not signed yet"})
                if s.reminders < MAX_AGREEMENT_REMINDERS and now >= s.sent_at + p.agreement_reminder_every * (
                        s.reminders + 1):
                    s.reminders += 1
                    if await self._reconcile("reminder") and s.status == "pending":
                        await self._mail_v2(MailKind.AGREEMENT_REMINDER, self._to_signer(), actions=True)
                        if s.reminders >= MAX_AGREEMENT_REMINDERS:
                            s.escalated = True
                            await self._mail_v2(MailKind.STAFF_ESCALATION, self._staff(), {
                                "step": "Advocate Agreement",
                                "reason": f"not signed after {s.reminders} reminders; reminders stopped: "
                                          f"re-send with casefac resend {self._link_case()} --what agreement"})
        if s.status == "declined":
            await self._mail_v2(MailKind.STAFF_ESCALATION, self._staff(),
                                {"step": "Advocate Agreement", "reason": "the Advocate declined or it was voided"})

    async def _after_decline(self) -> None:
        """A pause for staff to talk to the Advocate, then a fresh envelope (at most ``MAX_AUTO_RESENDS``)."""
        s = self.s
        assert s.declined_at is not None
        if s.auto_resends >= MAX_AUTO_RESENDS:
            s.stalled = True
            await self._mail_v2(MailKind.STAFF_ESCALATION, self._staff(), {
                "step": "Advocate Agreement",
                "reason": f"declined or voided {s.auto_resends + 1} times; no new envelope goes out until staff "
                          f"re-send it (casefac resend {self._link_case()} --what agreement)"})
            return
        wait = s.declined_at + self.policy.agreement_reminder_every - workflow.now()
        if wait > timedelta(0):
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: not self.s.waiters or self._urgent(), timeout=wait)
            if not s.waiters or self._urgent():
                return
        s.auto_resends += 1
        s.status = "none"

    def _urgent(self) -> bool:
        s = self.s
        return s.to_confirm is not None or s.contact_change is not None or s.resend_by is not None

    async def _confirm_completed(self) -> None:
        """A "completed" event puts the Agreement in force only once DocuSign confirms it (security C2 §4)."""
        s = self.s
        envelope_id, s.to_confirm = s.to_confirm, None
        if envelope_id != s.envelope_id or s.status != "pending":
            return
        truth = await self._truth(envelope_id, "confirm completed")
        if truth is None:
            return  # DocuSign unreachable for now: the next reminder tick reconciles
        self._apply_truth(truth)
        if s.status == "pending":
            workflow.logger.warning("agreement completion not confirmed by DocuSign", extra={"status": truth.status})

    async def _reconcile(self, reason: str) -> bool:
        """Ask DocuSign before nagging (review M7); False when it could not be asked."""
        if not self.s.envelope_id:
            return False
        truth = await self._truth(self.s.envelope_id, reason)
        if truth is None:
            return True  # remind anyway: a lost answer must not silence the reminders
        self._apply_truth(truth)
        return True

    def _apply_truth(self, truth: EnvelopeTruth) -> None:
        s = self.s
        if truth.envelope_id != s.envelope_id or s.status != "pending":
            return
        if truth.status == "completed":
            s.status = "signed"
            s.signed_at = s.signed_at or workflow.now()
        elif truth.status in ("declined", "voided"):
            s.status = "declined"
            s.declined_at = workflow.now()
            s.envelope_id = None

    async def _truth(self, envelope_id: str, reason: str) -> EnvelopeTruth | None:
        opts = OPTIONS[ActivityName.GET_ENVELOPE_STATUS]
        try:
            truth: EnvelopeTruth = await workflow.execute_activity(
                ActivityName.GET_ENVELOPE_STATUS, GetEnvelopeStatus(envelope_id=envelope_id, reason=reason),
                result_type=EnvelopeTruth, task_queue=opts.task_queue, start_to_close_timeout=opts.start_to_close,
                schedule_to_close_timeout=opts.schedule_to_close, retry_policy=opts.retry,
                heartbeat_timeout=opts.heartbeat, summary=f"DocuSign status of the Agreement {self.advocate.id}")
        except ActivityError:
            workflow.logger.warning("agreement envelope status unavailable", extra={"advocate_id": self.advocate.id})
            return None
        return truth

    async def _resend(self) -> None:
        """Staff's re-send: a fresh link to the envelope out, or a fresh envelope if it can no longer be signed."""
        s = self.s
        s.resend_by = None
        s.stalled = False
        s.auto_resends = 0
        if s.status == "signed":
            return
        if s.status == "pending" and s.envelope_id:
            truth = await self._truth(s.envelope_id, "staff re-send")
            if truth is not None:
                self._apply_truth(truth)
            if s.status == "pending" and s.signer is not None and _contact(s.signer) != _contact(self.advocate):
                await self._void(s.envelope_id, "Re-sent to the Advocate's corrected details")
                s.status, s.envelope_id = "none", None
        if s.status == "pending":
            bump_epoch(s, Role.ADVOCATE.value, self.advocate.id)  # the older links stop working
            s.sent_at = workflow.now()
            s.reminders = 0
            s.escalated = False
            s.relink = False
            await self._mail_v2(MailKind.AGREEMENT_TO_SIGN, self._to_signer(), actions=True)
        elif s.status in ("declined", "none"):
            bump_epoch(s, Role.ADVOCATE.value, self.advocate.id)
            s.status = "none"
            await self._send_envelope_v2()

    async def _void(self, envelope_id: str, reason: str) -> None:
        opts = OPTIONS[ActivityName.VOID_ENVELOPE]
        try:
            await workflow.execute_activity(
                ActivityName.VOID_ENVELOPE, VoidEnvelope(envelope_id=envelope_id, reason=reason),
                task_queue=opts.task_queue, start_to_close_timeout=opts.start_to_close,
                schedule_to_close_timeout=opts.schedule_to_close, retry_policy=opts.retry,
                heartbeat_timeout=opts.heartbeat, summary=f"Void the Agreement envelope {self.advocate.id}")
        except ActivityError:
            await self._mail_v2(MailKind.NEEDS_ATTENTION, self._staff(),
                                {"step": f"void the Advocate Agreement envelope {envelope_id}"})

    async def _contact_changed(self) -> None:
        """A case named other contact details (security m8): staff decide; the old address hears of it."""
        s = self.s
        new, case_id = s.contact_change, s.contact_case_id or ""
        s.contact_change = None
        assert new is not None
        old = s.signer or self.advocate
        bump_epoch(s, Role.ADVOCATE.value, self.advocate.id)
        await self._mail_v2(MailKind.STAFF_ESCALATION, self._staff(), {
            "step": "Advocate Agreement",
            "reason": f"case {case_id} names other contact details for Advocate {self.advocate.id}; the Agreement "
                      "out stays with the address it was sent to; if the change is right, move it with "
                      f"casefac resend {case_id} --what agreement"})
        await self._mail_v2(MailKind.AGREEMENT_CONTACT_CHANGED,
                            MailTo(role=Role.ADVOCATE, party_id=old.id, email=old.email, name=old.name,
                                   language=old.language), {"case_id": case_id})

    def _link_case(self) -> str:
        """The case a sign link names: the last one named while it still waits, else a live waiter (M4)."""
        s = self.s
        live = [s.waiter_cases[w] for w in s.waiters if w in s.waiter_cases]
        if s.link_case_id in live:
            return s.link_case_id or ""
        if live:
            return live[0]
        return s.link_case_id or s.first_case_id or ""

    def _to_signer(self) -> MailTo:
        """Mail about the envelope out goes to whom it was sent to (m8, m16), not to newer details."""
        a = self.s.signer if self.s.status == "pending" and self.s.signer is not None else self.advocate
        return MailTo(role=Role.ADVOCATE, party_id=a.id, email=a.email, name=a.name, language=a.language)

    async def _mail_v2(self, kind: MailKind, to: MailTo, context: dict[str, object] | None = None, *,
                       actions: bool = False) -> None:
        """Keys from the persisted counter and the first run's id: unique across continue-as-new and restarts."""
        s = self.s
        s.mail_seq += 1
        case_id = self._link_case()
        links: list[PortalAction] = []
        if actions and case_id:
            s.link_case_id = case_id
            links = [PortalAction(action="sign_agreement", role=Role.ADVOCATE, party_id=self.advocate.id,
                                  case_id=case_id, epoch=current_epoch(s, Role.ADVOCATE, self.advocate.id))]
        info = workflow.info()
        key = idempotency_key(info.workflow_id, "mail", info.first_execution_run_id[:8], s.mail_seq, kind.value)
        await self._send(SendMail(idempotency_key=key, kind=kind, case_id=case_id or None, to=to,
                                  context={"advocate_name": to.name or self.advocate.name, "case_id": case_id,
                                           **(context or {})},
                                  actions=links), kind)

    async def _send(self, mail: SendMail, kind: MailKind) -> None:
        opts = OPTIONS[ActivityName.SEND_MAIL]
        try:
            await workflow.execute_activity(
                ActivityName.SEND_MAIL, mail, task_queue=opts.task_queue, start_to_close_timeout=opts.start_to_close,
                schedule_to_close_timeout=opts.schedule_to_close, retry_policy=opts.retry,
                heartbeat_timeout=opts.heartbeat, summary=f"Email {kind.value} to advocate {self.advocate.id}")
        except ActivityError:
            workflow.logger.warning("agreement mail failed", extra={"advocate_id": self.advocate.id,
                                                                    "kind": kind.value})

    # ------------------------------------------------------------------------ the old loop (replay)
    async def _run_v1(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self.s.waiters) or self._should_continue_as_new())
            if not self.s.waiters and self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(AdvocateInput(advocate=self.advocate, policy=carried_policy(self),
                                                       state=self.s))
            if self.s.status == "signed":
                await self._notify_waiters()
                continue
            if self.s.status == "declined":
                await self._pause_after_decline()
                continue
            if self.s.status == "none":
                await self._send_envelope()
            await self._follow_envelope()

    async def _send_envelope(self) -> None:
        self.s.attempts += 1
        opts = OPTIONS[ActivityName.SEND_AGREEMENT_ENVELOPE]
        while True:
            try:
                ref: EnvelopeRef = await workflow.execute_activity(
                    ActivityName.SEND_AGREEMENT_ENVELOPE,
                    SendAgreementEnvelope(workflow_id=workflow.info().workflow_id, attempt=self.s.attempts,
                                          advocate=self.advocate),
                    result_type=EnvelopeRef, task_queue=opts.task_queue,
                    start_to_close_timeout=opts.start_to_close, schedule_to_close_timeout=opts.schedule_to_close,
                    retry_policy=opts.retry, heartbeat_timeout=opts.heartbeat,
                    summary=f"DocuSign Advocate Agreement {self.advocate.id}")
                break
            except ActivityError:
                # The waiting cases escalate on their own timers; retry the envelope after a pause.
                await self._mail(MailKind.NEEDS_ATTENTION, self._staff(), {"step": "Advocate Agreement envelope"})
                await workflow.sleep(self.policy.attention_reminder_every)
        self.s.envelope_id = ref.envelope_id
        self.s.status = "pending"
        self.s.sent_at = workflow.now()
        await self._mail(MailKind.AGREEMENT_TO_SIGN, self._to_advocate(), actions=True)

    async def _follow_envelope(self) -> None:
        p = self.policy
        reminders = 0
        escalated = False
        assert self.s.sent_at is not None
        while self.s.status == "pending":
            elapsed = workflow.now() - self.s.sent_at
            marks = [p.agreement_reminder_every * (reminders + 1)]
            if not escalated:
                marks.append(p.agreement_escalate_after)
            try:
                await workflow.wait_condition(lambda: self.s.status != "pending",
                                              timeout=max(min(marks) - elapsed, timedelta(seconds=1)))
            except TimeoutError:
                elapsed = workflow.now() - self.s.sent_at
                if not escalated and elapsed >= p.agreement_escalate_after:
                    escalated = True
                    await self._mail(MailKind.STAFF_ESCALATION, self._staff(),
                                     {"step": "Advocate Agreement", "reason": "not signed yet"})
                if elapsed >= p.agreement_reminder_every * (reminders + 1):
                    reminders += 1
                    await self._mail(MailKind.AGREEMENT_REMINDER, self._to_advocate(), actions=True)
        if self.s.status == "declined":
            await self._mail(MailKind.STAFF_ESCALATION, self._staff(),
                             {"step": "Advocate Agreement", "reason": "the Advocate declined or it was voided"})

    async def _pause_after_decline(self) -> None:
        """Give staff time to talk to the Advocate, then send a fresh envelope to the cases still waiting."""
        assert self.s.declined_at is not None
        wait = self.s.declined_at + self.policy.agreement_reminder_every - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        self.s.status = "none"

    # ------------------------------------------------------------------------------------ shared
    async def _notify_waiters(self) -> None:
        assert self.s.envelope_id is not None and self.s.signed_at is not None
        waiters, self.s.waiters = self.s.waiters, []
        for case_wid in waiters:
            self.s.waiter_cases.pop(case_wid, None)
            handle = workflow.get_external_workflow_handle(case_wid)
            try:
                await handle.signal(Signal.AGREEMENT_SIGNED,
                                    AgreementSigned(envelope_id=self.s.envelope_id, signed_at=self.s.signed_at))
                self.s.cases_served += 1
            except Exception:  # the case may be closed or cancelled meanwhile: nothing to tell it
                workflow.logger.info("case gone before agreement notice", extra={"case_workflow_id": case_wid})

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() >= self.policy.continue_as_new_after_events)

    async def _mail(self, kind: MailKind, to: MailTo, context: dict[str, object] | None = None, *,
                    actions: bool = False) -> None:
        self._mail_seq += 1
        case_id = self.s.first_case_id or ""
        links = ([PortalAction(action="sign_agreement", role=Role.ADVOCATE, party_id=self.advocate.id,
                               case_id=case_id, epoch=current_epoch(self.s, Role.ADVOCATE, self.advocate.id))]
                 if actions and case_id else [])
        opts = OPTIONS[ActivityName.SEND_MAIL]
        try:
            await workflow.execute_activity(
                ActivityName.SEND_MAIL,
                SendMail(idempotency_key=idempotency_key(workflow.info().workflow_id, "mail", self._mail_seq,
                                                         kind.value),
                         kind=kind, case_id=case_id or None, to=to,
                         context={"advocate_name": self.advocate.name, "case_id": case_id, **(context or {})},
                         actions=links),
                task_queue=opts.task_queue, start_to_close_timeout=opts.start_to_close,
                schedule_to_close_timeout=opts.schedule_to_close, retry_policy=opts.retry,
                heartbeat_timeout=opts.heartbeat,
                summary=f"Email {kind.value} to advocate {self.advocate.id}")
        except ActivityError:
            workflow.logger.warning("agreement mail failed", extra={"advocate_id": self.advocate.id,
                                                                    "kind": kind.value})

    def _to_advocate(self) -> MailTo:
        a = self.advocate
        return MailTo(role=Role.ADVOCATE, party_id=a.id, email=a.email, name=a.name, language=a.language)

    def _staff(self) -> MailTo:
        return MailTo(role=Role.STAFF, party_id="coordinators")

    # ---------------------------------------------------------------------------------------- messages
    @workflow.signal(name=Signal.REQUEST_AGREEMENT)
    def request_agreement(self, req: AgreementRequest) -> None:
        s = self.s
        if not self._v2():
            self.advocate = req.advocate  # the newest details (email, language) win
        elif _contact(req.advocate) != _contact(self.advocate):
            # Never silently redirect (security m8): an envelope out stays with its signer; staff are told and
            # the old address hears of it; the new details serve the next envelope (a re-send moves it).
            if s.status in ("pending", "declined") or s.signer is not None:
                s.contact_change = req.advocate
                s.contact_case_id = req.case_id
            self.advocate = req.advocate
        else:
            self.advocate = req.advocate
        if s.first_case_id is None:
            s.first_case_id = req.case_id
        if req.case_workflow_id not in s.waiters:
            s.waiters.append(req.case_workflow_id)
        s.waiter_cases[req.case_workflow_id] = req.case_id
        if s.status == "pending" and s.link_case_id is not None and s.link_case_id not in s.waiter_cases.values():
            s.relink = True  # the last link named a case that no longer waits: this one gets a live link

    @workflow.signal(name=Signal.WITHDRAW_REQUEST)
    def withdraw_request(self, req: AgreementWithdrawal) -> None:
        """A case no longer waits (cancelled): stop working for it; re-point the link if it named that case."""
        s = self.s
        if req.case_workflow_id in s.waiters:
            s.waiters = [w for w in s.waiters if w != req.case_workflow_id]
        s.waiter_cases.pop(req.case_workflow_id, None)
        if s.status == "pending" and s.waiters and s.link_case_id == req.case_id:
            s.relink = True

    @workflow.signal(name=Signal.ENVELOPE_EVENT)
    def envelope_event(self, ev: EnvelopeEvent) -> None:
        if ev.event_id in self.s.seen_events:
            return
        self.s.seen_events = [*self.s.seen_events, ev.event_id][-MAX_SEEN_EVENTS:]
        if ev.envelope_id != self.s.envelope_id or self.s.status != "pending":
            return
        if ev.kind == "completed":
            if self._v2():  # a webhook's word is checked with DocuSign first (security C2 §4)
                self.s.to_confirm = ev.envelope_id
                if ev.at is not None:
                    self.s.signed_at = ev.at
                return
            self.s.status = "signed"
            self.s.signed_at = ev.at or workflow.now()
        elif ev.kind in ("declined", "recipient_declined", "voided"):
            self.s.status = "declined"
            self.s.declined_at = workflow.now()
            self.s.envelope_id = None

    @workflow.update(name=Update.RESEND_AGREEMENT)
    def resend_agreement(self, payload: Any) -> Receipt:
        msg = rules.parse(ResendAgreement, payload, strict=False)
        self.s.resend_by = str(msg.actor)
        what = ("a fresh envelope" if self.s.status in ("none", "declined") else
                "a fresh link (a fresh envelope if DocuSign no longer accepts signatures on it)")
        return Receipt(stage=f"agreement {self.s.status}", message=f"re-sending the Advocate Agreement: {what}")

    @resend_agreement.validator
    def _v_resend_agreement(self, payload: Any) -> None:
        msg = rules.parse(ResendAgreement, payload)
        rules.resend_agreement(self.s, msg)

    @workflow.query(name="signer")
    def signer(self) -> SignerView | None:
        """The recipient details the agreement envelope was sent to, while it waits for the signature (m16)."""
        if self.s.status != "pending" or not self.s.envelope_id:
            return None
        a = self.s.signer or self.advocate
        return SignerView(envelope_id=self.s.envelope_id, recipient_id="1", client_user_id=a.id, name=a.name,
                          email=str(a.email))

    @workflow.query(name=MAIL_ADDRESSES_QUERY)
    def mail_addresses(self, role: str, party_id: str) -> list[str]:
        """Where this entity mails the Advocate's sign links: the signer of the envelope out, and the Advocate's
        current address (S2: the mail activity checks a link's address against it)."""
        if role != Role.ADVOCATE.value or party_id != self.advocate.id:
            return []
        found = [str(self._to_signer().email), str(self.advocate.email)]
        return list(dict.fromkeys(found))

    @workflow.query(name="agreement")
    def agreement(self) -> AdvocateState:
        return self.s


def _contact(a: Advocate) -> tuple[str, str, str]:
    """What a signing depends on: a change of any of these must not silently redirect the Agreement."""
    return (str(a.email).lower(), a.name, a.language)
