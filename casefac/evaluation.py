"""Step 5: each party's evaluation of the facilitation and the Advocate's report of the case outcome."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[int, Field(strict=True, ge=1, le=5)]


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    communication: Score
    quality: Score
    timeliness: Score
    overall: Score
    would_work_again: bool
    comments: Annotated[str, Field(max_length=4000)] = ""


class OutcomeResult(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    SETTLED = "settled"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"
    PENDING_APPEAL = "pending_appeal"
    OTHER = "other"
    UNKNOWN = "unknown"  # set by the workflow when the outcome wait runs out


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    result: OutcomeResult
    decided_on: date | None = None
    notes: Annotated[str, Field(max_length=4000)] = ""
