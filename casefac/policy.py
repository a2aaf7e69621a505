"""Every timer a case runs on, so nothing waits silently forever and each wait can be tuned per case."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Interval = Annotated[timedelta, Field(gt=timedelta(0))]


class CasePolicy(BaseModel):
    """Reminder cadences and escalation points. Defaults come from settings; a case may override them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # REVIEW
    review_reminder_every: Interval = timedelta(days=2)
    review_escalate_after: Interval = timedelta(days=5)
    defender_answer_window: Interval = timedelta(days=3)
    # AGREEMENT
    agreement_reminder_every: Interval = timedelta(days=3)
    agreement_escalate_after: Interval = timedelta(days=14)
    contract_reminder_every: Interval = timedelta(days=3)
    contract_escalate_after: Interval = timedelta(days=14)
    signature_reminder_every: Interval = timedelta(days=3)
    signature_escalate_after: Interval = timedelta(days=10)
    # ASSIGNMENT / PAYMENT
    report_reminder_every: Interval = timedelta(days=14)
    report_escalate_after: Interval = timedelta(days=90)
    report_review_reminder_every: Interval = timedelta(days=3)
    report_review_escalate_after: Interval = timedelta(days=7)
    invoice_days_until_due: Annotated[int, Field(ge=1, le=120)] = 30
    dunning_reminder_every: Interval = timedelta(days=7)
    dunning_escalate_after: Interval = timedelta(days=45)
    payout_record_reminder_every: Interval = timedelta(days=5)
    # EVALUATION
    evaluation_reminder_every: Interval = timedelta(days=7)
    evaluation_reminders_max: Annotated[int, Field(ge=0, le=50)] = 3
    outcome_reminder_every: Interval = timedelta(days=90)
    outcome_wait_max: Interval = timedelta(days=3 * 365)
    # ANY STAGE
    attention_reminder_every: Interval = timedelta(days=1)
    #: Continue-as-new once history holds this many events (or when the server suggests it).
    continue_as_new_after_events: Annotated[int, Field(ge=20, le=40_000)] = 8_000
