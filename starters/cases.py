"""Opening and addressing cases from any client (CLI, demo, tests), one way everywhere."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from casefac import search_attributes as sa
from casefac.activity_io import TaskQueue
from casefac.case import CaseRequest, CaseStage
from casefac.ids import case_workflow_id
from casefac.policy import CasePolicy
from casefac.state import CaseInput
from casefac.status import CaseStatus

WORKFLOW = "CaseFacilitationWorkflow"


async def open_case(client: Client, request: CaseRequest, policy: CasePolicy) -> WorkflowHandle[object, CaseStatus]:
    """Start the case workflow; a second start with the same case id is refused (even after it closed)."""
    from casefac.labels import SERVICES  # Babel: imported here, not by every command that reads a case

    return await client.start_workflow(
        WORKFLOW,
        CaseInput(request=request, policy=request.policy or policy),
        id=case_workflow_id(request.case_id),
        task_queue=TaskQueue.MAIN,
        result_type=CaseStatus,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(sa.CASE_STAGE, CaseStage.REVIEW.value),
            SearchAttributePair(sa.CASE_COUNTRY, request.country),
            SearchAttributePair(sa.ADVOCATE_ID, request.advocate.id),
            SearchAttributePair(sa.NEEDS_ATTENTION, False),
        ]),
        # Summaries are payloads (encrypted by the codec) but still carry no client data: ids and codes.
        static_summary=f"Case {request.case_id} · {request.country} · {request.matter_type.value}",
        static_details=(f"**Case** {request.case_id}\n\n**Country** {request.country}\n\n"
                        f"**Advocate** {request.advocate.id} ({request.advocate.billing_currency})\n\n"
                        f"**Services** {'; '.join(SERVICES.get(s.value, s.value) for s in request.services)}"),
    )


def case_handle(client: Client, case_id: str) -> WorkflowHandle[object, CaseStatus]:
    return client.get_workflow_handle(case_workflow_id(case_id), result_type=CaseStatus)


async def case_status(client: Client, case_id: str) -> CaseStatus:
    return await case_handle(client, case_id).query("status", result_type=CaseStatus)


#: Longer than any query takes when a worker is polling; a running case that has no worker times out here.
QUERY_TIMEOUT = timedelta(seconds=10)


async def read_status(client: Client, case_id: str) -> CaseStatus:
    """The case's status: its final result once completed (no worker needed), else the ``status`` query."""
    handle = case_handle(client, case_id)
    description = await handle.describe()
    if description.status == WorkflowExecutionStatus.COMPLETED:
        return await handle.result()
    return await handle.query("status", result_type=CaseStatus, rpc_timeout=QUERY_TIMEOUT)
