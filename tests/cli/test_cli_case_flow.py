"""Staff and finance commands on live cases: each succeeds in its moment and its rejections are one line.

The parties' steps are driven through the harness (updates and signals as the portal and webhooks
send them); everything staff and finance do goes through ``casefac`` commands.
"""

from __future__ import annotations

import json
from typing import Any

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import ApproveContract, EditContract, Update
from casefac.report import ReportKind
from starters.cases import read_status
from tests.cli.conftest import CliWorld
from tests.conftest import eventually
from tests.workflow.harness import Case


async def _in_payment(world: CliWorld, defender: str = "DEF-GT-001", **request: Any) -> Case:
    """A case assigned through the CLI, signed, with its final report waiting for staff's review."""
    case = await world.harness.open(**request)
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    ran = await world.cli("assign", case.case_id, "--defender", defender)
    assert ran.code == 0, ran.text
    case.defender_id = defender
    await case.accept()
    await case.sign_advocate_agreement()
    await case.complete_and_approve_contract()
    await case.sign_all()
    await case.submit(case.report(ReportKind.FINAL))
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "report waiting")
    return case


async def test_review_needs_exactly_one_decision_and_alone_suggests(world: CliWorld) -> None:
    case = await world.harness.open()
    ran = await world.cli("review", case.case_id, "--defender", "DEF-GT-001", "--reason", "no")
    assert ran.code == 2 and "--defender" in ran.err
    ran = await world.cli("review", case.case_id)  # no decision yet: what would fit, and the commands
    assert ran.code == 0, ran.text
    assert "Top 3 suggestions" in ran.out and f"casefac assign {case.case_id} --defender DEF-GT-" in ran.out
    assert "DEF-MX-" not in ran.out  # a Guatemalan case: only Guatemala's roster


async def test_assign_rejections_come_from_the_workflow_validator(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None and s.waiting.role == "staff", "waiting for review")
    ran = await world.cli("assign", case.case_id, "--defender", "DEF-MX-001")
    assert ran.code == 1
    assert ran.err.strip().startswith("error: rejected: defender_id:")
    assert "DEF-MX-001" in ran.err and len(ran.err.strip().splitlines()) == 1
    ok = await world.cli("assign", case.case_id, "--defender", "DEF-GT-001")
    assert ok.code == 0 and "offered to DEF-GT-001" in ok.out
    again = await world.cli("review", case.case_id, "--defender", "DEF-GT-003")
    assert again.code == 1 and "already reviewed" in again.err


async def test_review_declines_with_a_reason(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    ran = await world.cli("review", case.case_id, "--reason", "Outside JiM's mandate")
    assert ran.code == 0, ran.text
    await case.stage(CaseStage.DECLINED)


async def test_contract_approval_and_report_review(world: CliWorld) -> None:
    case = await world.harness.open()
    early = await world.cli("approve-contract", case.case_id)
    assert early.code == 1 and "no contract yet" in early.err
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    assert (await world.cli("assign", case.case_id, "--defender", "DEF-GT-001")).code == 0
    case.defender_id = "DEF-GT-001"
    await case.accept()
    await case.sign_advocate_agreement()
    s = await case.until(lambda s: s.contract is not None, "contract drafted")
    assert s.contract is not None
    terms = s.contract.terms.model_copy(update={"special_terms": "Weekly calls."})
    r = await case.update(Update.EDIT_CONTRACT, EditContract(actor=case.advocate, base_revision=s.contract.number,
                                                              terms=terms))
    ran = await world.cli("approve-contract", case.case_id)
    assert ran.code == 0 and f"revision {r.number} approved" in ran.out
    twice = await world.cli("approve-contract", case.case_id)
    assert twice.code == 1 and "already approved by staff" in twice.err
    await case.update(Update.APPROVE_CONTRACT, ApproveContract(actor=case.defender, revision=r.number or 0))
    await case.sign_all()
    number = await case.submit(case.report(ReportKind.FINAL))

    bad = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ-USD=0.13")
    assert bad.code == 2 and "SOURCE:TARGET=RATE" in bad.err
    missing = await world.cli("review-report", case.case_id)
    assert missing.code == 1 and "exchange_rates: missing rate GTQ->USD" in missing.err
    no_reason = await world.cli("review-report", case.case_id, "--request-changes")
    assert no_reason.code == 2
    back = await world.cli("review-report", case.case_id, "--request-changes", "--reason", "Attach the receipts")
    assert back.code == 0 and "changes requested" in back.out
    await case.stage(CaseStage.ASSIGNMENT)
    nothing = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13")
    assert nothing.code == 1 and "no report waiting" in nothing.err
    await case.submit(case.report(ReportKind.FINAL))
    ran = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13",
                          "--adjust", "Courtesy=-2.50")
    assert ran.code == 0, ran.text
    assert "invoice USD 152.50" in ran.out  # 3.5 h x 35.00 + GTQ 250 x 0.13 - 2.50
    s = await case.until(lambda s: bool(s.invoices), "invoice issued")
    assert s.invoices[0].amount_due.amount == 15250 and number == 1


