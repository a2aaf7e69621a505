"""``SigningViewWorkflow``: one DocuSign recipient view, opened on the worker for the public gateway (M7).

The gateway starts it when a signer clicks "sign" (id from the link's nonce: a double click joins the
running one) and waits for the URL. It exists so the gateway needs no DocuSign key: the one activity runs
on the e-sign queue, re-reads the signer from the case itself, and returns the view's URL or why there is
none. Short retries only: a person is waiting behind a button.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from casefac.activity_io import TaskQueue
    from casefac.signing import CREATE_SIGNING_VIEW, SIGNING_VIEW_WORKFLOW, SigningViewRequest, SigningViewResult

#: The whole thing must fit in the portal's wait (``gateway/portal/pages/sign.py``).
ACTIVITY_TIMEOUT = timedelta(seconds=20)
TOTAL_TIMEOUT = timedelta(seconds=40)


@workflow.defn(name=SIGNING_VIEW_WORKFLOW)
class SigningViewWorkflow:
    @workflow.run
    async def run(self, request: SigningViewRequest) -> SigningViewResult:
        try:
            return await workflow.execute_activity(
                CREATE_SIGNING_VIEW, request, result_type=SigningViewResult, task_queue=TaskQueue.ESIGN,
                start_to_close_timeout=ACTIVITY_TIMEOUT, schedule_to_close_timeout=TOTAL_TIMEOUT,
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
                summary=f"Signing view for {request.role.value} on {request.case_id}")
        except ActivityError:
            return SigningViewResult(refusal="unavailable")
