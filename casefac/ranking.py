"""Ranking the eligible Defenders for a case, each with its reasons in words.

Every factor is a value between 0 and 1 with a sentence that says why; the score is their weighted mean
(weights in settings, ``CASEFAC_SUGGEST__…``). Nothing is hidden in the number: staff read the reasons and
decide. Sparse history is pulled toward the middle (two neutral pseudo-observations), so one glowing
evaluation does not outrank a long good record, and a newcomer is not buried.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from casefac.eligibility import CaseNeeds, Exclusion, exclusion
from casefac.parties import Defender

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French"}
#: Days since the last assignment past which everyone counts as equally rested.
FAIRNESS_HORIZON_DAYS = 90
#: Median days to a report that counts as half as good as an immediate one.
REPORT_HALF_DAYS = 14


class Weights(BaseModel):
    """How much each reason counts; 0 switches one off."""

    model_config = ConfigDict(extra="forbid")

    region: float = 2.0
    services: float = 3.0
    language: float = 1.0
    load: float = 2.0
    fairness: float = 1.5
    evaluations: float = 2.0
    reliability: float = 1.5
    speed: float = 1.0


class History(BaseModel):
    """What the case record knows of a Defender's past work."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    defender_id: str
    evaluations: int = 0
    #: Mean of the Advocates' overall scores (1–5), None without evaluations.
    mean_overall: float | None = None
    offers: int = 0
    accepted: int = 0
    declined: int = 0
    lapsed: int = 0
    last_assigned_at: datetime | None = None
    #: Median days from the start of the assignment to the first report.
    median_report_days: float | None = None


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    value: float
    reason: str


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    defender_id: str
    score: float
    factors: list[Factor]

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.factors]


class Ranking(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    suggestions: list[Suggestion]
    excluded: list[Exclusion]


def _smoothed(successes: float, total: float, prior: float) -> float:
    return (successes + 2 * prior) / (total + 2)


def factors(defender: Defender, needs: CaseNeeds, history: History, today: date) -> list[Factor]:
    out: list[Factor] = []
    if needs.region:
        if not defender.regions:
            out.append(Factor(name="region", value=0.5, reason=f"covers all of {defender.country}"))
        elif needs.region.casefold() in {r.casefold() for r in defender.regions}:
            out.append(Factor(name="region", value=1.0, reason=f"covers {needs.region}"))
        else:
            out.append(Factor(name="region", value=0.0, reason=f"does not list {needs.region} "
                              f"({', '.join(defender.regions)})"))
    missing = [s for s in needs.services if s not in defender.services]
    if missing:
        words = ", ".join(s.value.replace("_", " ") for s in missing)
        out.append(Factor(name="services", value=1 - len(missing) / len(needs.services),
                          reason=f"does not offer {words}"))
    else:
        out.append(Factor(name="services", value=1.0, reason="offers every requested service"))
    language = LANGUAGE_NAMES.get(needs.advocate_language, needs.advocate_language)
    speaks = needs.advocate_language in defender.languages
    out.append(Factor(name="language", value=1.0 if speaks else 0.0,
                      reason=f"speaks {language} with the Advocate" if speaks
                      else f"does not speak {language} (the Advocate's language)"))
    if defender.capacity:
        load = max(0.0, 1 - defender.open_cases / defender.capacity)
        load_reason = f"{defender.open_cases} of {defender.capacity} open cases"
    else:
        load = 1 / (1 + defender.open_cases)
        load_reason = f"{defender.open_cases} open case{'s' if defender.open_cases != 1 else ''} (no capacity set)"
    out.append(Factor(name="load", value=load, reason=load_reason))
    if history.last_assigned_at is None:
        out.append(Factor(name="fairness", value=1.0, reason="no assignment yet"))
    else:
        days = max(0, (today - history.last_assigned_at.date()).days)
        out.append(Factor(name="fairness", value=min(days, FAIRNESS_HORIZON_DAYS) / FAIRNESS_HORIZON_DAYS,
                          reason=f"last assigned {days} day{'s' if days != 1 else ''} ago"))
    if history.evaluations and history.mean_overall is not None:
        mean = (history.evaluations * history.mean_overall + 2 * 3.0) / (history.evaluations + 2)
        out.append(Factor(name="evaluations", value=(mean - 1) / 4,
                          reason=f"evaluated {history.mean_overall:.1f} of 5 by Advocates "
                                 f"({history.evaluations} evaluation{'s' if history.evaluations != 1 else ''})"))
    else:
        out.append(Factor(name="evaluations", value=0.5, reason="no evaluations yet"))
    if history.offers:
        parts = [f"accepted {history.accepted} of {history.offers} offers"]
        parts += [f"{n} {what}" for n, what in ((history.declined, "declined"), (history.lapsed, "lapsed")) if n]
        out.append(Factor(name="reliability", value=_smoothed(history.accepted, history.offers, 0.5),
                          reason=", ".join(parts)))
    else:
        out.append(Factor(name="reliability", value=0.5, reason="no offers yet"))
    if history.median_report_days is not None:
        days_ = history.median_report_days
        out.append(Factor(name="speed", value=1 / (1 + days_ / REPORT_HALF_DAYS),
                          reason=f"reports in {days_:.0f} day{'s' if round(days_) != 1 else ''} (median)"))
    else:
        out.append(Factor(name="speed", value=0.5, reason="no report yet"))
    return out


def rank(defenders: list[Defender], needs: CaseNeeds, histories: dict[str, History], weights: Weights,
         today: date) -> Ranking:
    """The eligible first, best first (ties by id, so the order never wobbles); then those excluded, and why."""
    suggestions: list[Suggestion] = []
    excluded: list[Exclusion] = []
    for defender in defenders:
        if defender.country != needs.country:
            continue  # another country's roster is not this case's business
        why_not = exclusion(defender, needs, today)
        if why_not is not None:
            excluded.append(why_not)
            continue
        found = factors(defender, needs, histories.get(defender.id, History(defender_id=defender.id)), today)
        total = sum(getattr(weights, f.name) for f in found)
        score = sum(getattr(weights, f.name) * f.value for f in found) / total if total else 0.0
        suggestions.append(Suggestion(defender_id=defender.id, score=round(score, 4), factors=found))
    suggestions.sort(key=lambda s: (-s.score, s.defender_id))
    excluded.sort(key=lambda e: (e.overridable is False, e.defender_id))
    return Ranking(suggestions=suggestions, excluded=excluded)
