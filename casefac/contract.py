"""The case-specific Case Facilitation Contract: structured terms, revisions and approvals.

Terms are data, not HTML: revisions can be diffed on the portal and the document is rendered from a
template only when it goes to DocuSign.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from casefac.money import Money
from casefac.parties import Actor, Role, Service

Text = Annotated[str, Field(min_length=1, max_length=4000)]


class TaskSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Annotated[str, Field(pattern=r"^T[0-9]{1,3}$")]
    service: Service
    description: Annotated[str, Field(min_length=1, max_length=1000)]
    due: date | None = None


class ContractTerms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    scope: Text
    tasks: Annotated[list[TaskSpec], Field(min_length=1, max_length=30)]
    hourly_rate: Money
    expense_cap: Money | None = None
    hours_cap: Annotated[int, Field(ge=1, le=2000)] | None = None
    deadline: date | None = None
    special_terms: Annotated[str, Field(max_length=4000)] = ""

    @field_validator("tasks")
    @classmethod
    def _unique_ids(cls, value: list[TaskSpec]) -> list[TaskSpec]:
        if len({t.id for t in value}) != len(value):
            raise ValueError("task ids must be unique")
        return value

    @field_validator("hourly_rate")
    @classmethod
    def _positive_rate(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise ValueError("hourly rate must be positive")
        return value


class ContractRevision(BaseModel):
    """One revision. Any edit makes a new one and clears approvals, so nobody signs what they did not see."""

    model_config = ConfigDict(extra="ignore")

    number: Annotated[int, Field(ge=1)]
    terms: ContractTerms
    author: Actor
    note: Annotated[str, Field(max_length=2000)] = ""
    created_at: datetime
    approvals: list[Role] = []


#: Who must approve the current revision before it goes out for signature (DESIGN §3).
REQUIRED_APPROVALS: frozenset[Role] = frozenset({Role.STAFF, Role.DEFENDER})
