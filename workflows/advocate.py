"""AdvocateWorkflow: the entity that owns an Advocate's one-time Advocate Agreement.

Cases ask it (signal-with-start through the ``agreement.request`` activity); it sends ONE envelope however
many cases ask at once, follows it, and tells every waiting case when the agreement is in force. Later cases
are answered at once. It lives as long as the Advocate works with JiM, continuing-as-new when history grows.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from casefac import search_attributes as sa
    from casefac.activity_io import (
        ActivityName,
        EnvelopeRef,
        MailKind,
        MailTo,
        PortalAction,
        SendAgreementEnvelope,
        SendMail,
    )
    from casefac.events import AgreementRequest, AgreementSigned, EnvelopeEvent, Signal
    from casefac.ids import idempotency_key
    from casefac.parties import Role
    from casefac.state import AdvocateInput, AdvocateState
    from casefac.status import SignerView
    from workflows.options import OPTIONS

MAX_SEEN_EVENTS = 200


@workflow.defn(name="AdvocateWorkflow")
class AdvocateWorkflow:
    @workflow.init
    def __init__(self, inp: AdvocateInput) -> None:
        self.advocate = inp.advocate
        self.policy = inp.policy
        self.s: AdvocateState = inp.state or AdvocateState()
        self._version = 0
        self._mail_seq = 0

    @workflow.run
    async def run(self, inp: AdvocateInput) -> None:
        self._mail_seq = self.s.attempts * 100  # distinct mail keys per run and attempt
        workflow.upsert_search_attributes([sa.ADVOCATE_ID.value_set(self.advocate.id)])
        while True:
            await workflow.wait_condition(lambda: bool(self.s.waiters) or self._should_continue_as_new())
            if not self.s.waiters and self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(AdvocateInput(advocate=self.advocate, policy=self.policy, state=self.s))
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

    async def _notify_waiters(self) -> None:
        assert self.s.envelope_id is not None and self.s.signed_at is not None
        waiters, self.s.waiters = self.s.waiters, []
        for case_wid in waiters:
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
                               case_id=case_id)] if actions and case_id else [])
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
        self.advocate = req.advocate  # the newest details (email, language) win
        if self.s.first_case_id is None:
            self.s.first_case_id = req.case_id
        if req.case_workflow_id not in self.s.waiters:
            self.s.waiters.append(req.case_workflow_id)

    @workflow.signal(name=Signal.ENVELOPE_EVENT)
    def envelope_event(self, ev: EnvelopeEvent) -> None:
        if ev.event_id in self.s.seen_events:
            return
        self.s.seen_events = [*self.s.seen_events, ev.event_id][-MAX_SEEN_EVENTS:]
        if ev.envelope_id != self.s.envelope_id or self.s.status != "pending":
            return
        if ev.kind == "completed":
            self.s.status = "signed"
            self.s.signed_at = ev.at or workflow.now()
        elif ev.kind in ("declined", "recipient_declined", "voided"):
            self.s.status = "declined"
            self.s.declined_at = workflow.now()
            self.s.envelope_id = None

    @workflow.query(name="signer")
    def signer(self) -> SignerView | None:
        """The Advocate's recipient details while the agreement envelope waits for their signature."""
        if self.s.status != "pending" or not self.s.envelope_id:
            return None
        a = self.advocate
        return SignerView(envelope_id=self.s.envelope_id, recipient_id="1", client_user_id=a.id, name=a.name,
                          email=str(a.email))

    @workflow.query(name="agreement")
    def agreement(self) -> AdvocateState:
        return self.s
