"""Payloads of the workflow's updates: every one names its actor, and the validators check it.

Update names are constants here so the CLI, the portal and the workflow never drift apart.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casefac.contract import ContractTerms
from casefac.evaluation import Evaluation, Outcome
from casefac.money import ExchangeRate, Money
from casefac.parties import Actor, PartyId
from casefac.report import Adjustment, HourExpenseReport

Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class LinkUse(BaseModel):
    """The portal link an update came through, set by the gateway from the verified token.

    The workflow refuses a one-shot link's nonce once it has been used, and any link whose epoch is older
    than the party's current one (staff bump it when they revoke or re-send a party's links).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    nonce: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    epoch: Annotated[int, Field(ge=0)] = 0


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    #: Set by the portal for a party's update (``gateway/portal``); checked by ``workflows/guard_links.py``.
    link: LinkUse | None = None
    #: A staff member's signed assertion over this update (``casefac/staff_assertion.py``), made by the CLI
    #: and verified by ``workflows/guard_staff.py``; the payload digest covers every field but this one.
    assertion: Annotated[str, Field(max_length=4096)] | None = None


class ReviewCase(_Message):
    """Staff accept the case with a Defender, or decline it with a reason."""

    decision: Literal["accept", "decline"]
    defender_id: PartyId | None = None
    reason: Annotated[str, Field(max_length=2000)] = ""
    #: Why staff assign a Defender who is away or at capacity (``casefac assign --override``); recorded.
    override: Annotated[str, Field(max_length=500)] = ""

    @model_validator(mode="after")
    def _shape(self) -> ReviewCase:
        if self.decision == "accept" and not self.defender_id:
            raise ValueError("defender_id: required to accept a case")
        if self.decision == "decline" and not self.reason.strip():
            raise ValueError("reason: required to decline a case")
        return self


class RespondToAssignment(_Message):
    accept: bool
    reason: Annotated[str, Field(max_length=2000)] = ""


class EditContract(_Message):
    """A new revision. ``base_revision`` guards against overwriting an edit the author has not seen."""

    base_revision: Annotated[int, Field(ge=1)]
    terms: ContractTerms
    note: Annotated[str, Field(max_length=2000)] = ""


class ApproveContract(_Message):
    revision: Annotated[int, Field(ge=1)]


class UpdateTask(_Message):
    task_id: Annotated[str, Field(pattern=r"^T[0-9]{1,3}$")]
    status: Literal["open", "in_progress", "done", "blocked"]
    note: Annotated[str, Field(max_length=2000)] = ""


class SubmitReport(_Message):
    report: HourExpenseReport


class ReviewReport(_Message):
    report_number: Annotated[int, Field(ge=1)]
    decision: Literal["approve", "request_changes"]
    exchange_rates: Annotated[list[ExchangeRate], Field(max_length=20)] = []
    adjustments: Annotated[list[Adjustment], Field(max_length=50)] = []
    reasons: Annotated[list[Reason], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _shape(self) -> ReviewReport:
        if self.decision == "request_changes" and not self.reasons:
            raise ValueError("reasons: say what must change")
        return self


class RecordPayout(_Message):
    """Finance records a manual transfer to a Defender who has no Stripe Connect account."""

    report_number: Annotated[int, Field(ge=1)]
    amount: Money
    reference: Annotated[str, Field(min_length=1, max_length=120)]
    paid_on: date


class SubmitEvaluation(_Message):
    evaluation: Evaluation


class ReportOutcome(_Message):
    outcome: Outcome


class CancelCase(_Message):
    reason: Reason


class RetryStep(_Message):
    note: Annotated[str, Field(max_length=500)] = ""


class Receipt(BaseModel):
    """What an accepted update answers: where the case is now and a short human message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str
    message: str
    number: int | None = None


class Update:
    """Update names, shared by the workflow, the CLI and the portal."""

    REVIEW_CASE = "review_case"
    RESPOND_TO_ASSIGNMENT = "respond_to_assignment"
    EDIT_CONTRACT = "edit_contract"
    APPROVE_CONTRACT = "approve_contract"
    UPDATE_TASK = "update_task"
    SUBMIT_REPORT = "submit_report"
    REVIEW_REPORT = "review_report"
    RECORD_PAYOUT = "record_payout"
    SUBMIT_EVALUATION = "submit_evaluation"
    REPORT_OUTCOME = "report_outcome"
    CANCEL_CASE = "cancel_case"
    RETRY_STEP = "retry_step"
