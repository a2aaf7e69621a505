"""Who may be offered a case: one set of rules for ``casefac suggest`` and the review validator.

Some reasons are final (inactive, another country, declined or let this very offer lapse): no one can
override them. Others describe the Defender's week, not their fitness (away, at capacity): staff may
still assign, with a reason that is recorded (``--override``). Pure and sandbox-safe, so the workflow's
validator runs exactly this code on its roster snapshot.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from casefac.parties import Defender, Service


class CaseNeeds(BaseModel):
    """What a case asks of its Defender."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    country: str
    region: str | None = None
    services: list[Service]
    advocate_language: str = "en"
    #: Defenders who declined this case or let its offer lapse.
    declined: list[str] = []


class Exclusion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    defender_id: str
    reason: str
    #: True when staff may assign all the same, saying why (away, at capacity).
    overridable: bool


def exclusion(defender: Defender, needs: CaseNeeds, today: date) -> Exclusion | None:
    """Why ``defender`` should not be offered this case today, or None when nothing stands in the way."""
    def no(reason: str, overridable: bool = False) -> Exclusion:
        return Exclusion(defender_id=defender.id, reason=reason, overridable=overridable)

    if not defender.active:
        return no(f"{defender.id} is not active")
    if defender.country != needs.country:
        return no(f"{defender.id} works in {defender.country}, not {needs.country}")
    if defender.id in needs.declined:
        return no(f"{defender.id} already declined or let this offer lapse")
    away = next((a for a in defender.away if a.covers(today)), None)
    if away is not None:
        return no(f"{defender.id} is away until {away.ends_on.isoformat()}", overridable=True)
    if defender.capacity is not None and defender.open_cases >= defender.capacity:
        return no(f"{defender.id} is at capacity ({defender.open_cases} of {defender.capacity} open cases)",
                  overridable=True)
    return None
