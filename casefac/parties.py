"""The people in a Case Facilitation and how an update names who is acting."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from casefac.money import Money

Country = Literal["MX", "GT", "SV", "HN", "NI"]
COUNTRIES: tuple[str, ...] = ("MX", "GT", "SV", "HN", "NI")
Language = Literal["es", "en", "fr"]

#: Ids travel in workflow ids, search attributes and logs, so they are opaque codes, never names.
PartyId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]
StaffId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,39}$")]


class Role(StrEnum):
    STAFF = "staff"
    FINANCE = "finance"
    ADVOCATE = "advocate"
    DEFENDER = "defender"


class Actor(BaseModel):
    """Who is acting. The CLI (staff) and the signed portal links (parties) set it; validators check it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    role: Role
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]

    def __str__(self) -> str:
        return f"{self.role.value}:{self.id}"


class Service(StrEnum):
    LOCATE_CLIENT = "locate_client"
    FACILITATE_COMMUNICATION = "facilitate_communication"
    SETTLEMENT_COORDINATION = "settlement_coordination"
    WITNESS_AFFIDAVIT = "witness_affidavit"
    DOCUMENT_COLLECTION = "document_collection"
    SERVICE_OF_PROCESS = "service_of_process"


class Advocate(BaseModel):
    """A U.S. or Canadian lawyer; signs the Advocate Agreement once and is invoiced per case."""

    model_config = ConfigDict(extra="ignore")

    id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    organization: Annotated[str, Field(min_length=1, max_length=200)]
    email: EmailStr
    language: Literal["en", "fr"] = "en"
    country: Literal["US", "CA"]
    billing_currency: Literal["USD", "CAD"] = "USD"


class StripeConnectPayout(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["stripe_connect"] = "stripe_connect"
    account_id: Annotated[str, Field(pattern=r"^acct_[A-Za-z0-9]{4,64}$")]


class ManualPayout(BaseModel):
    """Finance wires the money by hand (Honduras, Nicaragua) and records it with ``record_payout``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: Literal["manual"] = "manual"


PayoutMethod = Annotated[StripeConnectPayout | ManualPayout, Field(discriminator="kind")]


class AwayPeriod(BaseModel):
    """Days a Defender takes no new case (both days included); the reason stays in the roster, sealed."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> AwayPeriod:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on: the away period ends before it starts")
        return self

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class Defender(BaseModel):
    """A human-rights Defender from the roster (Spanish first)."""

    model_config = ConfigDict(extra="ignore")

    id: PartyId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    email: EmailStr
    #: The human-rights organisation the Defender works with, if any (for the record's reports).
    organization: Annotated[str, Field(max_length=200)] | None = None
    country: Country
    languages: Annotated[list[Language], Field(min_length=1)] = ["es"]
    services: Annotated[list[Service], Field(min_length=1)]
    active: bool = True
    hourly_rate: Money
    payout: PayoutMethod = ManualPayout()
    #: Regions (departments, states) the Defender covers; empty means the whole country.
    regions: Annotated[list[Annotated[str, Field(min_length=1, max_length=80)]], Field(max_length=40)] = []
    #: The most cases the Defender takes at once; None when no limit was set.
    capacity: Annotated[int, Field(ge=1, le=50)] | None = None
    away: Annotated[list[AwayPeriod], Field(max_length=50)] = []
    #: Cases the Defender has open, as the roster activity counted them in the case record (never in the file).
    open_cases: Annotated[int, Field(ge=0)] = 0

    @property
    def language(self) -> Language:
        """The language we write to them in: Spanish unless they do not read it."""
        return "es" if "es" in self.languages else self.languages[0]
