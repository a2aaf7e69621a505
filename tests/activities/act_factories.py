"""Model factories for the activity tests (ids only where ids suffice; fictional parties)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from casefac.activity_io import SendContractEnvelope
from casefac.case import MatterType
from casefac.contract import ContractRevision, ContractTerms, TaskSpec
from casefac.money import Money
from casefac.parties import Actor, Advocate, Defender, Role, Service, StripeConnectPayout


def advocate(advocate_id: str = "ADV-0001", **overrides: Any) -> Advocate:
    values: dict[str, Any] = {"id": advocate_id, "name": "Alex Rivera", "organization": "Rivera Immigration Law",
                              "email": f"{advocate_id.lower()}@law.example.org", "country": "US"}
    return Advocate(**{**values, **overrides})


def defender(defender_id: str = "DEF-MX-001") -> Defender:
    return Defender(id=defender_id, name="Lucía Hernández Ortega", email="lucia@defensores.example.org",
                    country="MX", services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
                    hourly_rate=Money(amount=4500, currency="USD"),
                    payout=StripeConnectPayout(account_id="acct_defmx001"))


def revision(number: int = 1) -> ContractRevision:
    terms = ContractTerms(
        scope="Locate the client and collect the birth certificate for case filing.",
        tasks=[TaskSpec(id="T1", service=Service.LOCATE_CLIENT, description="Locate the client in Oaxaca."),
               TaskSpec(id="T2", service=Service.DOCUMENT_COLLECTION, description="Obtain the birth certificate.",
                        due=date(2026, 6, 30))],
        hourly_rate=Money(amount=4500, currency="USD"), expense_cap=Money(amount=50000, currency="USD"),
        hours_cap=20, special_terms="Weekly update by phone.")
    return ContractRevision(number=number, terms=terms, author=Actor(role=Role.STAFF, id="coord.ana"),
                            created_at=datetime(2026, 3, 1, tzinfo=UTC))


def contract_request(case_id: str = "JIM-2026-0042", *, revision_number: int = 3, attempt: int = 1,
                     advocate_id: str = "ADV-0001") -> SendContractEnvelope:
    return SendContractEnvelope(
        workflow_id=f"case-{case_id}", case_id=case_id, attempt=attempt, revision=revision(revision_number),
        advocate=advocate(advocate_id), defender=defender(), country="MX", matter_type=MatterType.PROTECTION,
        services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION])
