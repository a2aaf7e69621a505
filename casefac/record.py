"""What a case sends to its record: one snapshot of the facts it has decided, numbered per case.

The workflow builds a :class:`CaseRecord` at each milestone (a stage change, money moving, NeedsAttention
raised or cleared, an evaluation or the outcome) and hands it to the ``records.write`` activity. Each
snapshot is whole and carries the case's sequence number, so the store keeps the newest one it has seen:
a retried, replayed or late write changes nothing. ``casefac records sync`` reads the same snapshot
through the ``record`` query, for cases that started before the record existed.

Pure and sandbox-safe: built from ``CaseState`` with no I/O, so workflows and queries can call it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from casefac.case import CaseRequest, CaseStage
from casefac.contract import ContractRevision
from casefac.evaluation import Evaluation, Outcome
from casefac.messages import CancelCase
from casefac.money import Money
from casefac.parties import Defender
from casefac.report import SubmittedReport
from casefac.state import (
    AgreementStatus,
    ApprovedReport,
    AttentionEpisode,
    CaseState,
    EnvelopeState,
    InvoiceState,
    Offer,
    PayoutState,
    StageChange,
    TaskState,
)

_model = ConfigDict(extra="ignore")


class RevisionRecord(BaseModel):
    """A contract revision as the record keeps it: a hash of its terms, not the terms themselves."""

    model_config = _model
    number: int
    content_hash: str
    author: str
    created_at: datetime
    approvals: list[str]
    hourly_rate: Money
    hours_cap: int | None = None
    expense_cap: Money | None = None


class CaseRecord(BaseModel):
    model_config = _model

    seq: int
    #: The first run id of the case's workflow: tells a reused case id from the case that holds it.
    origin: str
    workflow_id: str
    recorded_at: datetime
    request: CaseRequest
    stage: CaseStage
    stages: list[StageChange]
    closed_at: datetime | None = None
    defender: Defender | None = None
    offers: list[Offer] = []
    agreement: AgreementStatus
    revisions: list[RevisionRecord] = []
    envelope: EnvelopeState | None = None
    tasks: list[TaskState] = []
    reports: list[SubmittedReport] = []
    approved: list[ApprovedReport] = []
    invoices: list[InvoiceState] = []
    payouts: list[PayoutState] = []
    evaluations: dict[str, Evaluation] = {}
    evaluated_at: dict[str, datetime] = {}
    outcome: Outcome | None = None
    outcome_at: datetime | None = None
    cancel: CancelCase | None = None
    #: JiM's reason when it declined the request at review.
    decline_reason: str | None = None
    attention: list[AttentionEpisode] = []
    #: The LEDES 1998B text of each approved, invoiced report, as it went out with the invoice.
    ledes: dict[int, str] = {}

    @property
    def case_id(self) -> str:
        return self.request.case_id


def content_hash(revision: ContractRevision) -> str:
    """SHA-256 of the revision's terms as canonical JSON: proves which text was approved and signed."""
    return hashlib.sha256(revision.terms.model_dump_json().encode("utf-8")).hexdigest()


def stage_history(state: CaseState) -> list[StageChange]:
    """Every stage entered, REVIEW at opening first.

    Cases that continued-as-new before ``stage_changes`` existed carried only their timeline into the new
    run, whose ``stage X`` entries say the same for the stages before the first recorded change (as far as
    the timeline, trimmed to its latest entries, still holds them).
    """
    changes = state.stage_changes
    first = changes[0].at if changes else None
    earlier = [StageChange(stage=CaseStage(t.event.removeprefix("stage ")), at=t.at) for t in state.timeline
               if t.event.startswith("stage ") and t.event.removeprefix("stage ") in CaseStage.__members__
               and (first is None or t.at < first)]
    if not changes and state.stage is CaseStage.REVIEW:
        earlier = []
    return [StageChange(stage=CaseStage.REVIEW, at=state.opened_at), *earlier, *changes]


def build_record(request: CaseRequest, state: CaseState, *, seq: int, origin: str, workflow_id: str,
                 recorded_at: datetime, ledes: dict[int, str]) -> CaseRecord:
    stages = stage_history(state)
    return CaseRecord(
        seq=seq, origin=origin, workflow_id=workflow_id, recorded_at=recorded_at, request=request,
        stage=state.stage, stages=stages, closed_at=stages[-1].at if state.stage.terminal else None,
        defender=state.defender, offers=state.offers, agreement=state.agreement,
        revisions=[RevisionRecord(number=r.number, content_hash=content_hash(r), author=str(r.author),
                                  created_at=r.created_at, approvals=[a.value for a in r.approvals],
                                  hourly_rate=r.terms.hourly_rate, hours_cap=r.terms.hours_cap,
                                  expense_cap=r.terms.expense_cap) for r in state.revisions],
        envelope=state.envelope, tasks=state.tasks, reports=state.reports, approved=state.approved,
        invoices=state.invoices, payouts=state.payouts, evaluations=state.evaluations,
        evaluated_at=state.evaluated_at, outcome=state.outcome, outcome_at=state.outcome_at, cancel=state.cancel,
        decline_reason=state.review.reason if state.review and state.review.decision == "decline" else None,
        attention=state.attention_log, ledes=ledes)


RecordWriteResult = Literal["written", "unchanged", "stale"]


class RecordWritten(BaseModel):
    """The activity's answer: what the store did with the snapshot, and the sequence number it now holds."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    result: RecordWriteResult
    seq: int
