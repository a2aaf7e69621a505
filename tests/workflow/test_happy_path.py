"""A whole Case Facilitation, all five steps, on the time-skipping server."""

from __future__ import annotations

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.report import ReportKind
from tests.workflow.harness import Harness


async def test_full_case_closes_with_one_envelope_invoice_and_transfer(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-001")
    number = await case.submit(case.report(ReportKind.FINAL))
    await case.approve(number)
    await case.evaluate_and_report()
    await case.pay_invoices()
    result = await case.handle.result()

    assert result.stage == CaseStage.CLOSED
    calls = harness.fakes.calls
    assert len(calls[ActivityName.SEND_AGREEMENT_ENVELOPE]) == 1
    assert len(calls[ActivityName.SEND_CONTRACT_ENVELOPE]) == 1
    assert len(calls[ActivityName.ISSUE_INVOICE]) == 1
    assert len(calls[ActivityName.PAY_DEFENDER]) == 1
    # 3.5 h at USD 35.00 = 122.50; GTQ 250.00 at 0.13 = USD 32.50 -> USD 155.00 invoiced and paid out
    invoice = calls[ActivityName.ISSUE_INVOICE][0]
    assert (invoice.total.amount, invoice.total.currency) == (15500, "USD")
    transfer = calls[ActivityName.PAY_DEFENDER][0]
    assert (transfer.amount.amount, transfer.account_id) == (15500, "acct_defgt001")
    assert result.money.paid is not None and result.money.paid.amount == 15500
    assert result.money.outstanding is not None and result.money.outstanding.amount == 0
    assert result.outcome == "granted" and result.evaluations_from == ["advocate", "defender"]
    stages = [e.event for e in result.timeline if e.event.startswith("stage ")]
    assert stages == ["stage AGREEMENT", "stage ASSIGNMENT", "stage PAYMENT", "stage EVALUATION", "stage CLOSED"]
    # Spanish for the Defender, the Advocate's language for the Advocate.
    assert {m.to.language for m in harness.fakes.mails(role="defender")} == {"es"}
    assert {m.to.language for m in harness.fakes.mails(role="advocate")} == {"en"}
    kinds = {m.kind.value for m in harness.fakes.mails()}
    assert {"case_received", "assignment_offer", "contract_review", "contract_to_sign", "contract_signed",
            "invoice_sent", "payout_made", "evaluation_request", "case_closed"} <= kinds
    print(f"history events of a full happy-path case: {result.history_events}")
