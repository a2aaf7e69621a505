"""What staff and finance do to a case, as plain async functions: the CLI and the demo call the same ones.

Each sends one validated update and returns the workflow's ``Receipt``. Where the person left a detail
out that the case itself knows (the current contract revision, the report waiting for review, the
pending payout), it is read from the case's status first, so the common command is short.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from temporalio.client import Client

from casefac.messages import (
    ApproveContract,
    CancelCase,
    Receipt,
    RecordPayout,
    RetryStep,
    ReviewCase,
    ReviewReport,
    Update,
)
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor
from casefac.report import Adjustment
from casefac.status import CaseStatus
from starters.cases import case_handle, read_status

#: A validator answers in milliseconds; this long means no worker is polling (the CLI then says so).
UPDATE_TIMEOUT = timedelta(seconds=30)


class NothingToDo(ValueError):
    """The case has nothing this command could act on (no pending report, no contract yet…)."""


async def _update(client: Client, case_id: str, name: str, message: Any) -> Receipt:
    return await case_handle(client, case_id).execute_update(name, message, result_type=Receipt,
                                                             rpc_timeout=UPDATE_TIMEOUT)


async def review(client: Client, case_id: str, actor: Actor, *, defender_id: str | None = None,
                 reason: str = "", override: str = "") -> Receipt:
    """Accept with a Defender (``defender_id``; ``override`` says why one away or at capacity) or decline."""
    decision = "accept" if defender_id else "decline"
    return await _update(client, case_id, Update.REVIEW_CASE,
                         ReviewCase(actor=actor, decision=decision, defender_id=defender_id, reason=reason,
                                    override=override))


async def approve_contract(client: Client, case_id: str, actor: Actor, revision: int | None = None) -> Receipt:
    if revision is None:
        status = await read_status(client, case_id)
        if status.contract is None:
            raise NothingToDo(f"case {case_id} has no contract yet (stage {status.stage.value})")
        revision = status.contract.number
    return await _update(client, case_id, Update.APPROVE_CONTRACT, ApproveContract(actor=actor, revision=revision))


def pending_report(status: CaseStatus) -> int:
    report = next((r for r in status.reports if r.status == "submitted"), None)
    if report is None:
        raise NothingToDo(f"case {status.case_id} has no report waiting for review")
    return report.number


async def review_report(client: Client, case_id: str, actor: Actor, *, report_number: int | None = None,
                        rates: Sequence[ExchangeRate] = (), adjustments: Sequence[Adjustment] = (),
                        change_reasons: Sequence[str] = ()) -> Receipt:
    """Approve (with rates and adjustments) or, when ``change_reasons`` are given, request changes."""
    if report_number is None:
        report_number = pending_report(await read_status(client, case_id))
    if change_reasons:
        message = ReviewReport(actor=actor, report_number=report_number, decision="request_changes",
                               reasons=list(change_reasons))
    else:
        message = ReviewReport(actor=actor, report_number=report_number, decision="approve",
                               exchange_rates=list(rates), adjustments=list(adjustments))
    return await _update(client, case_id, Update.REVIEW_REPORT, message)


def pending_payout(status: CaseStatus, report_number: int | None) -> tuple[int, str]:
    """The report number and currency of the manual payout finance is recording."""
    pending = [p for p in status.payouts if p.method == "manual" and p.status == "pending"
               and (report_number is None or p.report_number == report_number)]
    if not pending:
        raise NothingToDo(f"case {status.case_id} has no manual payout waiting to be recorded"
                          + (f" for report {report_number}" if report_number else ""))
    return pending[0].report_number, pending[0].amount.currency


async def record_payout(client: Client, case_id: str, actor: Actor, *, amount: Money, reference: str,
                        paid_on: date, report_number: int) -> Receipt:
    return await _update(client, case_id, Update.RECORD_PAYOUT,
                         RecordPayout(actor=actor, report_number=report_number, amount=amount,
                                      reference=reference, paid_on=paid_on))


async def retry(client: Client, case_id: str, actor: Actor, note: str = "") -> Receipt:
    return await _update(client, case_id, Update.RETRY_STEP, RetryStep(actor=actor, note=note))


async def cancel(client: Client, case_id: str, actor: Actor, reason: str) -> Receipt:
    return await _update(client, case_id, Update.CANCEL_CASE, CancelCase(actor=actor, reason=reason))
