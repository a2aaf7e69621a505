"""``casefac list``: a visibility query built from the search attributes, never from free text.

Every filter value is checked against its allowed set or id pattern before it enters the query, so a
typo is a clear error and nothing typed can change the query's shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client

from casefac import search_attributes as sa
from casefac.case import CaseStage
from casefac.ids import case_id_from_workflow_id
from casefac.parties import COUNTRIES, PartyId
from casefac.state import InvoiceState
from starters.cases import WORKFLOW
from starters.parsing import InputError

INVOICE_STATUSES: tuple[str, ...] = get_args(InvoiceState.model_fields["status"].annotation)
PAYOUT_STATUSES = ("pending", "paid")
#: ``--waiting-on`` values (``provider`` too: a DocuSign or Stripe event the case waits for).
WAITING_ON = ("staff", "advocate", "defender", "finance", "provider")
_PARTY_ID: TypeAdapter[str] = TypeAdapter(PartyId)


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    workflow_id: str
    stage: str | None
    country: str | None
    defender_id: str | None
    advocate_id: str | None
    invoice_status: str | None
    invoice_amount: int | None
    needs_attention: bool | None
    status: str
    started: datetime | None
    invoice_total: float | None = None
    invoice_currency: str | None = None
    payout_status: str | None = None
    waiting_on: list[str] | None = None
    waiting_since: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "started": self.started.isoformat() if self.started else None,
                "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None}

    @property
    def amount(self) -> str:
        """``USD 155.00``; cases from before the money view have no currency attribute: ``155.00 (cents/100)``."""
        if self.invoice_currency and self.invoice_total is not None:
            return f"{self.invoice_currency} {Decimal(str(self.invoice_total)):,.2f}"
        if self.invoice_amount is not None:
            return f"{Decimal(self.invoice_amount).scaleb(-2):,.2f} ?"
        return ""


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(f"--{name} {value!r}: use one of {', '.join(allowed)}")
    return value


def build_query(*, stage: str | None = None, country: str | None = None, defender: str | None = None,
                invoice_status: str | None = None, needs_attention: bool = False,
                advocate: str | None = None, waiting_on: str | None = None, payout_status: str | None = None,
                advocates: list[str] | None = None, running: bool = False) -> str:
    """``advocates``: ids from the case record (``--advocate-org``); ``running``: open cases only."""
    if invoice_status:
        invoice_status = invoice_status.lower()
    parts = [f"WorkflowType = '{WORKFLOW}'"]
    if stage:
        parts.append(f"{sa.CASE_STAGE.name} = '{_one_of('stage', stage.upper(), tuple(CaseStage))}'")
    if country:
        parts.append(f"{sa.CASE_COUNTRY.name} = '{_one_of('country', country.upper(), COUNTRIES)}'")
    for flag, key, value in (("defender", sa.DEFENDER_ID, defender), ("advocate", sa.ADVOCATE_ID, advocate)):
        if value:
            try:
                _PARTY_ID.validate_python(value)
            except ValidationError:
                raise InputError(f"--{flag} {value!r} is not a party id like DEF-GT-001") from None
            parts.append(f"{key.name} = '{value}'")
    if advocates is not None:
        for value in advocates:
            _PARTY_ID.validate_python(value)
        parts.append(f"{sa.ADVOCATE_ID.name} IN ({', '.join(repr(a) for a in advocates)})")
    if waiting_on:
        parts.append(f"{sa.WAITING_ON.name} = '{_one_of('waiting-on', waiting_on.lower(), WAITING_ON)}'")
    if payout_status:
        parts.append(f"{sa.PAYOUT_STATUS.name} = '{_one_of('payout-status', payout_status.lower(), PAYOUT_STATUSES)}'")
    if running:
        parts.append("ExecutionStatus = 'Running'")
    if invoice_status:
        parts.append(f"{sa.INVOICE_STATUS.name} = '{_one_of('invoice-status', invoice_status, INVOICE_STATUSES)}'")
    if needs_attention:
        parts.append(f"{sa.NEEDS_ATTENTION.name} = true")
    return " AND ".join(parts)


async def list_cases(client: Client, query: str, limit: int) -> list[CaseRow]:
    rows: list[CaseRow] = []
    async for wf in client.list_workflows(query, limit=limit):
        attrs = wf.typed_search_attributes
        rows.append(CaseRow(
            case_id=case_id_from_workflow_id(wf.id) or wf.id, workflow_id=wf.id, stage=attrs.get(sa.CASE_STAGE),
            country=attrs.get(sa.CASE_COUNTRY), defender_id=attrs.get(sa.DEFENDER_ID),
            advocate_id=attrs.get(sa.ADVOCATE_ID), invoice_status=attrs.get(sa.INVOICE_STATUS),
            invoice_amount=attrs.get(sa.INVOICE_AMOUNT), needs_attention=attrs.get(sa.NEEDS_ATTENTION),
            status=wf.status.name if wf.status else "UNKNOWN", started=wf.start_time,
            invoice_total=attrs.get(sa.INVOICE_TOTAL), invoice_currency=attrs.get(sa.INVOICE_CURRENCY),
            payout_status=attrs.get(sa.PAYOUT_STATUS), waiting_on=attrs.get(sa.WAITING_ON) or None,
            waiting_since=attrs.get(sa.WAITING_SINCE)))
    return rows
