"""The demo's sample case: a fictional Advocate and client, a Guatemalan Defender paid by Stripe Connect.

Each run gets a fresh case id and Advocate id, so every demo shows the one-time Advocate Agreement being
signed, and runs against a shared stack never meet each other's emails.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from casefac.case import CaseRequest, Client, MatterType
from casefac.money import Money
from casefac.parties import Actor, Advocate, Defender, Role, Service, StripeConnectPayout
from casefac.roster import Roster, available

COUNTRY = "GT"
STAFF = Actor(role=Role.STAFF, id="coord.demo")
#: 3.5 h at the Defender's rate plus GTQ 250.00 of bus fares at 0.13: USD 122.50 + USD 32.50 = USD 155.00.
HOURS = "3.5"
EXPENSE_GTQ = "250.00"
RATE = "GTQ:USD=0.13"


@dataclass(frozen=True)
class DemoCase:
    request: CaseRequest
    defender: Defender

    @property
    def case_id(self) -> str:
        return self.request.case_id

    @property
    def advocate_email(self) -> str:
        return str(self.request.advocate.email)

    @property
    def defender_email(self) -> str:
        return str(self.defender.email)


def pick_defender(roster: Roster, country: str = COUNTRY) -> Defender:
    """The first active Defender in ``country`` paid through Stripe Connect (the payout is a transfer)."""
    for defender in roster.defenders:
        if available(defender, country, date.today()) and isinstance(defender.payout, StripeConnectPayout):
            return defender
    raise LookupError(f"the roster has no active Stripe Connect Defender in {country}")


def new_case_id(today: date | None = None) -> str:
    return f"JIM-{(today or date.today()).year}-9{secrets.randbelow(100_000):05d}"


def sample_case(roster: Roster, *, today: date | None = None) -> DemoCase:
    today = today or date.today()
    suffix = secrets.token_hex(3).upper()
    defender = pick_defender(roster)
    request = CaseRequest(
        case_id=new_case_id(today),
        advocate=Advocate(id=f"ADV-DEMO-{suffix}", name="Dana Whitfield", organization="Whitfield Immigration Law",
                          email=f"dana.{suffix.lower()}@whitfield-law.example.com", country="US",
                          billing_currency="USD"),
        client=Client(full_name="Rosa Ixchel Coc", last_known_location="Cobán, Alta Verapaz"),
        country=COUNTRY,
        matter_type=MatterType.PROTECTION,
        services=[s for s in (Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION) if s in defender.services]
        or [defender.services[0]],
        description="Locate the client and obtain her birth certificate for an asylum hearing.",
        deadline=today + timedelta(days=60),
        budget_cap=Money(amount=50_000, currency="USD"),
        opened_by=STAFF,
    )
    return DemoCase(request=request, defender=defender)
