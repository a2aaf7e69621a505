"""The boundary models refuse what a person or a hostile client might send."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from casefac.case import CaseRequest
from casefac.contract_draft import draft_revision
from casefac.messages import ReviewCase, ReviewReport
from casefac.parties import Actor, Role
from casefac.report import HourLine
from casefac.roster import available, parse_roster
from casefac.settings import PACKAGE_DIR
from workflows.rules import parse

STAFF = {"role": "staff", "id": "coord.ana"}
REQUEST = {
    "case_id": "JIM-2026-0042", "country": "GT", "matter_type": "protection", "services": ["locate_client"],
    "description": "Locate the client", "opened_by": STAFF,
    "advocate": {"id": "ADV-1", "name": "Dana", "organization": "Firm", "email": "dana@firm.example.com",
                 "country": "US"},
    "client": {"full_name": "Rosa"},
}


def test_a_valid_request_and_its_first_draft() -> None:
    req = CaseRequest.model_validate(REQUEST)
    defender = parse_roster((PACKAGE_DIR / "data" / "roster.yaml").read_text()).get("DEF-GT-001")
    assert defender is not None
    rev = draft_revision(req, defender, datetime(2026, 1, 1))
    assert rev.number == 1 and [t.id for t in rev.terms.tasks] == ["T1"]
    assert rev.terms.hourly_rate == defender.hourly_rate


@pytest.mark.parametrize("change", [
    {"case_id": "case 42"}, {"country": "US"}, {"services": []}, {"services": ["locate_client", "locate_client"]},
    {"services": ["teleportation"]}, {"opened_by": {"role": "advocate", "id": "ADV-1"}},
    {"budget_cap": {"amount": -1, "currency": "USD"}}, {"budget_cap": {"amount": 100, "currency": "GTQ"}},
    {"advocate": {**REQUEST["advocate"], "email": "not-an-email"}}, {"surprise": 1},
])
def test_bad_requests_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CaseRequest.model_validate({**REQUEST, **change}, extra="forbid")  # as the CLI reads a case file


def test_message_shapes() -> None:
    with pytest.raises(ValidationError, match="defender_id"):
        ReviewCase(actor=Actor(role=Role.STAFF, id="a"), decision="accept")
    with pytest.raises(ValidationError, match="reasons"):
        ReviewReport(actor=Actor(role=Role.STAFF, id="a"), report_number=1, decision="request_changes")


def test_hours_come_in_tenths() -> None:
    line = {"date": date(2026, 1, 1), "task_code": "L110", "activity_code": "A101", "description": "x"}
    assert HourLine(**line, hours=Decimal("2.3")).hours == Decimal("2.3")
    for bad in ("0", "0.05", "24.1", "-1"):
        with pytest.raises(ValidationError):
            HourLine(**line, hours=Decimal(bad))


def test_parse_names_the_field_and_the_rule() -> None:
    with pytest.raises(ValueError) as err:
        parse(ReviewReport, {"actor": STAFF, "report_number": 0, "decision": "approve",
                             "exchange_rates": [{"source": "GTQ", "target": "USD", "rate": "-1"}]})
    message = str(err.value)
    assert "report_number: Input should be greater than or equal to 1" in message
    assert "exchange_rates[0].rate: Input should be greater than 0" in message


def test_roster_sample_and_eligibility() -> None:
    roster = parse_roster((PACKAGE_DIR / "data" / "roster.yaml").read_text())
    assert len(roster.defenders) >= 12
    assert {d.country for d in roster.defenders} == {"MX", "GT", "SV", "HN", "NI"}
    assert {d.payout.kind for d in roster.defenders} == {"stripe_connect", "manual"}
    mx = roster.get("DEF-MX-001")
    today = date(2026, 3, 1)
    assert mx is not None and available(mx, "MX", today) and not available(mx, "GT", today)
    inactive = roster.get("DEF-MX-003")
    assert inactive is not None and not available(inactive, "MX", today)
    with pytest.raises(ValidationError, match="duplicate"):
        parse_roster("defenders:\n" + "\n".join(["  - {id: DEF-MX-001, name: A, email: a@b.example.com, "
                                                 "country: MX, services: [locate_client], "
                                                 "hourly_rate: {amount: 1, currency: USD}}"] * 2))


def test_live_mode_refuses_sandbox_secrets_and_names_them() -> None:
    from casefac.settings import Settings

    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, mode="live")  # type: ignore[call-arg]
    message = str(err.value)
    for variable in ("CASEFAC_GATEWAY__LINK_SECRET", "CASEFAC_STRIPE__API_KEY", "CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE"):
        assert variable in message
    assert Settings(_env_file=None).docusign.static_token is not None  # type: ignore[call-arg]
