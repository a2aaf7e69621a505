"""DigestWorkflow: one digest (staff daily, finance weekly), started by a Temporal Schedule.

Gathers the digest in an activity (it reads every running case's status, which a workflow may not do): the
counts and a template context capped per section (``casefac.digest.context``), built once, never the whole
worklist. Then it sends one personal message per reader in one mail activity; ``MailBatch`` has no shared
context, so each message carries that capped one and the input stays under ``casefac.digest.BATCH_BOUND``.
An empty worklist sends nothing. The mail keys come from the audience, the period and the reader's position
(``casefac.digest``), so a second run in the same period (a schedule fired twice, a manual trigger) is
answered from the mail ledger.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from casefac.activity_io import ActivityName, MailBatch, MailTo, SendMail, TaskQueue
    from casefac.digest import (
        GATHER_ACTIVITY,
        KINDS,
        WORKFLOW,
        Digest,
        DigestInput,
        DigestResult,
        GatherDigest,
        digest_of,
        idempotency_key,
        period,
    )
    from casefac.parties import Role
    from casefac.worklist import Worklist
    from workflows.options import OPTIONS


@workflow.defn(name=WORKFLOW)
class DigestWorkflow:
    @workflow.run
    async def run(self, inp: DigestInput) -> DigestResult:
        at = workflow.now()
        # A Worklist is what the gather activity returned before the cap (a run begun on an older worker, or an
        # older worker answering during a rolling deploy): capped here the same way.
        got = await workflow.execute_activity(
            GATHER_ACTIVITY, GatherDigest(audience=inp.audience, at=at), result_type=Digest | Worklist,  # type: ignore[arg-type]
            task_queue=TaskQueue.MAIN, start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1), maximum_attempts=10),
            summary=f"Worklist for the {inp.audience} digest")
        digest = got if isinstance(got, Digest) else digest_of(got)
        done = DigestResult(audience=inp.audience, period=period(inp.audience, at), items=digest.items,
                            sent=0, unanswered=digest.unanswered)
        if digest.empty:
            workflow.logger.info("digest empty: nothing sent", extra={"audience": inp.audience})
            return done
        role = Role.STAFF if inp.audience == "staff" else Role.FINANCE
        messages = [SendMail(idempotency_key=idempotency_key(inp.audience, at, n), kind=KINDS[inp.audience],
                             to=MailTo(role=role, party_id=f"{inp.audience}-digest-{n}", email=r.email, name=r.name,
                                       language=r.language),
                             context=digest.context)
                    for n, r in enumerate(inp.recipients)]
        opts = OPTIONS[ActivityName.SEND_MAILS]
        await workflow.execute_activity(
            ActivityName.SEND_MAILS, MailBatch(messages=messages), task_queue=opts.task_queue,
            start_to_close_timeout=opts.start_to_close, schedule_to_close_timeout=opts.schedule_to_close,
            retry_policy=opts.retry, summary=f"Email {inp.audience} digest to {len(messages)} reader(s)")
        return done.model_copy(update={"sent": len(messages)})
