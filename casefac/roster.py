"""The Defender roster: a YAML file named in settings. Parsing is pure; reading the file is an activity."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter, field_validator

from casefac.eligibility import CaseNeeds, exclusion
from casefac.parties import Defender


class Roster(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defenders: list[Defender]

    @field_validator("defenders")
    @classmethod
    def _unique(cls, value: list[Defender]) -> list[Defender]:
        ids = [d.id for d in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate Defender ids: {', '.join(dupes)}")
        return value

    def get(self, defender_id: str) -> Defender | None:
        return next((d for d in self.defenders if d.id == defender_id), None)


def parse_roster(text: str) -> Roster:
    """Parse roster YAML; errors name the Defender entry and field (pydantic's locations)."""
    data: Any = yaml.safe_load(text) or {}
    return TypeAdapter(Roster).validate_python(data, extra="forbid")  # a typo in the roster file is refused


def available(defender: Defender, country: str, today: date) -> bool:
    """Whether ``defender`` can be offered a case in ``country`` today, any service (``casefac.eligibility``)."""
    return exclusion(defender, CaseNeeds(country=country, services=[]), today) is None
