"""W2 CLI: review-report shows the invoice and payout and needs confirmation; approve-payout; resolve-invoice;
cancel's choice for invoices of approved work."""

from __future__ import annotations

from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.policy import CasePolicy
from starters.cases import read_status
from tests.cli.conftest import CliWorld
from tests.cli.test_cli_case_flow import _in_payment


async def test_review_report_shows_the_money_and_refuses_without_a_terminal_or_yes(world: CliWorld) -> None:
    case = await _in_payment(world)
    asked = await world.cli("review-report", case.case_id, "--rate", "GTQ:USD=0.13")
    assert asked.code == 2 and "--yes" in asked.err
    assert "USD 155.00" in asked.out and "payout to the Defender" in asked.out and "Stripe Connect" in asked.out
    assert "L110" in asked.out  # the neutral invoice line staff will see on Stripe
    s = await read_status(world.env.client, case.case_id)
    # The world (and its fakes' call log) is shared by the session: only this case's invoices count.
    issued = [i for i in world.fakes.calls[ActivityName.ISSUE_INVOICE] if i.case_id == case.case_id]
    assert s.reports[-1].status == "submitted" and not s.invoices and not issued
    wrong = await world.cli("review-report", case.case_id, "--rate", "GTQ:USD=7.7")
    assert wrong.code == 1 and "outside the sanity band GTQ:USD" in wrong.err
    ran = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13", "--rate-source",
                          "Banguat", "--rate-as-of", "2026-11-30")
    assert ran.code == 0, ran.text
    s = await case.until(lambda s: bool(s.approvals), "approved")
    assert s.approvals[0].rate_source == "Banguat"


async def test_approve_payout_needs_another_staff_member(world: CliWorld) -> None:
    case = await _in_payment(world, policy=CasePolicy(payout_second_approval_over=10_000))
    ran = await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13")
    assert ran.code == 0 and "second staff approval" in ran.out, ran.text
    await case.until(lambda s: bool(s.payouts) and s.payouts[0].status == "to_approve", "held")
    same = await world.cli("approve-payout", case.case_id, "1")
    assert same.code == 1 and "a different staff member" in same.err
    other = await world.cli("approve-payout", case.case_id, "1", "--as", "coord.beto")
    assert other.code == 0, other.text
    await case.until(lambda s: s.payouts[0].status == "paid", "paid out")
    shown = await world.cli("status", case.case_id)
    assert "payout: second approval by staff:coord.beto" in shown.out and "GTQ:USD=0.13" in shown.out


async def test_cancel_after_the_final_report_asks_about_its_invoices(world: CliWorld) -> None:
    case = await _in_payment(world)
    assert (await world.cli("review-report", case.case_id, "--yes", "--rate", "GTQ:USD=0.13")).code == 0
    await case.stage(CaseStage.EVALUATION)
    refused = await world.cli("cancel", case.case_id, "--reason", "Matter closed")
    assert refused.code == 1 and "--void-invoices / --keep-invoices" in refused.err
    both = await world.cli("cancel", case.case_id, "--reason", "x", "--void-invoices", "--keep-invoices")
    assert both.code == 2
    ok = await world.cli("cancel", case.case_id, "--reason", "Matter closed", "--void-invoices")
    assert ok.code == 0, ok.text
    s = await case.until(lambda s: s.invoices[0].status == "void", "voided")
    assert s.invoices[0].resolution == "void by staff"
    bad = await world.cli("resolve-invoice", case.case_id, "1", "--decision", "burn")
    assert bad.code == 2
