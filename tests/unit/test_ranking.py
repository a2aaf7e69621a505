"""Ranking and eligibility by construction: each reason, and only it, flips the order of two Defenders.

Two Defenders identical in everything but one fact: the one the fact favours must come first, and with the
fact swapped the order must swap. The eligibility table is checked against both users of the one rule set:
``casefac suggest`` (``casefac.ranking.rank``) and the review validator (``workflows.rules.review_case``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from casefac.case import CaseRequest, MatterType
from casefac.case import Client as CaseClient
from casefac.eligibility import CaseNeeds, exclusion
from casefac.messages import ReviewCase
from casefac.money import Money
from casefac.parties import Actor, Advocate, AwayPeriod, Defender, Role, Service
from casefac.ranking import History, Weights, rank
from casefac.state import CaseState
from workflows import rules

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
NEEDS = CaseNeeds(country="GT", region="Alta Verapaz", services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
                  advocate_language="en")


def defender(defender_id: str, **changes: object) -> Defender:
    base = Defender(id=defender_id, name=f"Name {defender_id}", email=f"{defender_id.lower()}@d.example.org",
                    country="GT", languages=["es", "en"],
                    services=[Service.LOCATE_CLIENT, Service.DOCUMENT_COLLECTION],
                    hourly_rate=Money(amount=4000, currency="USD"), regions=["Alta Verapaz"], capacity=4)
    return base.model_copy(update=changes)


def order(a: Defender, b: Defender, histories: dict[str, History] | None = None,
          needs: CaseNeeds = NEEDS) -> list[str]:
    return [s.defender_id for s in rank([a, b], needs, histories or {}, Weights(), TODAY).suggestions]


@pytest.mark.parametrize(("fact", "better", "worse"), [
    ("region", {"regions": ["Alta Verapaz"]}, {"regions": ["Petén"]}),
    ("services", {}, {"services": [Service.LOCATE_CLIENT]}),
    ("language", {"languages": ["es", "en"]}, {"languages": ["es"]}),
    ("load", {"open_cases": 0}, {"open_cases": 3}),
])
def test_each_roster_fact_flips_the_order(fact: str, better: dict[str, object], worse: dict[str, object]) -> None:
    # B sorts before A by id, so only the fact can put A first.
    assert order(defender("DEF-GT-002", **better), defender("DEF-GT-001", **worse)) == ["DEF-GT-002", "DEF-GT-001"]
    assert order(defender("DEF-GT-002", **worse), defender("DEF-GT-001", **better)) == ["DEF-GT-001", "DEF-GT-002"]


@pytest.mark.parametrize(("fact", "better", "worse"), [
    ("fairness", History(defender_id="x", last_assigned_at=NOW - timedelta(days=80)),
     History(defender_id="x", last_assigned_at=NOW - timedelta(days=2))),
    ("evaluations", History(defender_id="x", evaluations=6, mean_overall=4.8),
     History(defender_id="x", evaluations=6, mean_overall=2.5)),
    ("reliability", History(defender_id="x", offers=8, accepted=8),
     History(defender_id="x", offers=8, accepted=3, declined=4, lapsed=1)),
    ("speed", History(defender_id="x", median_report_days=5), History(defender_id="x", median_report_days=40)),
])
def test_each_fact_of_the_record_flips_the_order(fact: str, better: History, worse: History) -> None:
    a, b = defender("DEF-GT-002"), defender("DEF-GT-001")
    first = {a.id: better.model_copy(update={"defender_id": a.id}),
             b.id: worse.model_copy(update={"defender_id": b.id})}
    swapped = {a.id: worse.model_copy(update={"defender_id": a.id}),
               b.id: better.model_copy(update={"defender_id": b.id})}
    assert order(a, b, first) == ["DEF-GT-002", "DEF-GT-001"]
    assert order(a, b, swapped) == ["DEF-GT-001", "DEF-GT-002"]


def test_reasons_are_words_and_weights_can_switch_a_reason_off() -> None:
    ranking = rank([defender("DEF-GT-001", open_cases=1, regions=[])], NEEDS,
                   {"DEF-GT-001": History(defender_id="DEF-GT-001", evaluations=5, mean_overall=4.6, offers=8,
                                          accepted=7, declined=1, last_assigned_at=NOW - timedelta(days=40),
                                          median_report_days=9)}, Weights(), TODAY)
    assert ranking.suggestions[0].reasons == [
        "covers all of GT", "offers every requested service", "speaks English with the Advocate", "1 of 4 open cases",
        "last assigned 40 days ago", "evaluated 4.6 of 5 by Advocates (5 evaluations)",
        "accepted 7 of 8 offers, 1 declined", "reports in 9 days (median)"]
    loaded, idle = defender("DEF-GT-001", open_cases=3), defender("DEF-GT-002", open_cases=0)
    assert [s.defender_id for s in rank([loaded, idle], NEEDS, {}, Weights(load=0), TODAY).suggestions] == [
        "DEF-GT-001", "DEF-GT-002"]  # without the load reason they tie, and the id decides


def test_sparse_history_is_pulled_to_the_middle() -> None:
    one_glowing = History(defender_id="DEF-GT-002", evaluations=1, mean_overall=5.0)
    long_good = History(defender_id="DEF-GT-001", evaluations=20, mean_overall=4.5)
    assert order(defender("DEF-GT-002"), defender("DEF-GT-001"),
                 {h.defender_id: h for h in (one_glowing, long_good)}) == ["DEF-GT-001", "DEF-GT-002"]


#: (the Defender, what the rule says: None = eligible, else (reason fragment, overridable))
TABLE: list[tuple[Defender, tuple[str, bool] | None]] = [
    (defender("DEF-GT-001"), None),
    (defender("DEF-GT-002", active=False), ("is not active", False)),
    (defender("DEF-GT-003", country="MX"), ("works in MX, not GT", False)),
    (defender("DEF-GT-004"), ("already declined or let this offer lapse", False)),
    (defender("DEF-GT-005", away=[AwayPeriod(starts_on=TODAY, ends_on=TODAY + timedelta(days=9))]),
     ("is away until 2026-12-10", True)),
    (defender("DEF-GT-006",
              away=[AwayPeriod(starts_on=TODAY - timedelta(days=20), ends_on=TODAY - timedelta(days=1))]), None),
    (defender("DEF-GT-007", open_cases=4, capacity=4), ("is at capacity (4 of 4 open cases)", True)),
    (defender("DEF-GT-008", open_cases=9, capacity=None), None),
    (defender("DEF-GT-009", services=[Service.WITNESS_AFFIDAVIT]), None),  # ranked low, never excluded
]
DECLINED = ["DEF-GT-004"]


def _case() -> tuple[CaseRequest, CaseState]:
    request = CaseRequest(
        case_id="JIM-2026-0042", client=CaseClient(full_name="Rosa"), country="GT", region="Alta Verapaz",
        advocate=Advocate(id="ADV-1", name="Dana", organization="Law", email="dana@law.example.com", country="US"),
        matter_type=MatterType.PROTECTION, services=NEEDS.services, description="Locate the client",
        opened_by=Actor(role=Role.STAFF, id="coord.ana"))
    return request, CaseState(opened_at=NOW, roster=[d for d, _ in TABLE], declined_defenders=DECLINED)


@pytest.mark.parametrize(("candidate", "expected"), TABLE, ids=[d.id for d, _ in TABLE])
def test_suggest_and_the_review_validator_agree(candidate: Defender, expected: tuple[str, bool] | None) -> None:
    needs = NEEDS.model_copy(update={"declined": DECLINED})
    found = exclusion(candidate, needs, TODAY)
    assert (None if found is None else (found.reason.removeprefix(f"{candidate.id} "), found.overridable)) == expected
    ranking = rank([candidate], needs, {}, Weights(), TODAY)
    in_country = candidate.country == "GT"
    assert [s.defender_id for s in ranking.suggestions] == ([candidate.id] if expected is None else [])
    assert [e.defender_id for e in ranking.excluded] == ([candidate.id] if expected and in_country else [])

    request, state = _case()
    msg = ReviewCase(actor=Actor(role=Role.STAFF, id="coord.ana"), decision="accept", defender_id=candidate.id)
    if expected is None:
        rules.review_case(request, state, msg, TODAY)
        return
    with pytest.raises(ValueError, match=re.escape(expected[0])):
        rules.review_case(request, state, msg, TODAY)
    overridden = msg.model_copy(update={"override": "She asked for this case; her away week was moved."})
    if expected[1]:
        rules.review_case(request, state, overridden, TODAY)  # staff's reason lets it through
    else:
        with pytest.raises(ValueError, match=re.escape(expected[0])):
            rules.review_case(request, state, overridden, TODAY)
