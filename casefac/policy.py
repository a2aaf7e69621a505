"""Every timer a case runs on, so nothing waits silently forever and each wait can be tuned per case."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from casefac.money import Currency
from casefac.rates import RateBand

Interval = Annotated[timedelta, Field(gt=timedelta(0))]


class CasePolicy(BaseModel):
    """Reminder cadences and escalation points. Defaults come from settings; a case may override them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

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
    # W3: waits and local time (review M2, M8)
    #: The assignment offer's window counts working days (Mon–Fri) in the Defender's zone, to the local end of
    #: day; ``defender_answer_window``'s whole days give their number. False keeps the window as a duration.
    answer_in_business_days: bool = True
    #: A party is reminded at most this many times per wait; then staff are told, then reminded weekly.
    reminders_max_per_wait: Annotated[int, Field(ge=1, le=100)] = 6
    slow_reminder_every: Interval = timedelta(days=7)
    #: A party's reminders wait for their working hours (Mon–Fri 09:00–18:00 in their zone).
    reminders_in_working_hours: bool = True
    #: Quotas on what a link holder can add to a case's history.
    task_updates_max: Annotated[int, Field(ge=1, le=10_000)] = 200
    task_notes_chars_max: Annotated[int, Field(ge=100, le=1_000_000)] = 20_000
    # W2: money guardrails (review C2, M6)
    #: Per-pair exchange-rate sanity bands ("GTQ:USD": {min, max}) over the shipped ones (casefac/data/rate_bands.yaml).
    rate_bands: dict[str, RateBand] = {}
    #: How far X->CAD may differ from X->USD x USD->CAD (a fraction: 0.03 is 3 %).
    rate_cross_tolerance: Annotated[Decimal, Field(ge=0, le=Decimal("0.5"))] = Decimal("0.03")
    #: Four eyes: a payout above this many minor units of ``payout_second_approval_currency`` (USD 1,000.00) waits
    #: for a second staff member. A payout in another currency is converted with its approval's rate (no rate: two
    #: approvers), and what the same staff member alone released earlier on the case counts with it (review P4).
    payout_second_approval_over: Annotated[int, Field(ge=0)] = 100_000
    payout_second_approval_currency: Currency = "USD"
    payout_approval_reminder_every: Interval = timedelta(days=1)
    #: Dunning reminders per invoice before it goes to staff for a decision (write off or re-issue).
    dunning_reminders_max: Annotated[int, Field(ge=1, le=100)] = 8
    # S2: signed staff updates (security review C2 §3). Set by ``casefac open`` from ``staff.require_signatures``
    # (True in live mode and in the local stack); False keeps older cases and the time-skipping tests unsigned.
    require_staff_signatures: bool = False
