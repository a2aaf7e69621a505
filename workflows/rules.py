"""The update validators' rules as pure functions: who may do what, when, with which input.

Kept apart from the workflow class so they are unit-testable and so a rejection's wording (field and
rule) is one place. Each raises ``ValueError("field: rule")``; the caller sees it, history sees nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from casefac.activity_io import CONTRACT_SIGNERS
from casefac.caps import CapsView, caps_view, prospective_breaches
from casefac.case import CaseRequest, CaseStage
from casefac.contract import REQUIRED_APPROVALS, ContractRevision
from casefac.eligibility import CaseNeeds, exclusion
from casefac.evaluation import OutcomeResult
from casefac.messages import (
    AmendParty,
    ApproveContract,
    ApprovePayout,
    CancelCase,
    EditContract,
    RecordPayout,
    ReportOutcome,
    ResendAgreement,
    ResendLink,
    ResolveInvoice,
    RespondToAssignment,
    RetryStep,
    ReviewCase,
    ReviewReport,
    SubmitEvaluation,
    SubmitReport,
    UpdateTask,
)
from casefac.money import EXPONENT, MAX_MINOR, ExchangeRate, Money
from casefac.parties import Actor, Role
from casefac.policy import CasePolicy
from casefac.pricing import PricedReport, missing_rates, price_report, rate_for
from casefac.rates import rate_problems
from casefac.report import HourExpenseReport
from casefac.state import AdvocateState, ApprovedReport, CaseState
from casefac.timezones import defender_zone, local_date

M = TypeVar("M", bound=BaseModel)

#: A day's hours beyond this across a report's lines for one date is a typo, not work.
MAX_HOURS_PER_DAY = 24


def parse(model: type[M], payload: Any, *, strict: bool = True) -> M:
    """Validate a raw update payload; errors read ``report.hours[0].hours: Input should be greater than 0``.

    Updates take raw JSON objects so that a malformed payload is refused by the validator with the field and
    the rule named, instead of the SDK's bare "Failed decoding arguments".

    ``strict`` (validators): a field the model does not know is refused (``note: Extra inputs are not
    permitted``), at any depth, whatever the model's own config; a typo never passes silently. Handlers pass
    ``strict=False``: they re-run on replay with the payload in history, which today's model may no longer
    fully describe (a field since deprecated), and must read it, ignoring what it does not know (review M10).
    """
    if isinstance(payload, model):
        return payload
    try:
        return model.model_validate(payload, extra="forbid" if strict else "ignore")
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False)[:5]:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{_clip(str(p), 40)}" for p in e["loc"])
            problems.append(f"{_clip(path.lstrip('.').strip(), 120) or 'payload'}: {_clip(e['msg'], 200)}")
        raise ValueError(_clip("; ".join(problems), MAX_MESSAGE)) from None


#: A refusal names the field and the rule; it never echoes a hostile input back at length.
MAX_MESSAGE = 1000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _stage(state: CaseState, *allowed: CaseStage) -> None:
    _require(state.stage in allowed,
             f"stage: the case is in {state.stage.value}; this is possible only in "
             f"{' or '.join(s.value for s in allowed)}")


def _staff(actor: Actor, *roles: Role) -> None:
    roles = roles or (Role.STAFF,)
    _require(actor.role in roles, f"actor: only {' or '.join(r.value for r in roles)} may do this")


def _party(actor: Actor, req: CaseRequest, state: CaseState, *roles: Role) -> None:
    _require(actor.role in roles, f"actor: only the case's {' or '.join(r.value for r in roles)} may do this")
    if actor.role is Role.ADVOCATE:
        _require(actor.id == req.advocate.id, "actor: this is not the Advocate of this case")
    if actor.role is Role.DEFENDER:
        _require(state.defender is not None and actor.id == state.defender.id,
                 "actor: this is not the Defender assigned to this case")


def case_needs(req: CaseRequest, state: CaseState) -> CaseNeeds:
    """What this case asks of a Defender, for the eligibility rules ``casefac suggest`` applies too."""
    return CaseNeeds(country=req.country, region=req.region, services=list(req.services),
                     advocate_language=req.advocate.language, declined=list(state.declined_defenders))


def review_case(req: CaseRequest, state: CaseState, msg: ReviewCase, today: date) -> None:
    _staff(msg.actor)
    _stage(state, CaseStage.REVIEW)
    _require(state.review is None, "decision: this case was already reviewed; waiting for the Defender's answer")
    if msg.decision == "accept":
        _require(not state.roster_loading and bool(state.roster),
                 f"defender_id: the roster for {req.country} is being loaded; try again in a moment")
        defender = next((d for d in state.roster if d.id == msg.defender_id), None)
        _require(defender is not None, f"defender_id: {msg.defender_id} is not in the roster for {req.country}")
        assert defender is not None
        why_not = exclusion(defender, case_needs(req, state), today)
        if why_not is not None and not why_not.overridable:
            _require(False, f"defender_id: {why_not.reason}; choose another")
        if why_not is not None:
            _require(bool(msg.override.strip()),
                     f"defender_id: {why_not.reason}; to offer the case all the same, say why (override)")


def respond_to_assignment(req: CaseRequest, state: CaseState, msg: RespondToAssignment) -> None:
    _stage(state, CaseStage.REVIEW)
    _require(state.defender is not None and state.defender_accepted is None,
             "assignment: there is no open assignment offer")
    _party(msg.actor, req, state, Role.DEFENDER)
    _require(msg.accept or bool(msg.reason.strip()), "reason: say briefly why you decline")


def _contract_open(state: CaseState) -> None:
    _stage(state, CaseStage.AGREEMENT)
    _require(bool(state.revisions), "contract: the draft is not ready yet")
    _require(state.signing_revision is None,
             f"contract: revision {state.signing_revision} is being sent for signature; it can change only if "
             "a signer declines or the envelope is voided")
    _require(state.envelope is None or state.envelope.status in ("declined", "voided"),
             "contract: it is out for signature; it can change only if a signer declines")


def edit_contract(req: CaseRequest, state: CaseState, msg: EditContract) -> None:
    _party(msg.actor, req, state, Role.ADVOCATE, Role.DEFENDER, Role.STAFF)
    _contract_open(state)
    current = state.revisions[-1].number
    _require(msg.base_revision == current,
             f"base_revision: revision {current} is current; reload it before editing (you sent "
             f"{msg.base_revision})")
    invoice = req.advocate.billing_currency
    _require(msg.terms.hourly_rate.currency in ("USD", invoice),
             f"terms.hourly_rate: must be in USD or {invoice}")
    if req.budget_cap and msg.terms.expense_cap:
        _require(msg.terms.expense_cap.currency == req.budget_cap.currency,
                 "terms.expense_cap: must be in the budget cap's currency")


def approve_contract(req: CaseRequest, state: CaseState, msg: ApproveContract) -> None:
    _party(msg.actor, req, state, Role.DEFENDER, Role.STAFF)
    _contract_open(state)
    current = state.revisions[-1]
    _require(msg.revision == current.number,
             f"revision: revision {current.number} is current; you approved {msg.revision}")
    _require(msg.actor.role not in current.approvals, f"revision: already approved by {msg.actor.role.value}")
    _require(msg.actor.role in REQUIRED_APPROVALS, "actor: this role does not approve contracts")


def update_task(req: CaseRequest, state: CaseState, msg: UpdateTask, policy: CasePolicy | None = None) -> None:
    _party(msg.actor, req, state, Role.DEFENDER)
    _stage(state, CaseStage.ASSIGNMENT, CaseStage.PAYMENT)
    _require(any(t.id == msg.task_id for t in state.tasks), f"task_id: no task {msg.task_id} in this case")
    task_quota(state, msg, policy or CasePolicy())


def submit_report(req: CaseRequest, state: CaseState, msg: SubmitReport, today: date) -> None:
    _party(msg.actor, req, state, Role.DEFENDER)
    _stage(state, CaseStage.ASSIGNMENT)
    _require(not any(r.status == "submitted" for r in state.reports),
             "report: a report is already waiting for review")
    _require(not state.final_approved, "report: the final report was already approved")
    # Dates are the Defender's: an expense on the evening the case opened is on the local opening day (M8).
    opened = local_date(state.opened_at, state.defender_tz or defender_zone(req.country))
    per_day: dict[date, object] = {}
    for i, line in enumerate(msg.report.hours):
        _require(opened <= line.date <= today,
                 f"hours[{i}].date: must be between the case's opening ({opened}) and today ({today})")
        per_day[line.date] = per_day.get(line.date, 0) + line.hours  # type: ignore[operator]
    for day, hours in per_day.items():
        _require(hours <= MAX_HOURS_PER_DAY, f"hours: {hours} hours on {day} is more than a day holds")  # type: ignore[operator]
    totals: dict[str, int] = {}
    for exp in msg.report.expenses:
        totals[exp.amount.currency] = totals.get(exp.amount.currency, 0) + exp.amount.amount
    for currency, amount in totals.items():
        _require(amount <= MAX_MINOR, f"expenses: the {currency} expenses add up to more than a case can bill")
    for i, exp in enumerate(msg.report.expenses):
        _require(opened <= exp.date <= today,
                 f"expenses[{i}].date: must be between the case's opening ({opened}) and today ({today})")
        _require(exp.amount.currency in EXPONENT, f"expenses[{i}].amount.currency: unknown currency")
        for j, receipt in enumerate(exp.receipts):
            _require(receipt.key.startswith(f"receipts/{req.case_id}/"),
                     f"expenses[{i}].receipts[{j}]: this receipt belongs to another case")


def review_report(req: CaseRequest, state: CaseState, msg: ReviewReport, policy: CasePolicy | None = None) -> None:
    _staff(msg.actor)
    _stage(state, CaseStage.PAYMENT)
    report = next((r for r in state.reports if r.number == msg.report_number), None)
    _require(report is not None, f"report_number: no report {msg.report_number}")
    assert report is not None
    _require(report.status == "submitted", f"report_number: report {msg.report_number} is {report.status}")
    if msg.decision == "approve":
        assert state.defender is not None and state.revisions
        hourly = signed_revision(state).terms.hourly_rate
        missing = missing_rates(report.report, msg.exchange_rates, hourly, req.advocate.billing_currency,
                                state.defender.hourly_rate.currency)
        _require(not missing, f"exchange_rates: missing rate {', '.join(missing)}")
        for i, adj in enumerate(msg.adjustments):
            _require(adj.amount.currency == req.advocate.billing_currency,
                     f"adjustments[{i}].amount.currency: must be the invoice currency "
                     f"{req.advocate.billing_currency}")
        if policy is not None:  # the money guardrails (review C2); None: a caller that only checks the shape
            review_guardrails(req, state, msg, policy)


def record_payout(req: CaseRequest, state: CaseState, msg: RecordPayout) -> None:
    _staff(msg.actor, Role.FINANCE, Role.STAFF)
    payout = next((p for p in state.payouts if p.report_number == msg.report_number), None)
    _require(payout is not None, f"report_number: no payout for report {msg.report_number}")
    assert payout is not None
    _require(payout.method == "manual" or payout.status == "reversed",
             "report_number: this payout went by Stripe Connect; nothing to record")
    _require(payout.status != "to_approve",
             "report_number: this payout waits for a second staff approval (casefac approve-payout) first")
    _require(payout.status in ("pending", "reversed"), "report_number: this payout was already recorded")
    _require(msg.amount == payout.amount,
             f"amount: the approved payout is {payout.amount.format()}, not {msg.amount.format()}; record what "
             f"the Defender received with --received (another currency or net of fees) and --fees")
    if msg.fees is not None:
        _require(msg.fees.amount >= 0, "fees: cannot be negative")
    if msg.received is not None:
        _require(msg.received.amount > 0, "received: must be positive")
        _require(msg.received.currency != payout.amount.currency or msg.received.amount <= payout.amount.amount,
                 f"received: more than the approved payout {payout.amount.format()}")
        if msg.fees is not None and msg.fees.currency == payout.amount.currency == msg.received.currency:
            _require(msg.received.amount + msg.fees.amount <= payout.amount.amount,
                     "fees: the amount received plus the fees exceed the approved payout")


def submit_evaluation(req: CaseRequest, state: CaseState, msg: SubmitEvaluation) -> None:
    _party(msg.actor, req, state, Role.ADVOCATE, Role.DEFENDER)
    _stage(state, CaseStage.EVALUATION)
    _require(msg.actor.role.value not in state.evaluations, "evaluation: you already evaluated this case")


def report_outcome(req: CaseRequest, state: CaseState, msg: ReportOutcome) -> None:
    _party(msg.actor, req, state, Role.ADVOCATE)
    _stage(state, CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION)
    _require(state.outcome is None, "outcome: already reported")
    _require(msg.outcome.result is not OutcomeResult.UNKNOWN,
             "outcome.result: choose the outcome; 'unknown' is recorded only when none is reported in time")


def cancel_case(req: CaseRequest, state: CaseState, msg: CancelCase) -> None:
    _staff(msg.actor)
    _require(not state.stage.terminal, f"stage: the case is already {state.stage.value}")
    _require(state.cancel is None, "stage: cancellation is already under way")
    payable = [i for i in state.invoices if i.status in ("draft", "open", "payment_failed", "uncollectible")]
    if state.final_approved and payable and msg.invoices is None:
        _require(False, "invoices: the case has approved work with open invoices "
                 f"({', '.join(str(i.report_number) for i in payable)}); say whether to void them or keep them "
                 "payable (casefac cancel --void-invoices / --keep-invoices)")


def retry_step(req: CaseRequest, state: CaseState, msg: RetryStep) -> None:
    _staff(msg.actor)
    _require(state.attention is not None or bool(state.failed_mails) or state.offer_mail_failed,
             "step: nothing is waiting for a retry")


# ----------------------------------------------------------------------------------------------- W2: money
def signed_revision(state: CaseState) -> ContractRevision:
    """The revision the parties signed (the envelope's); the latest one before any envelope exists."""
    env = state.envelope
    if env is not None:
        for rev in state.revisions:
            if rev.number == env.revision:
                return rev
    return state.revisions[-1]


def price(req: CaseRequest, state: CaseState, msg: ReviewReport, *, neutral: bool = True) -> PricedReport:
    """The approval's invoice and payout, at the signed contract's rate (raises ValueError when out of range)."""
    report = next(r for r in state.reports if r.number == msg.report_number)
    assert state.defender is not None
    return price_report(report.report, list(msg.exchange_rates), list(msg.adjustments),
                        signed_revision(state).terms.hourly_rate, req.advocate.billing_currency,
                        state.defender.hourly_rate.currency, with_text=set(msg.line_text) if neutral else None)


def approved_pairs(state: CaseState) -> list[tuple[HourExpenseReport, ApprovedReport]]:
    reports = {r.number: r.report for r in state.reports}
    return [(reports[a.number], a) for a in state.approved if a.number in reports]


def caps_of(req: CaseRequest, state: CaseState) -> CapsView | None:
    """The caps view over the approved reports (None before a contract exists, or without any cap)."""
    if not state.revisions:
        return None
    terms = signed_revision(state).terms
    overrides = [f"report {a.number}: {a.over_cap_reason}" for a in state.approved if a.over_cap_reason]
    view = caps_view(hours_cap=terms.hours_cap, expense_cap=terms.expense_cap, budget_cap=req.budget_cap,
                     approved=approved_pairs(state), overrides=overrides)
    return view if view.any else None


def approval_breaches(req: CaseRequest, state: CaseState, msg: ReviewReport, priced: PricedReport) -> list[str]:
    """The caps approving ``msg`` would take the case over."""
    view = caps_of(req, state)
    if view is None:
        return []
    report = next(r for r in state.reports if r.number == msg.report_number)
    return prospective_breaches(view, report.report, hourly=signed_revision(state).terms.hourly_rate,
                                rates=msg.exchange_rates, invoice_total=priced.invoice_total)


def review_guardrails(req: CaseRequest, state: CaseState, msg: ReviewReport, policy: CasePolicy) -> None:
    """Rates inside their bands and consistent; adjustments bounded; caps respected or overridden with a reason."""
    problems = rate_problems(msg.exchange_rates, overrides=policy.rate_bands, tolerance=policy.rate_cross_tolerance)
    _require(not problems, _clip("exchange_rates: " + "; ".join(problems), MAX_MESSAGE))
    try:
        priced = price(req, state, msg)
    except ValueError:  # e.g. a rate that makes an amount larger than any invoice may be
        raise ValueError("exchange_rates: these rates put an amount out of range") from None
    adjusted = sum(a.amount.amount for a in msg.adjustments)
    subtotal = priced.invoice_total.amount - adjusted
    _require(priced.invoice_total.amount >= 0,
             f"adjustments: they take the invoice below zero ({priced.invoice_total.format()}); a net credit to "
             "the Advocate is a Stripe credit note on an earlier invoice, not a negative invoice")
    _require(adjusted <= subtotal, "adjustments: an adjustment may at most double the invoice "
             f"(the report's lines come to {Money(amount=subtotal, currency=priced.invoice_total.currency).format()})")
    over = approval_breaches(req, state, msg, priced)
    if over:
        _require(bool(msg.over_cap.strip()),
                 f"over_cap: approving report {msg.report_number} exceeds the {'; the '.join(over)}: "
                 "to approve it all the same, give the reason (casefac review-report --over-cap \"...\")")


def payout_over_threshold(amount: Money, policy: CasePolicy) -> bool:
    """The rule before review P4: this payout alone, in minor units of whatever currency it is in."""
    return amount.amount > policy.payout_second_approval_over


def _in_currency(amount: Money, currency: str, rates: Sequence[ExchangeRate]) -> Money | None:
    """``amount`` in ``currency`` at the approval's own rate (None: the approval has no such rate)."""
    rate = rate_for(list(rates), amount.currency, currency)
    try:
        return rate.convert(amount) if rate is not None else None
    except ValueError:  # out of range in the threshold's currency: treated as unconvertible (two approvers)
        return None


def payout_needs_second(amount: Money, policy: CasePolicy, approved: Sequence[ApprovedReport], actor: str,
                        rates: Sequence[ExchangeRate]) -> bool:
    """Four eyes (review C2, P4): whether a payout of ``amount``, approved by ``actor`` at ``rates``, needs a
    second staff member.

    The threshold is Money (``payout_second_approval_over`` in ``payout_second_approval_currency``). This payout
    and every earlier payout of the case that ``actor`` approved and released alone (no second approver) are
    converted with their own approval's rate and summed; above the threshold, a second staff member must release
    it. So splitting a payout over interim reports does not avoid the second approver, and a payout in pesos or
    córdobas is compared as the dollars it is worth. A payout that cannot be converted needs two approvers."""
    threshold = Money(amount=policy.payout_second_approval_over, currency=policy.payout_second_approval_currency)
    this = _in_currency(amount, threshold.currency, rates)
    if this is None:
        return amount.amount > 0
    alone = 0
    for a in approved:
        if a.approved_by != actor or a.payout_needs_second:
            continue
        earlier = _in_currency(a.priced.payout_total, threshold.currency, a.exchange_rates)
        if earlier is None:
            return True
        alone += earlier.amount
    return this.amount + alone > threshold.amount


def approve_payout(req: CaseRequest, state: CaseState, msg: ApprovePayout) -> None:
    """Four eyes: a second, different staff member releases a payout over the threshold."""
    _staff(msg.actor)
    approved = next((a for a in state.approved if a.number == msg.report_number), None)
    _require(approved is not None, f"report_number: report {msg.report_number} is not approved")
    assert approved is not None
    _require(approved.payout_needs_second, f"report_number: the payout of report {msg.report_number} needs no "
             "second approval")
    _require(approved.payout_approved_by is None, f"report_number: the payout of report {msg.report_number} was "
             f"already approved by {approved.payout_approved_by}")
    _require(str(msg.actor) != approved.approved_by,
             f"actor: {approved.approved_by} approved the report; a different staff member must approve its payout")


#: Review P1: the Stripe id that proves a refund or credit decision was carried out (Stripe's id shapes).
MONEY_REFERENCES: MappingProxyType[str, tuple[re.Pattern[str], str]] = MappingProxyType({
    "refund": (re.compile(r"re_[A-Za-z0-9]{8,250}"), "re_…"),
    "credit": (re.compile(r"cn_[A-Za-z0-9]{8,250}"), "cn_…")})


def resolve_invoice(req: CaseRequest, state: CaseState, msg: ResolveInvoice) -> None:
    _staff(msg.actor, Role.STAFF, Role.FINANCE)
    inv = next((i for i in reversed(state.invoices) if i.report_number == msg.report_number), None)
    _require(inv is not None, f"report_number: no invoice for report {msg.report_number}")
    assert inv is not None
    if msg.reference:
        _require(msg.decision in MONEY_REFERENCES, "reference: only a refund or a credit has a Stripe id to record")
        pattern, shape = MONEY_REFERENCES[msg.decision]
        _require(pattern.fullmatch(msg.reference) is not None,
                 f"reference: a Stripe {msg.decision} id looks like {shape} (Stripe Dashboard, the payment's "
                 f"{'refund' if msg.decision == 'refund' else 'credit note'})")
    if inv.resolution_pending:
        _require(msg.decision == inv.resolution and bool(msg.reference),
                 f"decision: the {inv.resolution} of report {msg.report_number} is decided and waits for its Stripe "
                 f"id: casefac resolve-invoice {req.case_id} {msg.report_number} --decision {inv.resolution} "
                 f"--reference {MONEY_REFERENCES[inv.resolution][1]}")
        return
    _require(bool(inv.needs_decision), f"report_number: the invoice of report {msg.report_number} needs no decision")
    if inv.status == "paid":
        _require(msg.decision in ("refund", "credit", "keep"),
                 "decision: this invoice is paid: refund, credit or keep")
    else:
        _require(msg.decision in ("write_off", "reissue", "keep"),
                 "decision: this invoice is unpaid: write_off, reissue or keep")
    if msg.decision == "reissue":
        _require(not state.stage.terminal and state.cancel is None, "decision: a cancelled case re-issues nothing")


# W3 ------------------------------------------------------------------------------------------------------
def local_today(req: CaseRequest, state: CaseState, now: datetime) -> date:
    """Today where the Defender works: the day a report's lines may reach (review M8)."""
    return local_date(now, state.defender_tz or defender_zone(req.country))


def task_quota(state: CaseState, msg: UpdateTask, policy: CasePolicy) -> None:
    """A link holder cannot flood the case: task saves and the notes they keep are bounded (review M2)."""
    saves = sum(t.updates for t in state.tasks)
    _require(saves < policy.task_updates_max,
             f"task_id: this case took {policy.task_updates_max} task updates, the most it keeps; "
             "tell JiM's coordinators what changed instead")
    if msg.note:
        task = next(t for t in state.tasks if t.id == msg.task_id)
        kept = sum(len(n) for n in task.notes)
        _require(kept + len(msg.note) <= policy.task_notes_chars_max,
                 f"note: task {task.id} already holds {kept} characters of notes, the most it keeps is "
                 f"{policy.task_notes_chars_max}; write a shorter note")


def amend_advocate(req: CaseRequest, state: CaseState, msg: AmendParty) -> None:
    _staff(msg.actor)
    _require(not state.stage.terminal, f"stage: the case is already {state.stage.value}")
    a = req.advocate
    _require((msg.email is not None and msg.email != a.email) or (msg.name is not None and msg.name != a.name),
             "email: the Advocate's details are already these")


def amend_defender(req: CaseRequest, state: CaseState, msg: AmendParty) -> None:
    _staff(msg.actor)
    _require(not state.stage.terminal, f"stage: the case is already {state.stage.value}")
    d = state.defender
    _require(d is not None, "defender: no Defender is assigned to this case")
    assert d is not None
    _require((msg.email is not None and msg.email != d.email) or (msg.name is not None and msg.name != d.name),
             "email: the Defender's details are already these")


# W1 ------------------------------------------------------------------------------------------------------
def resend_agreement(state: AdvocateState, msg: ResendAgreement) -> None:
    """Staff re-send the Advocate Agreement (on the Advocate's entity)."""
    _staff(msg.actor)
    _require(state.status != "signed", "agreement: the Advocate Agreement is already signed")
    _require(state.resend_by is None, "agreement: a re-send is already under way")


#: What ``resend_link`` re-mails for each ``--what``: the portal action and who holds it.
RESEND_ACTIONS: MappingProxyType[str, str] = MappingProxyType({
    "offer": "respond_assignment", "contract-review": "review_contract", "sign": "sign_contract",
    "tasks": "update_task", "report": "submit_report", "evaluation": "evaluate", "outcome": "report_outcome"})


def resend_targets(req: CaseRequest, state: CaseState, what: str) -> list[Role]:
    """The parties whose ``what`` action the case really waits for now (empty: nothing to re-send)."""
    stage = state.stage
    if what == "offer":
        return [Role.DEFENDER] if (stage is CaseStage.REVIEW and state.defender is not None
                                   and state.defender_accepted is None and state.offer_sent_at is not None) else []
    if what == "contract-review":
        open_ = (stage is CaseStage.AGREEMENT and bool(state.revisions) and state.signing_revision is None
                 and (state.envelope is None or state.envelope.status in ("declined", "voided")))
        return [Role.ADVOCATE, Role.DEFENDER] if open_ else []
    if what == "sign":
        env = state.envelope
        if stage is not CaseStage.AGREEMENT or env is None or env.status != "sent":
            return []
        nxt = next((role for role, rid in CONTRACT_SIGNERS.items() if rid not in env.signed), None)
        return [nxt] if nxt in (Role.ADVOCATE, Role.DEFENDER, Role.STAFF) else []
    if what == "tasks":
        return [Role.DEFENDER] if stage in (CaseStage.ASSIGNMENT, CaseStage.PAYMENT) else []
    if what == "report":
        return [Role.DEFENDER] if (stage is CaseStage.ASSIGNMENT and not state.final_approved
                                   and not any(r.status == "submitted" for r in state.reports)) else []
    if what == "evaluation":
        return [r for r in (Role.ADVOCATE, Role.DEFENDER)
                if stage is CaseStage.EVALUATION and r.value not in state.evaluations]
    if what == "outcome":
        return [Role.ADVOCATE] if (stage in (CaseStage.ASSIGNMENT, CaseStage.PAYMENT, CaseStage.EVALUATION)
                                   and state.outcome is None) else []
    return []


def resend_link(req: CaseRequest, state: CaseState, msg: ResendLink) -> None:
    _staff(msg.actor)
    _require(not state.stage.terminal, f"stage: the case is already {state.stage.value}")
    _require(bool(resend_targets(req, state, msg.what)),
             f"what: case {req.case_id} does not wait for '{msg.what}' now (it is in {state.stage.value})")


def submitted_breaches(req: CaseRequest, state: CaseState, report: HourExpenseReport) -> list[str]:
    """The caps a report just submitted would exceed, as far as can be told before staff give rates."""
    view = caps_of(req, state)
    if view is None:
        return []
    return prospective_breaches(view, report, hourly=signed_revision(state).terms.hourly_rate)
