"""A Case Facilitation request and its stages."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from casefac.money import Money
from casefac.parties import Actor, Advocate, Country, Role, Service
from casefac.policy import CasePolicy

#: Human-friendly and free of personal data: it becomes the workflow id ``case-<CASE-ID>``.
CaseId = Annotated[str, Field(pattern=r"^JIM-\d{4}-\d{4,6}$")]
FreeText = Annotated[str, Field(min_length=1, max_length=4000)]


class CaseStage(StrEnum):
    REVIEW = "REVIEW"
    AGREEMENT = "AGREEMENT"
    ASSIGNMENT = "ASSIGNMENT"
    PAYMENT = "PAYMENT"
    EVALUATION = "EVALUATION"
    CLOSED = "CLOSED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in (CaseStage.CLOSED, CaseStage.DECLINED, CaseStage.CANCELLED)


class MatterType(StrEnum):
    RIGHTS_VIOLATION = "rights_violation"
    PROTECTION = "protection"


class Client(BaseModel):
    """The migrant client. Personal data: only ever inside encrypted payloads, never in ids or logs."""

    model_config = ConfigDict(extra="ignore")

    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    date_of_birth: date | None = None
    last_known_location: Annotated[str, Field(max_length=1000)] = ""
    contact_notes: Annotated[str, Field(max_length=2000)] = ""


class CaseRequest(BaseModel):
    """What an Advocate asks for; opens a CaseFacilitationWorkflow."""

    model_config = ConfigDict(extra="ignore")

    case_id: CaseId
    advocate: Advocate
    client: Client
    country: Country
    #: Where in the country the work is (a department or state), when the Advocate knows: Defenders covering
    #: it rank first.
    region: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    matter_type: MatterType
    services: Annotated[list[Service], Field(min_length=1, max_length=6)]
    description: FreeText
    deadline: date | None = None
    budget_cap: Money | None = None
    #: LSC CSR problem code for funders' reports (``records.vocabulary``); JiM's cases are immigration, 81.
    problem_code: Annotated[str, Field(pattern=r"^[0-9]{2}$")] = "81"
    opened_by: Actor
    policy: CasePolicy | None = None

    @field_validator("services")
    @classmethod
    def _unique_services(cls, value: list[Service]) -> list[Service]:
        if len(set(value)) != len(value):
            raise ValueError("services must not repeat")
        return value

    @field_validator("opened_by")
    @classmethod
    def _staff_opens(cls, value: Actor) -> Actor:
        if value.role is not Role.STAFF:
            raise ValueError("cases are opened by JiM staff")
        return value

    @field_validator("budget_cap")
    @classmethod
    def _cap_positive(cls, value: Money | None) -> Money | None:
        if value is not None and (value.amount <= 0 or value.currency not in ("USD", "CAD")):
            raise ValueError("budget cap must be a positive USD or CAD amount")
        return value
