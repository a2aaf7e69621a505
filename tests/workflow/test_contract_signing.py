"""The contract from approval to signature (review C1, M7, m10, m12; security C2 §4): frozen while its envelope
is made or out, executed and priced at the signed revision, believed signed only when DocuSign says so, and
never waiting silently for a lost webhook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from casefac.activity_io import CONTRACT_SIGNERS, ActivityName, EnvelopeTruth
from casefac.case import CaseStage
from casefac.messages import ApproveContract, EditContract, Update
from casefac.money import Money
from casefac.parties import Role
from casefac.report import ReportKind
from tests.conftest import eventually
from tests.workflow.harness import STAFF, Case, Harness, mails_eventually
from workflows.contract_signing import RECONCILE_AFTER


async def _ready_to_sign(case: Case) -> None:
    await case.assign()
    await case.accept()
    await case.sign_advocate_agreement()


async def _sends(h: Harness) -> int:
    return len(h.fakes.calls[ActivityName.SEND_CONTRACT_ENVELOPE])


async def test_an_edit_while_the_envelope_is_made_is_refused_and_the_signed_rate_is_billed(harness: Harness) -> None:
    """C1: approve → edit during a slow send_contract → refused; tasks and invoice follow the signed revision."""
    case = await harness.open()
    await _ready_to_sign(case)
    harness.fakes.send_contract_delay = 1.5
    revision = await case.complete_and_approve_contract()  # the last approval starts the (slow) envelope
    await eventually(lambda: _sends(harness), lambda n: n == 1, what="envelope being made")
    s = await case.status()
    assert s.envelope is None  # still being made
    assert s.contract is not None
    dearer = s.contract.terms.model_copy(update={"hourly_rate": Money(amount=s.contract.terms.hourly_rate.amount * 3,
                                                                      currency=s.contract.terms.hourly_rate.currency)})
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await case.update(Update.EDIT_CONTRACT, EditContract(actor=STAFF, base_revision=revision, terms=dearer))
    assert "being sent for signature" in str(err.value.cause)
    with pytest.raises(WorkflowUpdateFailedError):
        await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=revision))
    harness.fakes.send_contract_delay = 0.0
    await case.sign_all()
    s = await case.status()
    assert s.contract is not None and s.contract.number == revision and s.envelope is not None
    assert s.envelope.revision == revision
    [signed] = await mails_eventually(harness, "contract_signed", role="advocate", case_id=case.case_id)
    assert signed.context["revision"] == revision
    number = await case.submit(case.report(ReportKind.FINAL, hours="2"))
    await case.approve(number)
    invoice = (await eventually(lambda: _invoices(harness), lambda xs: bool(xs), what="invoice"))[0]
    [hours] = [line for line in invoice.lines if line.key == "h1"]
    assert hours.amount.amount == s.contract.terms.hourly_rate.amount * 2  # the signed revision's rate


async def _invoices(h: Harness) -> list:  # type: ignore[type-arg]
    return list(h.fakes.calls[ActivityName.ISSUE_INVOICE])


async def test_a_forged_completed_event_does_not_move_the_case(harness: Harness) -> None:
    """Security C2 §4: DocuSign says the envelope is still out, so the case stays in AGREEMENT."""
    case = await harness.open()
    await _ready_to_sign(case)
    await case.complete_and_approve_contract()
    env = await case.envelope()
    harness.fakes.envelope_truth[env] = EnvelopeTruth(envelope_id=env, status="sent")
    await case.envelope_event(env, "completed")
    s = await case.until(lambda s: any("not confirmed by DocuSign" in e.event for e in s.timeline), "ignored")
    assert s.stage == CaseStage.AGREEMENT and s.envelope is not None and s.envelope.status == "sent"
    assert s.envelope.signed == []
    assert harness.fakes.calls[ActivityName.STORE_SIGNED_DOCUMENTS] == []


async def test_a_lost_completed_webhook_is_reconciled_with_docusign(harness: Harness) -> None:
    """M7: after the last signature nothing waits silently; DocuSign is asked and the case goes on."""
    case = await harness.open()
    await _ready_to_sign(case)
    await case.complete_and_approve_contract()
    env = await case.envelope()
    for rid in CONTRACT_SIGNERS.values():
        await case.envelope_event(env, "recipient_completed", rid)
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "docusign", "waiting on DocuSign")
    harness.fakes.envelope_truth[env] = EnvelopeTruth(envelope_id=env, status="completed", signed=["1", "2", "3"])
    await harness.env.sleep(RECONCILE_AFTER + timedelta(minutes=1))
    await case.stage(CaseStage.ASSIGNMENT)


async def test_a_signature_reminder_asks_docusign_first(harness: Harness) -> None:
    """M7: the Advocate signed but the webhook was lost: no reminder to her; the Defender is asked."""
    case = await harness.open()
    await _ready_to_sign(case)
    await case.complete_and_approve_contract()
    env = await case.envelope()
    harness.fakes.envelope_truth[env] = EnvelopeTruth(envelope_id=env, status="sent",
                                                      signed=[CONTRACT_SIGNERS[Role.ADVOCATE]])
    await harness.env.sleep(harness.policy.signature_reminder_every + timedelta(minutes=1))
    asks = await mails_eventually(harness, "contract_to_sign", 2, case_id=case.case_id)
    assert asks[-1].to.role.value == "defender"
    assert [m for m in harness.fakes.mails("signature_reminder") if m.case_id == case.case_id] == []


async def test_a_ping_pong_of_edits_still_escalates(harness: Harness) -> None:
    """m10: each revision used to restart the escalation clock, so edits every few days never escalated."""
    case = await harness.open()
    await _ready_to_sign(case)
    step = timedelta(days=2)
    rounds = harness.policy.contract_escalate_after // step + 2
    for _ in range(rounds):
        s = await case.status()
        assert s.contract is not None
        terms = s.contract.terms.model_copy(update={"special_terms": f"Round {s.contract.number}"})
        await case.update(Update.EDIT_CONTRACT, EditContract(actor=case.advocate, base_revision=s.contract.number,
                                                             terms=terms))
        await harness.env.sleep(step)
    escalations = await mails_eventually(harness, "staff_escalation", case_id=case.case_id)
    assert [m.context.get("step") for m in escalations] == ["contract"]


async def test_a_returned_contract_is_not_sent_for_review_twice(harness: Harness) -> None:
    """m10: CONTRACT_RETURNED is followed by no second CONTRACT_REVIEW of the same revision."""
    case = await harness.open()
    await _ready_to_sign(case)
    revision = await case.complete_and_approve_contract()
    first = await case.envelope()
    reviews = len(await mails_eventually(harness, "contract_review", 6, case_id=case.case_id))
    await case.envelope_event(first, "recipient_declined", CONTRACT_SIGNERS[Role.ADVOCATE])
    await mails_eventually(harness, "contract_returned", 3, case_id=case.case_id)
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=case.defender, revision=revision))
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=STAFF, revision=revision))
    second = await case.envelope()
    assert second != first
    assert len([m for m in harness.fakes.mails("contract_review") if m.case_id == case.case_id]) == reviews


async def test_a_found_completed_envelope_is_confirmed_and_honoured(harness: Harness) -> None:
    """m12: a retried create that finds its envelope already completed does not wait for signatures."""
    case = await harness.open()
    await _ready_to_sign(case)
    harness.fakes.found_status = "completed"
    await case.complete_and_approve_contract()
    await case.stage(CaseStage.ASSIGNMENT)
    assert harness.fakes.mails("contract_to_sign") == []
