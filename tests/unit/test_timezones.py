"""``casefac.timezones`` (review M8): local answer-by dates, business days, report dates in the case's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casefac import timezones
from casefac.case import CaseStage
from casefac.evaluation import Outcome, OutcomeResult
from casefac.messages import ReportOutcome, ReviewCase, SubmitReport, UpdateTask
from casefac.money import Money
from casefac.parties import Actor, Role
from casefac.policy import CasePolicy
from casefac.report import ExpenseLine, HourExpenseReport, ReportKind
from casefac.state import CaseState, TaskState
from tests.workflow.harness import advocate
from workflows import rules

GT = "America/Guatemala"


def test_a_friday_evening_offer_in_guatemala_answers_by_wednesday_local_end_of_day() -> None:
    sent = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # Friday 4 Dec, 19:00 in Guatemala (UTC-6)
    by = timezones.answer_by(sent, 3, GT)
    assert timezones.local_date(sent, GT) == date(2026, 12, 4)
    assert by == datetime(2026, 12, 9, 23, 59, 59, tzinfo=timezones.zone(GT))  # Mon, Tue, Wed: no weekend
    assert timezones.describe(by, GT) == "2026-12-09 23:59 America/Guatemala"


def test_every_country_and_advocate_has_a_zone() -> None:
    assert {c: timezones.defender_zone(c) for c in ("MX", "GT", "SV", "HN", "NI")} == {
        "MX": "America/Mexico_City", "GT": GT, "SV": "America/El_Salvador", "HN": "America/Tegucigalpa",
        "NI": "America/Managua"}
    assert timezones.advocate_zone("US", "tx") == "America/Chicago"
    assert timezones.advocate_zone("CA", "BC") == "America/Vancouver"
    assert timezones.advocate_zone("US") == "America/New_York"


def _case() -> tuple:  # type: ignore[type-arg]
    from casefac.case import CaseRequest, Client, MatterType
    from casefac.parties import Defender, ManualPayout, Service
    request = CaseRequest(case_id="JIM-2026-0900", advocate=advocate("ADV-TZ-1"),
                          client=Client(full_name="Rosa Coc", last_known_location="Cobán"), country="GT",
                          matter_type=MatterType.PROTECTION, services=[Service.LOCATE_CLIENT],
                          description="Locate the client.", opened_by=Actor(role=Role.STAFF, id="coord.ana"))
    defender = Defender.model_validate({"id": "DEF-GT-001", "name": "María López", "email": "m@example.org",
                                        "country": "GT", "services": ["locate_client"],
                                        "hourly_rate": {"amount": 2500, "currency": "USD"},
                                        "payout": ManualPayout(method="manual").model_dump()})
    return request, defender


def test_an_expense_on_the_evening_the_case_opened_is_accepted() -> None:
    request, defender = _case()
    opened = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)  # 1 Dec, 20:30 in Guatemala
    state = CaseState(opened_at=opened, stage=CaseStage.ASSIGNMENT, defender=defender)
    report = HourExpenseReport(kind=ReportKind.INTERIM, expenses=[ExpenseLine(
        date=date(2026, 12, 1), amount=Money(amount=5000, currency="GTQ"), expense_code="E109",
        description="Taxi to the client's house that evening")])
    msg = SubmitReport(actor=Actor(role=Role.DEFENDER, id=defender.id), report=report)
    today = rules.local_today(request, state, opened + timedelta(hours=1))
    assert today == date(2026, 12, 1)
    rules.submit_report(request, state, msg, today)  # the UTC date (2 Dec) would have refused it


def test_the_advocate_cannot_report_unknown_and_review_waits_for_the_roster() -> None:
    request, defender = _case()
    state = CaseState(opened_at=datetime(2026, 12, 1, tzinfo=UTC), stage=CaseStage.EVALUATION)
    with pytest.raises(ValueError, match=r"outcome\.result"):
        rules.report_outcome(request, state, ReportOutcome(actor=Actor(role=Role.ADVOCATE, id="ADV-TZ-1"),
                                                           outcome=Outcome(result=OutcomeResult.UNKNOWN)))
    review = CaseState(opened_at=datetime(2026, 12, 1, tzinfo=UTC), roster=[defender], roster_loading=True)
    msg = ReviewCase(actor=Actor(role=Role.STAFF, id="coord.ana"), decision="accept", defender_id=defender.id)
    with pytest.raises(ValueError, match="being loaded"):
        rules.review_case(request, review, msg, date(2026, 12, 1))
    with pytest.raises(ValueError, match="being loaded"):
        rules.review_case(request, review.model_copy(update={"roster": [], "roster_loading": False}), msg,
                          date(2026, 12, 1))


def test_task_updates_have_a_quota() -> None:
    request, defender = _case()
    policy = CasePolicy(task_updates_max=3, task_notes_chars_max=100)
    state = CaseState(opened_at=datetime(2026, 12, 1, tzinfo=UTC), stage=CaseStage.ASSIGNMENT, defender=defender,
                      tasks=[TaskState(id="T1", description="Locate", updates=2, notes=["x" * 90])])
    me = Actor(role=Role.DEFENDER, id=defender.id)
    rules.update_task(request, state, UpdateTask(actor=me, task_id="T1", status="done"), policy)
    with pytest.raises(ValueError, match="note"):
        rules.update_task(request, state, UpdateTask(actor=me, task_id="T1", status="done", note="y" * 20), policy)
    state.tasks[0].updates = 3
    with pytest.raises(ValueError, match="the most it keeps"):
        rules.update_task(request, state, UpdateTask(actor=me, task_id="T1", status="done"), policy)


def test_reminders_wait_for_the_partys_working_hours() -> None:
    saturday_3am_local = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # Sat 03:00 in Guatemala
    assert timezones.working_time(saturday_3am_local, GT) == datetime(2026, 12, 7, 9, 0, tzinfo=timezones.zone(GT))
    tuesday_10am_local = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
    assert timezones.working_time(tuesday_10am_local, GT) == tuesday_10am_local
