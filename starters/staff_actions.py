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
    ApprovePayout,
    CancelCase,
    Receipt,
    RecordPayout,
    ResolveInvoice,
    RetryStep,
    ReviewCase,
    ReviewReport,
    Update,
)
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor
from casefac.report import Adjustment
from casefac.status import CaseStatus
from starters import staff_signing
from starters.cases import case_handle, read_status

#: A validator answers in milliseconds; this long means no worker is polling (the CLI then says so).
UPDATE_TIMEOUT = timedelta(seconds=30)


class NothingToDo(ValueError):
    """The case has nothing this command could act on (no pending report, no contract yet…)."""


async def _update(client: Client, case_id: str, name: str, message: Any) -> Receipt:
    """Send one update, signed with the actor's staff key when this computer holds it (security C2 §3); a
    refusal asking for a fresher staff directory refreshes it and sends once more (``send_signed``)."""
    result: Receipt = await staff_signing.send_signed(case_handle(client, case_id), name, message,
                                                      timeout=UPDATE_TIMEOUT, result_type=Receipt)
    return result


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
                        change_reasons: Sequence[str] = (), **approval: Any) -> Receipt:
    """Approve (with rates and adjustments) or, when ``change_reasons`` are given, request changes.

    ``approval``: the approval's other fields (``over_cap``, ``rate_source``, ``rate_as_of``, ``line_text``)."""
    message = await review_message(client, case_id, actor, report_number=report_number, rates=rates,
                                   adjustments=adjustments, change_reasons=change_reasons, **approval)
    return await send_review(client, case_id, message)


async def review_message(client: Client, case_id: str, actor: Actor, *, report_number: int | None = None,
                         rates: Sequence[ExchangeRate] = (), adjustments: Sequence[Adjustment] = (),
                         change_reasons: Sequence[str] = (), **approval: Any) -> ReviewReport:
    """The ``review_report`` update as it will be sent (the CLI previews an approval before sending it)."""
    if report_number is None:
        report_number = pending_report(await read_status(client, case_id))
    if change_reasons:
        return ReviewReport(actor=actor, report_number=report_number, decision="request_changes",
                            reasons=list(change_reasons))
    return ReviewReport(actor=actor, report_number=report_number, decision="approve", exchange_rates=list(rates),
                        adjustments=list(adjustments), **approval)


async def send_review(client: Client, case_id: str, message: ReviewReport) -> Receipt:
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
                        paid_on: date, report_number: int, received: Money | None = None,
                        fees: Money | None = None) -> Receipt:
    return await _update(client, case_id, Update.RECORD_PAYOUT,
                         RecordPayout(actor=actor, report_number=report_number, amount=amount,
                                      reference=reference, paid_on=paid_on, received=received, fees=fees))


async def retry(client: Client, case_id: str, actor: Actor, note: str = "") -> Receipt:
    return await _update(client, case_id, Update.RETRY_STEP, RetryStep(actor=actor, note=note))


async def cancel(client: Client, case_id: str, actor: Actor, reason: str, invoices: str | None = None) -> Receipt:
    """``invoices``: ``void`` or ``keep`` the invoices of approved work (review M5; required after the final report)."""
    return await _update(client, case_id, Update.CANCEL_CASE,
                         CancelCase(actor=actor, reason=reason, invoices=invoices))  # type: ignore[arg-type]


async def approve_payout(client: Client, case_id: str, actor: Actor, report_number: int) -> Receipt:
    """Four eyes: a second staff member releases a payout over the threshold (W2, review C2)."""
    return await _update(client, case_id, Update.APPROVE_PAYOUT, ApprovePayout(actor=actor,
                                                                               report_number=report_number))


async def resolve_invoice(client: Client, case_id: str, actor: Actor, report_number: int, decision: str,
                          note: str = "", reference: str = "") -> Receipt:
    """Staff's decision on an invoice that needs one: write_off, reissue, refund, credit or keep (W2, M5/M6); a
    refund or credit is settled once its Stripe id (``re_…`` / ``cn_…``) is recorded as ``reference`` (P1)."""
    return await _update(client, case_id, Update.RESOLVE_INVOICE,
                         ResolveInvoice(actor=actor, report_number=report_number, decision=decision,  # type: ignore[arg-type]
                                        note=note, reference=reference))
