"""The case workflow's core: its state, bookkeeping, activity calls with NeedsAttention, and waiting.

Every wait goes through ``_wait`` (reminders, one escalation, an optional deadline, cancellation), and every
provider call through ``_act`` (a refusal for good parks the case until staff retry or cancel).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from casefac import search_attributes as sa
    from casefac import timezones
    from casefac.activity_io import MailKind, MailTo, SendMail
    from casefac.case import CaseStage
    from casefac.case_details import (
        cancel_command,
        current_details,
        provider_message,
        provider_name,
        retry_command,
        waiting_parties,
    )
    from casefac.contract import ContractRevision
    from casefac.state import (
        Attention,
        AttentionEpisode,
        CaseInput,
        CaseState,
        StageChange,
        TimelineEntry,
        WaitClock,
        Waiting,
    )
    from workflows.options import OPTIONS

T = TypeVar("T")
Who = tuple[str, str | None, str]

#: Bounded memories, so a case that lives for years keeps a small history and state.
MAX_SEEN_EVENTS = 1000
MAX_TIMELINE = 300
MAX_TASK_NOTES = 20
MAX_ATTENTION_LOG = 50
MAX_NOTICES = 20

#: ``workflow.patched`` id: the money view's search attributes (invoice dates, total, currency, payout status,
#: whom the case waits on). Cases started before it keep the attributes they had.
MONEY_VIEW_PATCH = "money-view"
#: ``workflow.patched`` id: an update accepted in the activation where a wait's timer fires wins over the timer
#: (a Defender told "accepted" is not recorded as lapsed; a moot reminder is not sent). Review M1.
UPDATE_WINS_OVER_TIMER_PATCH = "update-wins-over-timer"
#: ``workflow.patched`` id: reminders stop after ``reminders_max_per_wait``; staff hear, then weekly. Review M2.
REMINDER_CAP_PATCH = "reminder-cap"
#: ``workflow.patched`` id: continue-as-new at stage transitions and at the top of restart-safe waits. Review M2.
CAN_ANY_STAGE_PATCH = "can-any-stage"
#: ``workflow.patched`` id: a second non-blocking problem is kept beside the first instead of replacing it
#: (no repeated NeedsAttention upsert), and clearing one brings up the next (m8).
ATTENTION_LIST_PATCH = "attention-list"

#: What ``_act(..., blocking=False)`` returns when the call failed (the failure is flagged for staff).
FAILED: Any = object()


class CaseCancelled(Exception):
    """Raised out of any wait once staff cancelled the case; ``run`` then cleans up."""


class ContinueAsNewNow(Exception):
    """Raised at a safe point when history is long; ``run`` carries the state into a new run."""


class CaseCore:
    """Shared by the mixins below it; the workflow class is the last link of the chain."""

    # provided by ``CaseNotices``; declared here because attention and escalation write to staff
    _mail: Callable[..., Awaitable[None]]
    _to_staff: Callable[[], MailTo]

    def _setup(self, inp: CaseInput) -> None:
        self.req = inp.request
        self.policy = inp.policy
        self.s: CaseState = inp.state or CaseState(opened_at=workflow.now())
        self._who: Callable[[], Who] | None = None
        self._since: datetime | None = None
        self._version = 0  # bumped on every state change a wait may care about
        self._money_version = 0  # bumped only when invoices or payouts change: wakes the money collector
        self._cancelling = False
        self._collector_busy = False
        self._beside_tasks: set[asyncio.Task[Any]] = set()
        self._outbox: list[tuple[MailKind, list[SendMail]]] = []  # notices of this workflow task, not yet sent
        # One NeedsAttention at a time: steps that run side by side (payout and invoice) queue for staff.
        self._attention_turn = asyncio.Lock()
        self._envelope_reason = ""
        self._override = ""  # staff's reason for the offer being made (kept on the offer in state)
        self._sa_waiting: tuple[tuple[str, ...], datetime | None] = ((), None)  # last WaitingOn/Since upserted
        #: This run has woken from a wait at least once: only then may it continue as new (a run whose stage
        #: preamble alone passes the limit would otherwise continue as new for ever).
        self._woke = False

    @property
    def _current(self) -> ContractRevision:
        return self.s.revisions[-1]

    def _signed_revision(self) -> ContractRevision:
        """The revision the parties signed (the envelope's), which every later step executes and prices.

        ``_current`` is the latest edit; once an envelope exists, tasks, pricing, LEDES and notices follow the
        envelope's revision instead, so an edit that nobody signed can never be billed (review C1).
        """
        env = self.s.envelope
        if env is not None:
            for rev in self.s.revisions:
                if rev.number == env.revision:
                    return rev
        return self._current

    # ------------------------------------------------------------------------------------ activities
    async def _act(self, name: str, arg: Any, result_type: type[T] | None, *, summary: str, step: str,
                   blocking: bool = True, on_staff_retry: Callable[[Any, int], Any] | None = None) -> Any:
        """Run an activity; a refusal for good raises NeedsAttention and waits for staff's retry or cancel.

        With ``blocking=False`` (mail, clean-up on cancel) the failure is recorded for staff and the case
        goes on; the caller receives ``FAILED``. ``on_staff_retry(arg, n)`` gives the input of the n-th staff
        retry (the money steps send fresh idempotency keys, see ``CaseMoney``).

        ``arg`` may be a zero-argument callable: it is called for every attempt, so a staff retry runs with
        the inputs as they are now (an email staff corrected with ``casefac amend``, review M3).
        """
        opts = OPTIONS[name]
        staff_retries = 0
        while True:
            payload = arg() if callable(arg) and not isinstance(arg, BaseModel) else arg
            try:
                return await workflow.execute_activity(
                    name, payload, result_type=result_type, task_queue=opts.task_queue,
                    start_to_close_timeout=opts.start_to_close, schedule_to_close_timeout=opts.schedule_to_close,
                    retry_policy=opts.retry, heartbeat_timeout=opts.heartbeat, summary=summary)
            except ActivityError as err:
                cause = err.cause
                if isinstance(cause, ApplicationError):
                    etype = cause.type or "ApplicationError"
                else:
                    etype = type(cause).__name__ if cause else "ActivityError"
                message = cause.message if cause is not None else str(err)
                said = provider_message(cause)
                if said and said not in message:
                    message = f"{message} — {provider_name(etype)} said: “{said}”"
                workflow.logger.warning("step failed", extra={"case_id": self.req.case_id, "step": step,
                                                              "error_type": etype})
                if not blocking:
                    self._flag(Attention(step=step, error_type=etype, message=message, since=workflow.now(),
                                         blocking=False))
                    return FAILED
                await self._needs_attention(step, etype, message)
                staff_retries += 1
                if on_staff_retry is not None:
                    arg = on_staff_retry(arg, staff_retries)

    async def _needs_attention(self, step: str, etype: str, message: str) -> None:
        async with self._attention_turn:
            self._flag(Attention(step=step, error_type=etype, message=message, since=workflow.now()))
            self.s.retry_requested = False
            ctx = {"step": step, "error": f"{etype}: {message}", "retry_command": retry_command(self.req.case_id),
                   "cancel_command": cancel_command(self.req.case_id)}
            await self._mail(MailKind.NEEDS_ATTENTION, self._to_staff(), ctx)
            await self._wait(lambda: self.s.retry_requested,
                             who=lambda: ("staff", None, f"fix '{step}' and retry, or cancel"),
                             every=self.policy.attention_reminder_every,
                             on_remind=lambda _n: self._mail(MailKind.NEEDS_ATTENTION, self._to_staff(), ctx))
            self.s.retry_requested = False
            self._clear_attention()
            self._sync_waiting()  # staff answered: while the step runs again, the case no longer waits on them
            self._event(f"retrying {step}")

    async def _together(self, *steps: Awaitable[None]) -> None:
        """Run steps side by side; when one raises (a cancel), the others still finish before it is raised.

        Letting a sibling run to its end matters for money: a cancelled case voids the invoices it knows
        of, so an invoice being issued must be known before the cancel runs.
        """
        results = await asyncio.gather(*steps, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _flag(self, attention: Attention) -> None:
        if (self.s.attention is not None and not attention.blocking
                and (self.s.attention.blocking or workflow.patched(ATTENTION_LIST_PATCH))):
            # Another problem is open: this one is kept beside it (not dropped, not overwriting it), with a
            # timeline entry, until staff's retry (m8). The search attribute is already set.
            self.s.notices = [*self.s.notices, attention][-MAX_NOTICES:]
            self._event(f"also needs attention: {attention.step} ({attention.error_type})")
            return
        self.s.attention = attention
        self._upsert(sa.NEEDS_ATTENTION.value_set(True))
        self._event(f"needs attention: {attention.step} ({attention.error_type})")
        self.s.attention_log = [*self.s.attention_log, AttentionEpisode(**attention.model_dump())][-MAX_ATTENTION_LOG:]
        self._milestone()
        workflow.set_current_details(self._details())  # finance reads the warning there, not only the attribute

    def _clear_attention(self) -> None:
        if self.s.notices and workflow.patched(ATTENTION_LIST_PATCH):
            # The next kept problem takes the slot (NeedsAttention stays set): one retry each (m8).
            self.s.attention, self.s.notices = self.s.notices[0], self.s.notices[1:]
        else:
            self.s.attention = None
            self._upsert(sa.NEEDS_ATTENTION.value_set(False))
        open_episode = next((a for a in reversed(self.s.attention_log) if a.resolved_at is None), None)
        if open_episode is not None:
            open_episode.resolved_at = workflow.now()
        self._milestone()
        workflow.set_current_details(self._details())

    def _milestone(self) -> None:
        """Something the case record keeps was decided: the record writer sends a new snapshot."""
        self.s.record_seq += 1

    # ---------------------------------------------------------------------------------------- waiting
    async def _wait(self, done: Callable[[], bool], *, who: Callable[[], Who],
                    every: timedelta | None = None, on_remind: Callable[[int], Awaitable[None]] | None = None,
                    escalate_after: timedelta | None = None, on_escalate: Callable[[], Awaitable[None]] | None = None,
                    deadline: timedelta | None = None, until: datetime | None = None,
                    key: str | None = None, zone: str | None = None) -> bool:
        """Wait for ``done`` with reminders every ``every`` and one escalation; False if the deadline passed.

        ``until`` is an absolute deadline (``deadline`` the same, relative to now). ``key`` makes the wait
        restart-safe: its clock lives in ``CaseState.waits`` and the case may continue-as-new at its top, then
        resume it with the same deadlines (the caller's stage must re-enter without repeating itself). After
        ``reminders_max_per_wait`` reminders the party is not reminded again: staff are escalated to (once),
        then reminded every ``slow_reminder_every`` (review M2). With ``zone`` (the reminded party's), each
        reminder waits for their next working hour (Mon–Fri 09:00–18:00 local, review M8).
        """
        prev = (self._who, self._since)
        clock = self.s.waits.get(key) if key is not None else None
        if clock is None:
            clock = WaitClock(since=workflow.now())
            if key is not None:
                self.s.waits[key] = clock
        since = clock.since
        if until is None and deadline is not None:
            until = workflow.now() + deadline
        self._who, self._since = who, since
        role, party, what = who()
        self.s.waiting = Waiting(role=role, party_id=party, what=what, since=since, until=until)
        self._sync_waiting()
        finished = False
        try:
            while True:
                self._check_cancel()
                if done():
                    finished = True
                    return True
                if key is not None and self._may_continue_as_new():
                    raise ContinueAsNewNow
                now = workflow.now()
                capped = self._reminders_capped(clock, every, on_remind)
                marks: list[datetime] = []
                if capped:
                    marks.append(self._slow_mark(clock, since, every, on_escalate))
                elif every is not None and on_remind is not None:
                    mark = since + every * (clock.reminders + 1)
                    marks.append(timezones.working_time(mark, zone) if zone else mark)
                if escalate_after is not None and on_escalate is not None and not clock.escalated:
                    marks.append(since + escalate_after)
                if until is not None:
                    marks.append(until)
                timeout = max(min(marks) - now, timedelta(seconds=1)) if marks else None
                try:
                    await workflow.wait_condition(lambda: done() or self._cancel_pending(), timeout=timeout,
                                                  timeout_summary=what[:60])
                    self._woke = True
                except TimeoutError:
                    self._woke = True
                    # An update accepted in the same activation as the timer ran first, but conditions are
                    # checked only after the timer released the wait: it wins over the timer (review M1).
                    if done() and workflow.patched(UPDATE_WINS_OVER_TIMER_PATCH):
                        finished = True
                        return True
                    now = workflow.now()
                    if until is not None and now >= until:
                        finished = True
                        return False
                    await self._on_marks(clock, since, now, every, on_remind, escalate_after, on_escalate, done, zone)
        except ContinueAsNewNow:
            raise
        except BaseException:
            finished = True
            raise
        finally:
            self._who, self._since = prev
            self.s.waiting = None
            if finished and key is not None:
                self.s.waits.pop(key, None)

    def _reminders_capped(self, clock: WaitClock, every: timedelta | None,
                          on_remind: Callable[[int], Awaitable[None]] | None) -> bool:
        """The party had their reminders: from now on staff hear weekly (a patch decides, for replay)."""
        if every is None or on_remind is None or clock.reminders < self.policy.reminders_max_per_wait:
            return False
        return workflow.patched(REMINDER_CAP_PATCH)

    def _slow_mark(self, clock: WaitClock, since: datetime, every: timedelta | None,
                   on_escalate: Callable[[], Awaitable[None]] | None) -> datetime:
        """Once capped: staff are escalated to at once (if not yet), then reminded every ``slow_reminder_every``."""
        assert every is not None
        capped_at = since + every * self.policy.reminders_max_per_wait
        if not clock.escalated and on_escalate is not None:
            return capped_at
        return capped_at + self.policy.slow_reminder_every * (clock.slow + 1)

    async def _on_marks(self, clock: WaitClock, since: datetime, now: datetime, every: timedelta | None,
                        on_remind: Callable[[int], Awaitable[None]] | None, escalate_after: timedelta | None,
                        on_escalate: Callable[[], Awaitable[None]] | None, done: Callable[[], bool],
                        zone: str | None = None) -> None:
        """The reminders and escalation due at ``now``; each re-checks ``done`` first (a moot reminder is not
        sent, e.g. "please review report 2" right after staff reviewed it)."""
        moot = done() and workflow.patched(UPDATE_WINS_OVER_TIMER_PATCH)
        if (escalate_after is not None and on_escalate is not None and not clock.escalated
                and now >= since + escalate_after):
            clock.escalated = True
            if not moot:
                await on_escalate()
        if self._reminders_capped(clock, every, on_remind):
            if now >= self._slow_mark(clock, since, every, on_escalate):
                if not clock.escalated and on_escalate is not None:
                    clock.escalated = True
                    if not moot:
                        await on_escalate()
                else:
                    clock.slow += 1
                    if not moot:
                        await self._slow_reminder(clock.slow)
        elif every is not None and on_remind is not None and now >= self._remind_at(since, every, clock, zone):
            clock.reminders += 1
            if not moot:
                await on_remind(clock.reminders)

    @staticmethod
    def _remind_at(since: datetime, every: timedelta, clock: WaitClock, zone: str | None) -> datetime:
        mark = since + every * (clock.reminders + 1)
        return timezones.working_time(mark, zone) if zone else mark

    async def _slow_reminder(self, n: int) -> None:
        """Weekly, once the party's reminders ran out: staff, told whom the case still waits on."""
        role, party, what = self._who() if self._who else ("", None, "")
        await self._mail(MailKind.STAFF_ESCALATION, self._to_staff(),
                         {"step": what, "reason": f"still waiting on {role}{f' {party}' if party else ''} to {what}; "
                                                  f"reminders to them have stopped (weekly reminder {n})"})

    # ---------------------------------------------------------------------------------- cancellation
    def _check_cancel(self) -> None:
        if self._cancel_pending():
            raise CaseCancelled

    def _cancel_pending(self) -> bool:
        return self.s.cancel is not None and not self._cancelling

    def _may_continue_as_new(self) -> bool:
        """At a stage transition or the top of a restart-safe wait (review M2), once this run has woken."""
        return self._woke and self._should_continue_as_new() and workflow.patched(CAN_ANY_STAGE_PATCH)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (info.is_continue_as_new_suggested()
                or info.get_current_history_length() >= self.policy.continue_as_new_after_events)

    # ---------------------------------------------------------------------------- state bookkeeping
    @property
    def _wid(self) -> str:
        return workflow.info().workflow_id

    def _event(self, event: str, actor: str | None = None) -> None:
        self.s.timeline.append(TimelineEntry(at=workflow.now(), stage=self.s.stage, event=event, actor=actor))
        if len(self.s.timeline) > MAX_TIMELINE:
            del self.s.timeline[1: len(self.s.timeline) - MAX_TIMELINE + 1]
        self._version += 1
        if self._who is not None:  # inside a wait: what just happened may change whom it waits on
            self._sync_waiting()

    def _defender_tz(self) -> str:
        """The Defender's IANA zone (the case's country), fixed in state the first time it is needed (M8)."""
        if not self.s.defender_tz:
            self.s.defender_tz = timezones.defender_zone(self.req.country)
        return self.s.defender_tz

    def _set_stage(self, stage: CaseStage) -> None:
        self.s.stage = stage
        self.s.stage_changes.append(StageChange(stage=stage, at=workflow.now()))
        self._milestone()
        self._event(f"stage {stage.value}")
        self._upsert(sa.CASE_STAGE.value_set(stage.value))
        if stage.terminal:
            self._sync_waiting()
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
        """Markdown for the Temporal UI's current details (``casefac.case_details``): ids, amounts, dates only."""
        waiting = None
        if self._who is not None and self._since is not None:
            role, party, what = self._who()
            waiting = (role + (f" {party}" if party else ""), what, self._since)
        return current_details(self.req, self.s, now=workflow.now(),
                               days_until_due=self.policy.invoice_days_until_due, waiting=waiting)

    # ------------------------------------------------------------------------------- the money view
    def _money_view(self) -> bool:
        """The money view's search attributes (``casefac.search_attributes``), for cases from this release on."""
        return workflow.patched(MONEY_VIEW_PATCH)

    def _sync_waiting(self) -> None:
        """``WaitingOn`` / ``WaitingSince``, upserted only when they change (each upsert is a history event)."""
        if self.s.stage.terminal:
            wanted: tuple[tuple[str, ...], datetime | None] = ((), None)
        else:
            role = self._who()[0] if self._who is not None else None
            parties = tuple(waiting_parties(role, self.s))
            wanted = (parties, self._since if parties else None)
        # The same parties as already upserted keep their "since": it answers "how long has this party held
        # the case up", and each upsert is a history event.
        if wanted[0] == self._sa_waiting[0] or not self._money_view():
            return
        self._sa_waiting = wanted
        parties, since = wanted
        if parties:
            self._upsert(sa.WAITING_ON.value_set(list(parties)),
                         sa.WAITING_SINCE.value_set(since or workflow.now()))
        else:  # WaitingSince stays (an unset Datetime comes back from the test server as a list)
            self._upsert(sa.WAITING_ON.value_set([]))
        workflow.set_current_details(self._details())
