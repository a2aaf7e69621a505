"""The Defender's hour & expense report and staff's review of it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from casefac.money import Money
from casefac.parties import Actor
from casefac.utbms import ACTIVITY_CODES, EXPENSE_CODES, TASK_CODES

Description = Annotated[str, Field(min_length=1, max_length=500)]


class ReportKind(StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class HourLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    date: date
    hours: Annotated[Decimal, Field(gt=0, le=24, multiple_of=Decimal("0.1"))]
    task_code: Annotated[str, Field(max_length=8)]
    activity_code: Annotated[str, Field(max_length=8)]
    description: Description

    @field_validator("task_code")
    @classmethod
    def _task(cls, value: str) -> str:
        if value not in TASK_CODES:
            raise ValueError(f"unknown UTBMS task code {value[:8]!r}")
        return value

    @field_validator("activity_code")
    @classmethod
    def _activity(cls, value: str) -> str:
        if value not in ACTIVITY_CODES:
            raise ValueError(f"unknown UTBMS activity code {value[:8]!r}")
        return value


#: Receipts a Defender may attach (issue 12 item 4): photos and PDFs, checked by their first bytes.
RECEIPT_TYPES = ("image/jpeg", "image/png", "application/pdf")
MAX_RECEIPT_BYTES = 5 * 1024 * 1024
MAX_RECEIPTS_PER_REPORT = 10
MAX_RECEIPTS_PER_LINE = 5


class ReceiptRef(BaseModel):
    """A receipt stored encrypted in the document store: the report carries this reference, never the bytes.

    ``key`` is content-addressed (``receipts/<case id>/<sha256>``), so a retried upload stores the same file once.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: Annotated[str, Field(max_length=200, pattern=r"^receipts/[A-Z0-9-]{1,40}/[0-9a-f]{64}$")]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=1, le=MAX_RECEIPT_BYTES)]
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    name: Annotated[str, Field(min_length=1, max_length=120)]

    @model_validator(mode="after")
    def _addressed(self) -> ReceiptRef:
        if not self.key.endswith("/" + self.sha256):
            raise ValueError("key: must end with the receipt's sha256")
        return self


class ExpenseLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    date: date
    amount: Money
    expense_code: Annotated[str, Field(max_length=8)]
    description: Description
    #: Photos or PDFs of the receipt (W3), by reference.
    receipts: Annotated[list[ReceiptRef], Field(max_length=MAX_RECEIPTS_PER_LINE)] = []

    @field_validator("expense_code")
    @classmethod
    def _code(cls, value: str) -> str:
        if value not in EXPENSE_CODES:
            raise ValueError(f"unknown UTBMS expense code {value[:8]!r}")
        return value

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Money) -> Money:
        if value.amount <= 0:
            raise ValueError("expense amount must be positive")
        return value


class HourExpenseReport(BaseModel):
    """What the Defender submits; the workflow numbers it."""

    model_config = ConfigDict(extra="ignore")

    kind: ReportKind
    hours: Annotated[list[HourLine], Field(max_length=200)] = []
    expenses: Annotated[list[ExpenseLine], Field(max_length=200)] = []
    note: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _not_empty(self) -> HourExpenseReport:
        if not self.hours and not self.expenses:
            raise ValueError("a report needs at least one hour line or expense")
        if sum(len(e.receipts) for e in self.expenses) > MAX_RECEIPTS_PER_REPORT:
            raise ValueError(f"a report takes at most {MAX_RECEIPTS_PER_REPORT} receipts")
        return self

    def receipts(self) -> list[ReceiptRef]:
        return [r for e in self.expenses for r in e.receipts]

    def attachment_names(self) -> list[str]:
        """The receipts' file names as the Defender uploaded them, in line order (staff's ``casefac receipts``)."""
        return [r.name for r in self.receipts()]

    def neutral_receipt_names(self) -> list[str]:
        """The names the invoice email lists: expense line and position, never the uploaded file name.

        A phone's file name can carry what the Defender typed ("bus to Cobán with the witness.pdf"), and the
        email goes through SendGrid, so the Advocate reads ``E2-receipt-1.pdf`` and staff hold the originals.
        """
        ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
        return [f"E{line}-receipt-{n}.{ext[r.content_type]}"
                for line, e in enumerate(self.expenses, start=1) for n, r in enumerate(e.receipts, start=1)]

    def expense_currencies(self) -> set[str]:
        return {e.amount.currency for e in self.expenses}

    def total_hours(self) -> Decimal:
        return sum((h.hours for h in self.hours), Decimal(0))


class SubmittedReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    number: int
    report: HourExpenseReport
    submitted_by: Actor
    status: Literal["submitted", "changes_requested", "approved"] = "submitted"
    change_reasons: list[str] = []
    submitted_at: datetime | None = None


class Adjustment(BaseModel):
    """A staff correction on the invoice (a discount is negative), in the invoice currency."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    description: Description
    amount: Money
