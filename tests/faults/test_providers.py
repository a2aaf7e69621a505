"""Providers misbehaving (issue 7): transient errors and delays are retried to success with nothing created
twice; a permanent rejection parks the case on NeedsAttention until staff retry.

In-process world: no process has to die for these, so the faster system does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from casefac.activity_io import ActivityName
from casefac.ids import advocate_workflow_id, case_workflow_id
from casefac.status import CaseStatus
from starters import staff_actions
from starters.demo.sample import STAFF
from tests.faults.kit import INVOICE_AND_PAYOUT, Scene, attempts, retried, until
from tests.faults.proxy import LossyProxy

pytestmark = pytest.mark.integration

ENVELOPES = r"POST /restapi/v2\.1/accounts/[^/]+/envelopes$"
MAIL = r"POST /v3/mail/send$"
CUSTOMER_SEARCH = r"GET /v1/customers/search$"
INVOICES = r"POST /v1/invoices$"
FINALIZE = r"POST /v1/invoices/[^/]+/finalize$"
SEND_INVOICE = r"POST /v1/invoices/[^/]+/send$"
TRANSFERS = r"POST /v1/transfers$"


async def test_transient_faults_on_every_provider_are_retried_and_nothing_is_made_twice(
        world_scene: Scene, lossy: LossyProxy) -> None:
    """429, 5xx and slow answers from DocuSign, SendGrid and Stripe, and answers lost after the provider
    acted: each retried by Temporal with backoff, each retry continuing from what the failed attempts left
    behind, so the case closes and the sandbox holds exactly one envelope, invoice, transfer and email each."""
    scene, sb = world_scene, world_scene.sandbox
    await sb.fault(ENVELOPES, status=500)  # the Advocate Agreement envelope, 1st try: refused
    lossy.lose(ENVELOPES)  # 2nd try: created, but the answer is lost
    await sb.fault(MAIL, status=429)  # the first email of the case
    await sb.fault(CUSTOMER_SEARCH, status=None, delay=1.0)  # slow, then fine
    lossy.lose(TRANSFERS)  # the Defender is paid, the answer is lost
    await sb.fault(INVOICES, status=500, delay=1.0)  # invoice, 1st try: slow, then failing
    lossy.lose(FINALIZE)  # 2nd try: created, itemized and finalized; the last answer is lost
    await sb.fault(SEND_INVOICE, status=429)  # 3rd try: sending refused; 4th: sent
    case = scene.new_case()

    await scene.run(case)

    assert await sb.faults() == [] and lossy.pending() == 0, "every injected fault was met"
    (await sb.books(case)).assert_one_of_each()
    found = await attempts(scene.client, case_workflow_id(case.case_id))
    agreement = await attempts(scene.client, advocate_workflow_id(case.request.advocate.id))
    envelope = retried(agreement, ActivityName.SEND_AGREEMENT_ENVELOPE)
    assert [(a.attempt, "HTTP 502" in a.last_failure) for a in envelope] == [(3, True)], envelope
    mails = retried(found + agreement, ActivityName.SEND_MAIL) + retried(found + agreement, ActivityName.SEND_MAILS)
    assert [("HTTP 429" in a.last_failure) for a in mails] == [True], mails
    transfer = retried(found, ActivityName.PAY_DEFENDER)
    assert [(a.attempt, "HTTP 502" in a.last_failure) for a in transfer] == [(2, True)], transfer
    invoice = retried(found, ActivityName.ISSUE_INVOICE)
    assert [(a.attempt, "HTTP 429" in a.last_failure) for a in invoice] == [(4, True)], invoice


@pytest.fixture
async def rejecting_invoices(world_scene: Scene) -> AsyncIterator[None]:
    """Stripe refuses every invoice for good (HTTP 400) until the test clears the fault."""
    await world_scene.sandbox.fault(INVOICES, status=400, count=1000)
    yield


async def test_a_permanent_rejection_needs_attention_until_staff_retry(world_scene: Scene,
                                                                       rejecting_invoices: None) -> None:
    """A 400 is not retried by Temporal (it would fail the same way): the case stays alive, shows
    NeedsAttention in its status and in the ``NeedsAttention`` search attribute finance filters on, tells
    staff by email, and goes on when staff retry after the cause is fixed."""
    scene, sb = world_scene, world_scene.sandbox
    case = scene.new_case()
    wid = case_workflow_id(case.case_id)

    async def staff_fix_and_retry() -> None:
        status: CaseStatus = await until(lambda: scene.status(case.case_id),
                                         lambda s: s.attention is not None, "NeedsAttention")
        attention = status.attention
        assert attention is not None and attention.blocking
        assert (attention.step, attention.error_type) == ("invoice for report 1", "StripeRejected")
        assert "HTTP 400" in attention.message
        assert await _listed(scene.client, f"NeedsAttention = true AND WorkflowId = '{wid}'") == [wid]
        assert [f["count"] for f in await sb.faults()] == [999], "a 400 is tried once, never retried"
        assert await sb.invoices_of(case.case_id) == []
        await until(lambda: _staff_mails(scene, case.case_id), bool, "the needs_attention email to staff")

        await sb.clear_faults()  # "fixed the Advocate's details in Stripe"
        receipt = await staff_actions.retry(scene.client, case.case_id, STAFF, note="fixed in Stripe")
        assert "retrying invoice for report 1" in receipt.message
        await until(lambda: scene.status(case.case_id), lambda s: s.attention is None, "attention cleared")
        assert await _listed(scene.client, f"NeedsAttention = false AND WorkflowId = '{wid}'") == [wid]

    status = await scene.run(case, {INVOICE_AND_PAYOUT: staff_fix_and_retry})

    events = [e.event for e in status.timeline]
    assert "needs attention: invoice for report 1 (StripeRejected)" in events
    assert "retrying invoice for report 1" in events
    assert status.invoices[0].status == "paid" and status.attention is None
    (await sb.books(case)).assert_one_of_each()


async def _listed(client: Client, query: str) -> list[str]:
    """The workflow ids ``list_workflows`` finds, as finance's saved view would (visibility is eventually
    consistent: poll until it finds one)."""
    async def ids() -> list[str]:
        return [w.id async for w in client.list_workflows(query)]
    return await until(ids, bool, f"list_workflows({query!r})")


async def _staff_mails(scene: Scene, case_id: str) -> list[dict[str, object]]:
    mails = await scene.http.get(f"{scene.sandbox_url}/_sandbox/mail", params=[
        ("to", scene.staff_email), ("custom_args", f"case_id={case_id}"), ("custom_args", "kind=needs_attention")])
    mails.raise_for_status()
    return list(mails.json())
