"""The ``agreement.request`` activity: a case asks its Advocate's entity workflow for the agreement.

Signal-with-start makes the entity if it does not exist and queues the request if it does, atomically on
the server, so two cases opened at once for a new Advocate still meet ONE entity and get ONE envelope.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy

from casefac import search_attributes as sa
from casefac.activity_io import ActivityName, TaskQueue
from casefac.events import AgreementRequest, Signal
from casefac.ids import advocate_workflow_id
from casefac.policy import CasePolicy
from casefac.state import AdvocateInput


class AgreementActivities:
    def __init__(self, policy: CasePolicy) -> None:
        self.policy = policy

    @activity.defn(name=ActivityName.REQUEST_AGREEMENT)
    async def request_agreement(self, req: AgreementRequest) -> None:
        client = activity.client()
        await client.start_workflow(
            "AdvocateWorkflow",
            AdvocateInput(advocate=req.advocate, policy=self.policy),
            id=advocate_workflow_id(req.advocate.id),
            task_queue=TaskQueue.MAIN,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            start_signal=Signal.REQUEST_AGREEMENT,
            start_signal_args=[req],
            search_attributes=TypedSearchAttributes([SearchAttributePair(sa.ADVOCATE_ID, req.advocate.id)]),
            static_summary=f"Advocate {req.advocate.id}: one-time Advocate Agreement",
        )
        activity.logger.info("agreement requested", extra={"case_id": req.case_id,
                                                          "advocate_id": req.advocate.id})