async def test_record_payout_for_a_manual_defender(world: CliWorld) -> None:
    case = await _in_payment(world, "DEF-GT-002")  # paid by manual transfer
    assert (await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13")).code == 0
    await case.until(lambda s: any(p.status == "pending" for p in s.payouts), "manual payout pending")
    wrong = await world.cli("record-payout", case.case_id, "--amount", "100.00", "--reference", "WIRE-1",
                            "--as", "fin.luis")
    assert wrong.code == 1 and "amount: the approved payout is USD 155.00" in wrong.err
    bad = await world.cli("record-payout", case.case_id, "--amount", "155", "--reference", "WIRE-1",
                          "--paid-on", "31/03/2026")
    assert bad.code == 2 and "--paid-on" in bad.err
    ok = await world.cli("record-payout", case.case_id, "--amount", "155.00", "--reference", "WIRE-1",
                         "--as", "fin.luis")
    assert ok.code == 0 and "payout recorded" in ok.out
    s = await read_status(world.env.client, case.case_id)
    assert s.payouts[0].status == "paid" and s.payouts[0].reference == "WIRE-1"
    again = await world.cli("record-payout", case.case_id, "--amount", "155.00", "--reference", "WIRE-1")
    assert again.code == 1 and "no manual payout waiting" in again.err


async def test_needs_attention_list_and_retry(world: CliWorld) -> None:
    case = await _in_payment(world)
    nothing = await world.cli("retry", case.case_id)
    assert nothing.code == 1 and "nothing is waiting for a retry" in nothing.err
    world.fakes.refuse[ActivityName.ISSUE_INVOICE].append("StripeRejected")
    assert (await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13")).code == 0
    await case.until(lambda s: s.attention is not None and s.attention.blocking, "needs attention")

    async def listed() -> str:
        return (await world.cli("list", "--needs-attention", "--json")).out

    out = await eventually(listed, lambda out: case.case_id in out, what="case listed as needing attention")
    assert json.loads(out)["query"].endswith("NeedsAttention = true")
    shown = await world.cli("status", case.case_id)
    assert "Attention" in shown.out and "StripeRejected" in shown.out and f"casefac retry {case.case_id}" in shown.out
    ran = await world.cli("retry", case.case_id, "--note", "customer fixed in Stripe")
    assert ran.code == 0 and "retrying" in ran.out
    await case.until(lambda s: bool(s.invoices) and s.attention is None, "invoice issued after the retry")


async def test_cancel_once(world: CliWorld) -> None:
    case = await world.harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    ran = await world.cli("cancel", case.case_id, "--reason", "The client withdrew")
    assert ran.code == 0 and "cancelling" in ran.out
    await case.stage(CaseStage.CANCELLED)
    await case.handle.result()
    again = await world.cli("cancel", case.case_id, "--reason", "again")
    assert again.code == 1 and "the case is finished" in again.err
