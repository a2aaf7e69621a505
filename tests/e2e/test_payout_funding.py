"""A payout the Stripe balance cannot cover, end to end: the case asks finance to top up (the shortfall in
words, in the case's status and in the staff email), and once they have, one `casefac retry` pays the Defender
exactly once — under fresh idempotency keys, since Stripe replays the refusal to the old ones for 24 hours.
"""

from __future__ import annotations

import asyncio

from casefac.messages import RetryStep, Update
from casefac.money import Money
from casefac.status import CaseStatus
from tests.portal.stack import STAFF_EMAIL
from tests.workflow.harness import STAFF, Case

from .journey import full_case
from .world import World

AVAILABLE = 1000  # USD 10.00: less than any payout of the journey
PLENTY = 100_000_000


async def test_a_short_balance_waits_for_finance_then_pays_once(world: World) -> None:
    sb = world.sandbox
    seen: list[CaseStatus] = []

    async def finance(case: Case) -> None:
        status = await case.until(lambda s: s.attention is not None and s.attention.blocking,
                                  "the payout needs finance", timeout=90)
        seen.append(status)
        sb.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": PLENTY})  # finance tops up
        await case.update(Update.RETRY_STEP, RetryStep(actor=STAFF, note="topped up the Stripe balance"))

    tasks: list[asyncio.Task[None]] = []

    async def after_open(case: Case) -> None:
        sb.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": AVAILABLE})
        tasks.append(asyncio.create_task(finance(case)))

    try:
        case = await full_case(world, after_open=after_open)
        await tasks[0]
    finally:
        sb.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": PLENTY})

    final = await case.status()
    [payout] = final.payouts
    shortfall = Money(amount=payout.amount.amount - AVAILABLE, currency="USD")
    [status] = seen
    assert status.attention is not None and status.attention.error_type == "StripeRejected"
    assert f"top up the Stripe balance in USD by {shortfall.format()}" in status.attention.message
    mails = sb.admin("GET", f"/_sandbox/mail?to={STAFF_EMAIL}&custom_args=kind=needs_attention"
                            f"&custom_args=case_id={case.case_id}")
    assert any(f"top up the Stripe balance in USD by {shortfall.format()}" in str(m["request"]) for m in mails)

    transfers = [t for t in sb.admin("GET", "/_sandbox/transfers") if t["transfer_group"] == case.handle.id]
    assert len(transfers) == 1 and payout.reference == transfers[0]["id"] and payout.status == "paid"
    assert any("retried with fresh Stripe idempotency keys (generation 1)" in e.event for e in final.timeline)
