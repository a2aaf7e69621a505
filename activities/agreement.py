"""The ``agreement.*`` activities: a case and its Advocate's entity workflow.

``agreement.request``: signal-with-start makes the entity if it does not exist and queues the request if it
does, atomically on the server, so two cases opened at once for a new Advocate still meet ONE entity and get
ONE envelope. A new entity (the first, or one started again after ops terminated it) is seeded from the case
record: an Advocate whose Agreement a recorded case holds as signed is never asked again (review M4).

``agreement.confirm``: a case believes an ``agreement_signed`` signal only once the entity itself says the
Agreement is in force under that envelope (security C2 §4: a forged signal does nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowQueryFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from casefac import search_attributes as sa
from casefac.activity_io import ActivityName, ConfirmAgreement, TaskQueue
from casefac.events import AgreementRequest, AgreementSigned, Signal
from casefac.ids import advocate_workflow_id
from casefac.policy import CasePolicy
from casefac.state import AdvocateInput, AdvocateState

#: How long ``agreement.confirm`` waits for the entity's answer before the attempt fails (and is retried).
CONFIRM_QUERY_TIMEOUT = timedelta(seconds=5)

#: Looks up a signed Agreement of an Advocate in the case record: (envelope id, signed at) or None.
SignedLookup = Callable[[str], "tuple[str, datetime] | None"]


class AgreementActivities:
    def __init__(self, policy: CasePolicy, signed_lookup: SignedLookup | None = None) -> None:
        self.policy = policy
        self.signed_lookup = signed_lookup

    @activity.defn(name=ActivityName.REQUEST_AGREEMENT)
    async def request_agreement(self, req: AgreementRequest) -> bool:
        """Ask for the Agreement; True when the entity sent it to other contact details than this case names
        (security m8: the case records that on its timeline; the entity tells staff and the old address)."""
        client = activity.client()
        changed = await self._contact_differs(req)
        seed = await self._seed(req.advocate.id)
        await client.start_workflow(
            "AdvocateWorkflow",
            AdvocateInput(advocate=req.advocate, policy=self.policy, state=seed),
            id=advocate_workflow_id(req.advocate.id),
            task_queue=TaskQueue.MAIN,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            start_signal=Signal.REQUEST_AGREEMENT,
            start_signal_args=[req],
            search_attributes=TypedSearchAttributes([SearchAttributePair(sa.ADVOCATE_ID, req.advocate.id)]),
            static_summary=f"Advocate {req.advocate.id}: one-time Advocate Agreement",
        )
        activity.logger.info("agreement requested", extra={"case_id": req.case_id,
                                                          "advocate_id": req.advocate.id,
                                                          "seeded": seed is not None})
        return changed

    async def _contact_differs(self, req: AgreementRequest) -> bool:
        handle = activity.client().get_workflow_handle(advocate_workflow_id(req.advocate.id))
        try:
            state: AdvocateState = await handle.query("agreement", result_type=AdvocateState)
        except (RPCError, WorkflowQueryFailedError):
            return False  # no entity yet (or it cannot answer): nothing was sent anywhere else
        signer = state.signer
        if signer is None or state.status not in ("pending", "declined"):
            return False
        return (str(signer.email).lower(), signer.name, signer.language) != (
            str(req.advocate.email).lower(), req.advocate.name, req.advocate.language)

    async def _seed(self, advocate_id: str) -> AdvocateState | None:
        """The entity's start state when the case record already holds this Advocate's signed Agreement.

        Only used when signal-with-start creates the entity; a running entity keeps its own state. An
        unreachable record leaves the entity unseeded (it then asks DocuSign, which finds the old envelope).
        """
        if self.signed_lookup is None:
            return None
        try:
            found = await asyncio.to_thread(self.signed_lookup, advocate_id)
        except Exception as exc:  # the record is best effort here: the case must not wait on it
            activity.logger.warning("case record unavailable for the agreement seed (%s)", type(exc).__name__)
            return None
        if found is None:
            return None
        envelope_id, signed_at = found
        return AdvocateState(status="signed", envelope_id=envelope_id, signed_at=signed_at)

    @activity.defn(name=ActivityName.CONFIRM_AGREEMENT)
    async def confirm_agreement(self, req: ConfirmAgreement) -> AgreementSigned | None:
        """What the Advocate's entity says: the Agreement in force (its envelope and date), or None."""
        handle = activity.client().get_workflow_handle(advocate_workflow_id(req.advocate_id))
        try:
            # A bounded question: one put while the entity's run is continuing as new may go unanswered;
            # the attempt then fails and the retry reaches the run that answers (the case asks again too).
            state: AdvocateState = await handle.query("agreement", result_type=AdvocateState,
                                                      rpc_timeout=CONFIRM_QUERY_TIMEOUT)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        except WorkflowQueryFailedError:
            return None
        if state.status != "signed" or not state.envelope_id or state.signed_at is None:
            return None
        return AgreementSigned(envelope_id=state.envelope_id, signed_at=state.signed_at)


def record_lookup(records_factory: Callable[[], Any]) -> SignedLookup:
    """A :data:`SignedLookup` over the case record (``records.connect.Records``), opened per call."""

    def lookup(advocate_id: str) -> tuple[str, datetime] | None:
        from sqlalchemy import select

        from records import models as m
        from records.reader import utc

        records = records_factory()
        try:
            with records.engine.connect() as conn:
                row = conn.execute(
                    select(m.CaseRow.agreement_envelope_id, m.CaseRow.agreement_signed_at)
                    .where(m.CaseRow.advocate_id == advocate_id, m.CaseRow.agreement_status == "signed",
                           m.CaseRow.agreement_envelope_id.is_not(None))
                    .order_by(m.CaseRow.agreement_signed_at).limit(1)).first()
        finally:
            records.engine.dispose()
        if row is None or row[1] is None:
            return None
        signed_at = utc(row[1])
        assert signed_at is not None
        return str(row[0]), signed_at

    return lookup
