"""The running cases' status, read for ``casefac today`` / ``money`` and for the digest activity.

Every running case is asked (its ``status`` query), not only those whose search attributes look urgent:
the attributes are set at milestones, a case started before the money view has fewer of them, and a
worklist that misses a case is worse than one that takes a second longer. Queries run a few at a time;
a case that does not answer is named, never silently left out.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.service import RPCError

from casefac.status import CaseStatus

RUNNING_CASES = "WorkflowType = 'CaseFacilitationWorkflow' AND ExecutionStatus = 'Running'"
QUERY_TIMEOUT = timedelta(seconds=10)
CONCURRENCY = 16


async def running_statuses(client: Client, *, limit: int = 10_000) -> tuple[list[CaseStatus], list[str]]:
    """(the status of every running case, the workflow ids of those that did not answer)."""
    ids = [wf.id async for wf in client.list_workflows(RUNNING_CASES, limit=limit)]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(workflow_id: str) -> CaseStatus | str:
        async with gate:
            try:
                return await client.get_workflow_handle(workflow_id).query(
                    "status", result_type=CaseStatus, rpc_timeout=QUERY_TIMEOUT)
            except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError):
                return workflow_id

    answers = await asyncio.gather(*(one(i) for i in ids))
    statuses = [a for a in answers if isinstance(a, CaseStatus)]
    return statuses, [a for a in answers if isinstance(a, str)]
