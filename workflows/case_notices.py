"""Who the case writes to and how: mail goes out beside the next step, never holding the case up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from casefac.activity_io import (
        ActivityName,
        Attachment,
        MailBatch,
        MailKind,
        MailTo,
        PortalAction,
        SendMail,
    )
    from casefac.ids import idempotency_key
    from casefac.parties import Role
    from casefac.state import Attention


from workflows.case_core import FAILED, CaseCancelled, CaseCore, ContinueAsNewNow
from workflows.guard_links import current_epoch

#: ``workflow.patched`` id: every notice of one workflow task in one mail activity.
MAIL_OUTBOX_PATCH = "mail-outbox"
#: ``workflow.patched`` id: more notices than a batch holds go out in several batches (m1; before, none went).
MAIL_CHUNKS_PATCH = "mail-chunks"
#: ``workflow.patched`` id: an exception in a beside task is flagged for staff (m1; before, it was dropped).
BESIDE_FAILURE_FLAGGED_PATCH = "beside-failure-flagged"
#: ``workflow.patched`` id: a failed assignment-offer email pauses the offer's deadline until staff retry (M3).
OFFER_MAIL_PAUSE_PATCH = "offer-mail-pause"
#: What one mail activity carries (``MailBatch``); failed mails kept for a retry.
MAX_BATCH = 10
MAX_FAILED_MAILS = 20


class CaseNotices(CaseCore):
    async def _mail(self, kind: MailKind, to: MailTo, context: dict[str, Any] | None = None, *,
                    actions: list[str] | None = None, attachments: list[Attachment] | None = None) -> None:
        await self._mail_many(kind, [(to, actions or [])], context, attachments=attachments)

    async def _mail_many(self, kind: MailKind, recipients: list[tuple[MailTo, list[str]]],
                         context: dict[str, Any] | None = None, *, attachments: list[Attachment] | None = None) -> None:
        """One notification, one personal message per recipient.

        Mail never holds the case up: it goes out beside the next step (its completion then shares a
        workflow task with other events), and ``_beside_done`` is awaited before the case closes. Every
        notification of one workflow task goes out in ONE activity (the outbox): a stage change usually
        writes two or three at once, and each activity costs the server a dispatch, a poll and a workflow
        task. Cases started before the outbox existed keep one activity per notification (replay).
        """
        ctx = {"case_id": self.req.case_id, "country": self.req.country,
               "advocate_name": self.req.advocate.name,
               "defender_name": self.s.defender.name if self.s.defender else None, **(context or {})}
        messages = []
        for to, actions in recipients:
            self.s.mail_seq += 1
            links = [PortalAction(action=a, role=to.role, party_id=to.party_id, case_id=self.req.case_id,  # type: ignore[arg-type]
                                  epoch=current_epoch(self.s, to.role, to.party_id))
                     for a in actions]
            messages.append(SendMail(idempotency_key=idempotency_key(self._wid, "mail", self.s.mail_seq, kind.value),
                                     kind=kind, case_id=self.req.case_id, to=to, context=ctx, actions=links,
                                     attachments=attachments or []))
        if workflow.patched(MAIL_OUTBOX_PATCH):
            if not self._outbox:  # the first notice of this workflow task queues the flush
                self._beside(self._flush_outbox())
            self._outbox.append((kind, messages))
            return
        self._beside(self._send_notices([(kind, messages)]))

    async def _flush_outbox(self) -> None:
        """Runs once the code that queued the notices yields, i.e. still in the same workflow task."""
        notices, self._outbox = self._outbox, []
        await self._send_notices(notices)

    async def _send_notices(self, notices: list[tuple[MailKind, list[SendMail]]]) -> None:
        messages = [m for _, batch in notices for m in batch]
        if len(messages) > MAX_BATCH and workflow.patched(MAIL_CHUNKS_PATCH):
            # More than a batch holds (reminders piling up after an outage): several batches, none dropped (m1).
            chunks = [messages[i:i + MAX_BATCH] for i in range(0, len(messages), MAX_BATCH)]
            await self._together(*(self._send_messages(chunk) for chunk in chunks))
            return
        await self._send_messages(messages)

    async def _send_messages(self, messages: list[SendMail]) -> None:
        by_kind: dict[MailKind, list[SendMail]] = {}
        for m in messages:
            by_kind.setdefault(m.kind, []).append(m)
        what = "; ".join(f"{kind.value} to {', '.join(f'{m.to.role.value} {m.to.party_id}' for m in batch)}"
                         for kind, batch in by_kind.items())
        step = "mail " + ", ".join(kind.value for kind in by_kind)
        if len(messages) == 1:
            done = await self._act(ActivityName.SEND_MAIL, messages[0], None, summary=f"Email {what}", step=step,
                                   blocking=False)
        else:
            done = await self._act(ActivityName.SEND_MAILS, MailBatch(messages=messages), None,
                                   summary=f"Email {what}", step=step, blocking=False)
        if done is FAILED:
            self._mails_failed(messages)

    def _mails_failed(self, messages: list[SendMail]) -> None:
        """Keep what was not sent, so staff's retry sends it again (review M3); an unsent offer pauses."""
        self.s.failed_mails = [*self.s.failed_mails, *messages][-MAX_FAILED_MAILS:]
        if (any(m.kind is MailKind.ASSIGNMENT_OFFER for m in messages) and self.s.offer_sent_at is not None
                and self.s.defender_accepted is None and workflow.patched(OFFER_MAIL_PAUSE_PATCH)):
            self.s.offer_mail_failed = True
            self._event("the assignment offer's email failed: its deadline waits for staff's retry")
        self._version += 1

    def _resend_failed_mails(self) -> int:
        """Send the kept failed mails again, each to the party's current address (staff may have amended it)."""
        pending, self.s.failed_mails = self.s.failed_mails, []
        current = {Role.ADVOCATE: self._to_advocate, Role.STAFF: self._to_staff, Role.FINANCE: self._to_finance}
        if self.s.defender is not None:
            current[Role.DEFENDER] = self._to_defender
        fresh = [m.model_copy(update={"to": current[m.to.role]()}) if m.to.role in current else m for m in pending]
        if fresh:
            self._beside(self._send_notices([(m.kind, [m]) for m in fresh]))
        return len(fresh)

    def _beside(self, call: Awaitable[None]) -> None:
        """Run ``call`` beside the case's next steps; the case does not close before it has finished.

        A failure there is flagged for staff (m1), never dropped silently.
        """
        task = asyncio.create_task(self._guarded(call))
        self._beside_tasks.add(task)
        task.add_done_callback(self._beside_tasks.discard)

    async def _guarded(self, call: Awaitable[None]) -> None:
        try:
            await call
        except (asyncio.CancelledError, CaseCancelled, ContinueAsNewNow):
            raise
        except Exception as err:  # a bug or an invalid model: staff see it instead of nothing at all
            if not workflow.patched(BESIDE_FAILURE_FLAGGED_PATCH):
                raise
            workflow.logger.error("beside step failed", extra={"case_id": self.req.case_id,
                                                               "error_type": type(err).__name__})
            self._flag(Attention(step="a step beside the case", error_type=type(err).__name__,
                                 message=str(err)[:300], since=workflow.now(), blocking=False))

    def _beside_done(self) -> bool:
        return not self._beside_tasks

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
