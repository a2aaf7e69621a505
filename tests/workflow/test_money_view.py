"""The money view: what finance reads in the Temporal UI (current details, search attributes) as a case runs.

Checked where the UI reads it: the ``__temporal_workflow_metadata`` query (Current Details) and the
execution's search attributes, on the time-skipping server with the real workflow.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.common import TypedSearchAttributes

from casefac import search_attributes as sa
from casefac.activity_io import ActivityName
from casefac.case import CaseStage
from casefac.messages import RetryStep, ReviewCase, Update
from casefac.money import ExchangeRate
from casefac.report import ReportKind
from tests.conftest import eventually
from tests.workflow.harness import STAFF, Case, Harness, mails_eventually

STRIPE_SAYS = "No such customer: 'cus_Q1w2E3'"


async def _details(case: Case) -> str:
    metadata = await case.handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details


async def _attrs(case: Case) -> TypedSearchAttributes:
    return (await case.handle.describe()).typed_search_attributes


async def test_needs_attention_shows_in_current_details_with_the_providers_message_and_the_command(
        harness: Harness) -> None:
    case = await harness.open()
    harness.fakes.refuse[ActivityName.ISSUE_INVOICE].append(f"StripeRejected|{STRIPE_SAYS}")
    await case.to_assignment()
    await case.approve(await case.submit(case.report(ReportKind.INTERIM)))
    status = await case.until(lambda s: s.attention is not None, "needs attention")
    assert status.attention is not None and STRIPE_SAYS in status.attention.message

    details = await eventually(lambda: _details(case), lambda d: "Needs attention" in d, what="details warn")
    assert "StripeRejected" in details and STRIPE_SAYS in details
    assert f'casefac retry {case.case_id} --note "what you fixed"' in details
    assert details.index("Needs attention") < details.index("**Money**")  # the warning leads

    [alert] = await mails_eventually(harness, "needs_attention", case_id=case.case_id)
    assert STRIPE_SAYS in str(alert.context["error"])
    assert alert.context["retry_command"] == f'casefac retry {case.case_id} --note "what you fixed"'

    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="Created the customer in Stripe"))
    await case.until(lambda s: bool(s.invoices) and s.attention is None, "invoiced after the retry")
    details = await eventually(lambda: _details(case), lambda d: "Needs attention" not in d, what="warning gone")
    assert "**Invoice " in details


async def test_search_attributes_answer_finances_four_questions(harness: Harness) -> None:
    case = await harness.open(currency="CAD")
    cad_rates = [ExchangeRate(source="GTQ", target="CAD", rate=Decimal("0.18")),
                 ExchangeRate(source="USD", target="CAD", rate=Decimal("1.36")),
                 ExchangeRate(source="GTQ", target="USD", rate=Decimal("0.13"))]
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    assert (await eventually(lambda: _attrs(case), lambda a: a.get(sa.WAITING_ON) == ["staff"],
                             what="waiting on staff")).get(sa.WAITING_SINCE) is not None
    await case.to_assignment()
    await case.approve(await case.submit(case.report(ReportKind.INTERIM)), cad_rates)
    status = await case.until(lambda s: bool(s.invoices) and bool(s.payouts), "invoiced and paid out")
    [inv] = status.invoices
    [pay] = status.payouts
    attrs = await eventually(lambda: _attrs(case), lambda a: a.get(sa.INVOICE_STATUS) == "open", what="open")
    # How much, in what: the total in major units next to its currency; cents stay for scripts.
    assert inv.amount_due.currency == "CAD" and attrs.get(sa.INVOICE_CURRENCY) == "CAD"
    assert attrs.get(sa.INVOICE_TOTAL) == inv.amount_due.amount / 100
    assert attrs.get(sa.INVOICE_AMOUNT) == inv.amount_due.amount
    # Since when: issued and due, as dates the UI sorts by.
    assert attrs.get(sa.INVOICE_ISSUED) == inv.issued_at
    assert inv.due_date is not None
    assert attrs.get(sa.INVOICE_DUE) == datetime.combine(inv.due_date, time(0), tzinfo=UTC)
    # Was the Defender paid (DEF-GT-001 is paid by Stripe Connect at once).
    assert pay.status == "paid" and attrs.get(sa.PAYOUT_STATUS) == "paid"

    details = await _details(case)
    assert f"**Invoice {inv.number}** · report 1 · **{inv.amount_due.format()}** · **open**" in details
    assert f"issued {inv.issued_at:%Y-%m-%d} · due {inv.due_date:%Y-%m-%d}" in details
    assert f"**Payout to DEF-GT-001** · report 1 · **{pay.amount.format()}** · **paid**" in details
    assert "Rosa" not in details and "Cobán" not in details  # no client data

    await case.pay_invoices()
    paid = await eventually(lambda: _details(case), lambda d: "· **paid**\n  issued" in d, what="paid in details")
    assert f"life: open {inv.issued_at:%Y-%m-%d} → paid" in paid  # the invoice's life, not its first snapshot
    assert (await _attrs(case)).get(sa.INVOICE_STATUS) == "paid"


async def test_a_manual_payout_waits_on_finance_and_is_searchable_as_pending(harness: Harness) -> None:
    case = await harness.open()
    await case.to_assignment("DEF-GT-002")  # paid by manual transfer
    await case.approve(await case.submit(case.report(ReportKind.INTERIM)))
    await case.until(lambda s: any(p.status == "pending" for p in s.payouts), "manual payout pending")
    attrs = await eventually(lambda: _attrs(case), lambda a: a.get(sa.PAYOUT_STATUS) == "pending",
                             what="payout pending")
    assert "finance" in (attrs.get(sa.WAITING_ON) or [])


async def test_a_finished_case_waits_on_nobody(harness: Harness) -> None:
    case = await harness.open()
    await case.until(lambda s: s.waiting is not None, "waiting for review")
    await case.update(Update.REVIEW_CASE, ReviewCase(actor=STAFF, decision="decline", reason="Not a facilitation"))
    await case.stage(CaseStage.DECLINED)
    attrs = await eventually(lambda: _attrs(case), lambda a: a.get(sa.CASE_STAGE) == "DECLINED", what="declined")
    assert not attrs.get(sa.WAITING_ON)


async def test_waiting_on_leaves_staff_as_soon_as_staff_retry(harness: Harness) -> None:
    """Review finding: after a retry the case kept ``WaitingOn=staff`` until the next wait began, so the
    "waiting on staff" view listed cases staff had already handled while the step ran again (for hours if
    the provider kept failing). Here the invoice fails twice: between the retry and the second failure the
    history must hold an upsert of ``WaitingOn`` without staff."""
    import json

    from temporalio.api.enums.v1 import EventType

    case = await harness.open()
    harness.fakes.refuse[ActivityName.ISSUE_INVOICE] += [f"StripeRejected|{STRIPE_SAYS}"] * 2
    await case.to_assignment()
    await case.approve(await case.submit(case.report(ReportKind.INTERIM)))
    first = await case.until(lambda s: s.attention is not None, "needs attention")
    assert first.attention is not None
    await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="Created the customer in Stripe"))
    await case.until(lambda s: s.attention is not None and s.attention.since > first.attention.since,
                     "the second failure")

    history = await case.handle.fetch_history()
    retried = next(e.event_id for e in history.events
                   if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
                   and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                   == Update.RETRY_STEP)
    waiting_on: list[list[str]] = []
    flagged_again = None
    for e in history.events:
        if e.event_id <= retried or e.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            continue
        fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        if "WaitingOn" in fields:
            waiting_on.append(json.loads(fields["WaitingOn"].data) or [])
        if "NeedsAttention" in fields and json.loads(fields["NeedsAttention"].data) is True:
            flagged_again = e.event_id
            break
    assert flagged_again is not None, "the second failure flagged the case again"
    assert waiting_on and "staff" not in waiting_on[0], waiting_on
