"""Cancel from every stage (voiding what is open), and NeedsAttention with staff's retry."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from casefac import search_attributes as sa
from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import RetryStep, Update
from casefac.report import ReportKind
from tests.workflow.harness import STAFF, Case, Harness, mails_eventually


async def _review(case: Case) -> None:
    await case.until(lambda s: s.waiting is not None, "waiting for review")


async def _agreement_with_envelope_out(case: Case) -> None:
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()
    await case.complete_and_approve_contract()
    await case.envelope()


async def _assignment(case: Case) -> None:
    await case.to_assignment()


async def _payment_with_open_invoice(case: Case) -> None:
    await case.to_assignment()
    number = await case.submit(case.report(ReportKind.INTERIM))
    await case.approve(number)
    await case.until(lambda s: bool(s.invoices), "invoice open")


async def _evaluation(case: Case) -> None:
    await case.to_assignment()
    number = await case.submit(case.report())
    await case.approve(number)
    await case.stage(CaseStage.EVALUATION)


@pytest.mark.parametrize("reach", [_review, _agreement_with_envelope_out, _assignment, _payment_with_open_invoice,
                                   _evaluation], ids=lambda f: f.__name__.strip("_"))
async def test_cancel_from_each_stage(harness: Harness, reach) -> None:  # type: ignore[no-untyped-def]
    case = await harness.open()
    await reach(case)
    had_envelope = (await case.status()).envelope
    await case.cancel("The client withdrew", invoices="void")  # approved work's invoices: voided, said so (M5)
    result = await case.handle.result()
    assert result.stage == CaseStage.CANCELLED
    voided_envelopes = harness.fakes.calls[ActivityName.VOID_ENVELOPE]
    if had_envelope is not None and had_envelope.status == "sent":
        assert [v.envelope_id for v in voided_envelopes] == [had_envelope.envelope_id]
        assert result.envelope is not None and result.envelope.status == "voided"
    else:
        assert not voided_envelopes
    assert all(i.status in ("void", "paid") for i in result.invoices)
    assert len(harness.fakes.calls[ActivityName.VOID_INVOICE]) == len(result.invoices)
    told = {m.to.role.value for m in harness.fakes.mails("case_cancelled")}
    assert {"advocate", "staff"} <= told
    with pytest.raises(RPCError, match="not found"):  # a closed case takes no more updates
        await case.cancel("again")


async def test_provider_refusal_raises_needs_attention_until_staff_retry(harness: Harness) -> None:
    case = await harness.open()
    harness.fakes.refuse[ActivityName.SEND_CONTRACT_ENVELOPE].append("DocuSignRejected")
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()
    await case.complete_and_approve_contract()
    s = await case.until(lambda s: s.attention is not None, "needs attention")
    assert s.attention is not None and s.attention.error_type == "DocuSignRejected" and s.attention.blocking
    assert s.waiting is not None and s.waiting.role == "staff" and "retry" in s.waiting.what
    described = await case.handle.describe()
    assert described.typed_search_attributes.get(sa.NEEDS_ATTENTION) is True
    [alert] = await mails_eventually(harness, "needs_attention", case_id=case.case_id)
    assert alert.to.role.value == "staff" and "DocuSignRejected" in str(alert.context["error"])
    # a person's retry before anything is wrong is refused; here it is accepted
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="Fixed the signer's address"))
    await case.envelope()
    s = await case.until(lambda s: s.attention is None, "attention cleared")
    described = await case.handle.describe()
    assert described.typed_search_attributes.get(sa.NEEDS_ATTENTION) is False
    assert len(harness.fakes.calls[ActivityName.SEND_CONTRACT_ENVELOPE]) == 2
    await case.sign_all()


async def test_a_failed_email_flags_attention_without_stopping_the_case(harness: Harness) -> None:
    case = await harness.open()
    harness.fakes.refuse[ActivityName.SEND_MAIL].append("SendGridRejected")  # the case_received mail
    s = await case.until(lambda s: s.attention is not None, "flagged")
    assert s.attention is not None and not s.attention.blocking and s.stage == CaseStage.REVIEW
    await case.assign()  # the case goes on
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF))
    s = await case.until(lambda s: s.attention is None, "cleared")
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF))
    assert "nothing is waiting" in str(err.value.cause)
