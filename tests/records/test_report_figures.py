"""Every figure of ``casefac report`` against a small record whose answers were worked out by hand.

Eight cases over three countries, two Advocate organisations (one billed in CAD), three Defenders paid in
MXN, GTQ and USD; one case (C7) lies wholly before the period and one (C6) straddles it, so the period
filter is tested on every section. The expected constants below come from the construction (the
arithmetic is in the comments), never from running the code under test. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from casefac.keyring import KeyRing
from records import models as m
from records.reports.build import build_report
from records.reports.period import Period, PeriodError, parse_period
from records.reports.tables import Report
from records.sealing import Sealer

PERIOD = Period(date(2026, 1, 1), date(2026, 6, 30))
RING = KeyRing.generate("k-figures")
SEALER = Sealer(RING)
#: Sealed in the record; a report shows them only with names asked for (tests/records/test_report_formats.py).
NAMES = {"DEF-MX-1": "Ximena Torres Luna", "DEF-GT-1": "Baltazar Xol Caal", "DEF-SV-1": "Marisol Ayala Cruz",
         "ADV-A1": "Hannah Brooks", "ADV-A2": "Oliver Grant", "ADV-B1": "Émilie Gagnon"}


CLIENT = "Rigoberta Quiché Tum"  # the client: never in any report, names or not


def t(month: int, day: int, hour: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _case(case_id: str, *, country: str, matter: str, problem: str, advocate: str, opened: datetime,
          stage: str, closed: datetime | None = None, defender: str | None = None, outcome: str | None = None,
          suggested: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"case_id": case_id, "origin": f"run-{case_id}", "workflow_id": f"case-{case_id}", "seq": 1,
            "recorded_at": opened, "advocate_id": advocate, "country": country, "matter_type": matter,
            "problem_code": problem, "opened_at": opened, "opened_by": "coord.ana", "billing_currency": "USD",
            "stage": stage, "closed_at": closed, "defender_id": defender, "agreement_status": "signed",
            "outcome": outcome, "closing_code_suggested": suggested, "closing_code": code,
            "client_sealed": SEALER.seal(f'{{"full_name": "{CLIENT} {case_id}"}}', where="cases.client",
                                         case_id=case_id),
            "description_sealed": SEALER.seal(f"Find {CLIENT}'s family", where="cases.description", case_id=case_id)}


CASES = [
    _case("JIM-2026-0001", country="MX", matter="rights_violation", problem="81", advocate="ADV-A1",
          opened=t(1, 10), stage="CLOSED", closed=t(3, 1), defender="DEF-MX-1", outcome="granted", suggested="H"),
    _case("JIM-2026-0002", country="MX", matter="protection", problem="81", advocate="ADV-A2",
          opened=t(2, 1), stage="CLOSED", closed=t(4, 15), defender="DEF-MX-1", outcome="denied", suggested="H",
          code="L"),
    _case("JIM-2026-0003", country="GT", matter="rights_violation", problem="86", advocate="ADV-B1",
          opened=t(2, 15), stage="PAYMENT", defender="DEF-GT-1"),
    _case("JIM-2026-0004", country="GT", matter="protection", problem="81", advocate="ADV-A1",
          opened=t(3, 1), stage="DECLINED", closed=t(3, 5)),
    _case("JIM-2026-0005", country="SV", matter="rights_violation", problem="85", advocate="ADV-B1",
          opened=t(4, 1), stage="CANCELLED", closed=t(5, 20), defender="DEF-SV-1", suggested="B"),
    # Opened before the period, closed after it: open at the end, in no opened/closed/outcome figure.
    _case("JIM-2025-0006", country="SV", matter="rights_violation", problem="81", advocate="ADV-A2",
          opened=t(11, 1, year=2025), stage="CLOSED", closed=t(7, 15), defender="DEF-SV-1", outcome="settled",
          suggested="G"),
    # Wholly before the period: in no figure at all.
    _case("JIM-2025-0007", country="MX", matter="protection", problem="81", advocate="ADV-A1",
          opened=t(3, 1, year=2025), stage="CLOSED", closed=t(10, 1, year=2025), defender="DEF-MX-1",
          outcome="granted", suggested="H"),
    _case("JIM-2026-0008", country="GT", matter="rights_violation", problem="81", advocate="ADV-A2",
          opened=t(6, 20), stage="REVIEW"),
]

SERVICES = {"JIM-2026-0001": ["document_collection", "locate_client"], "JIM-2026-0002": ["locate_client"],
            "JIM-2026-0003": ["witness_affidavit"], "JIM-2026-0004": ["document_collection"],
            "JIM-2026-0005": ["facilitate_communication", "locate_client"], "JIM-2025-0006": ["locate_client"],
            "JIM-2025-0007": ["service_of_process"], "JIM-2026-0008": ["locate_client"]}

#: (stage, entered, left) per case; durations in days are in the comments.
STAGES = {
    "JIM-2026-0001": [("REVIEW", t(1, 10), t(1, 12)),  # 2
                      ("AGREEMENT", t(1, 12), t(1, 17)),  # 5
                      ("ASSIGNMENT", t(1, 17), t(2, 6)),  # 20
                      ("PAYMENT", t(2, 6), t(2, 16)),  # 10
                      ("EVALUATION", t(2, 16), t(3, 1)),  # 13
                      ("CLOSED", t(3, 1), None)],
    "JIM-2026-0002": [("REVIEW", t(2, 1), t(2, 5)),  # 4
                      ("AGREEMENT", t(2, 5), t(2, 8)),  # 3
                      ("ASSIGNMENT", t(2, 8), t(3, 10)),  # 30
                      ("PAYMENT", t(3, 10), t(3, 15)),  # 5
                      ("EVALUATION", t(3, 15), t(4, 15)),  # 31
                      ("CLOSED", t(4, 15), None)],
    "JIM-2026-0003": [("REVIEW", t(2, 15), t(2, 17, 0)),  # 1.5
                      ("AGREEMENT", t(2, 17, 0), t(2, 23)),  # 6.5
                      ("ASSIGNMENT", t(2, 23), t(4, 4)),  # 40
                      ("PAYMENT", t(4, 4), None)],  # in progress
    "JIM-2026-0004": [("REVIEW", t(3, 1), t(3, 5)),  # 4
                      ("DECLINED", t(3, 5), None)],
    "JIM-2026-0005": [("REVIEW", t(4, 1), t(4, 4)),  # 3
                      ("AGREEMENT", t(4, 4), t(4, 6)),  # 2
                      ("ASSIGNMENT", t(4, 6), t(5, 20)),  # 44
                      ("CANCELLED", t(5, 20), None)],
    "JIM-2025-0006": [("REVIEW", t(11, 1, year=2025), t(11, 3, year=2025)),  # entered before the period
                      ("AGREEMENT", t(11, 3, year=2025), t(11, 10, year=2025)),
                      ("ASSIGNMENT", t(11, 10, year=2025), t(1, 20)),  # entered before: not counted
                      ("PAYMENT", t(1, 20), t(2, 1)),  # 12
                      ("EVALUATION", t(2, 1), t(7, 15)),  # 164 (left after the period: still counted)
                      ("CLOSED", t(7, 15), None)],
    "JIM-2025-0007": [("REVIEW", t(3, 1, year=2025), t(3, 3, year=2025)),
                      ("CLOSED", t(10, 1, year=2025), None)],
    "JIM-2026-0008": [("REVIEW", t(6, 20), None)],  # in progress
}

#: (case, number, status, tenths, approved at or None)
REPORTS = [
    ("JIM-2026-0001", 1, "approved", 125, t(2, 6)),
    ("JIM-2026-0002", 1, "approved", 30, t(2, 20)),
    ("JIM-2026-0002", 2, "approved", 45, t(3, 10)),
    ("JIM-2026-0002", 3, "submitted", 80, None),
    ("JIM-2026-0003", 1, "approved", 200, t(4, 4)),
    ("JIM-2026-0003", 2, "changes_requested", 50, None),
    ("JIM-2026-0005", 1, "approved", 17, t(5, 1)),
    ("JIM-2025-0006", 1, "approved", 66, t(1, 20)),
    ("JIM-2025-0007", 1, "approved", 99, t(6, 1, year=2025)),
]

#: (case, report, defender, status, amount, currency, amount_usd, paid at)
PAYOUTS = [
    ("JIM-2026-0001", 1, "DEF-MX-1", "paid", 1_000_000, "MXN", 58_000, t(2, 10)),
    ("JIM-2026-0002", 1, "DEF-MX-1", "paid", 200_000, "MXN", None, t(2, 25)),
    ("JIM-2026-0002", 2, "DEF-MX-1", "paid", 30_000, "USD", 30_000, t(3, 12)),
    ("JIM-2026-0003", 1, "DEF-GT-1", "paid", 500_000, "GTQ", 65_000, t(4, 10)),
    ("JIM-2026-0005", 1, "DEF-SV-1", "paid", 12_345, "USD", 12_345, t(5, 5)),
    ("JIM-2025-0006", 1, "DEF-SV-1", "pending", 40_000, "USD", 40_000, None),
    ("JIM-2025-0007", 1, "DEF-MX-1", "paid", 999_900, "MXN", 57_994, t(6, 5, year=2025)),
]

#: (case, report, status, amount, currency, amount_usd, issued at)
INVOICES = [
    ("JIM-2026-0001", 1, "paid", 150_000, "USD", 150_000, t(2, 6)),
    ("JIM-2026-0002", 1, "open", 40_000, "USD", 40_000, t(2, 20)),
    ("JIM-2026-0002", 2, "paid", 60_000, "USD", 60_000, t(3, 10)),
    ("JIM-2026-0003", 1, "paid", 250_000, "CAD", 182_500, t(4, 4)),
    ("JIM-2026-0005", 1, "uncollectible", 20_000, "CAD", None, t(5, 1)),
    ("JIM-2025-0006", 1, "void", 80_000, "USD", 80_000, t(1, 20)),
    ("JIM-2025-0007", 1, "paid", 77_700, "USD", 77_700, t(6, 1, year=2025)),
]

#: (case, role, defender, overall, communication, quality, timeliness, would work again, submitted at)
EVALUATIONS = [
    ("JIM-2026-0001", "advocate", "DEF-MX-1", 5, 4, 5, 3, True, t(2, 20)),
    ("JIM-2026-0001", "defender", "DEF-MX-1", 4, 5, 4, 4, True, t(2, 22)),
    ("JIM-2026-0002", "advocate", "DEF-MX-1", 2, 3, 2, 1, False, t(4, 1)),
    ("JIM-2026-0005", "defender", "DEF-SV-1", 3, 3, 3, 2, False, t(5, 25)),
    ("JIM-2025-0006", "advocate", "DEF-SV-1", 4, 4, 4, 5, True, t(7, 10)),
    ("JIM-2025-0007", "advocate", "DEF-MX-1", 1, 1, 1, 1, False, t(9, 1, year=2025)),
]


def _advocate(advocate_id: str, organization: str, country: str) -> dict[str, Any]:
    return {"advocate_id": advocate_id, "organization": organization, "country": country, "language": "en",
            "name_sealed": SEALER.seal(NAMES[advocate_id], where="advocates.name", case_id=advocate_id),
            "email_sealed": SEALER.seal(f"{advocate_id}@example.org", where="advocates.email", case_id=advocate_id)}


def _defender(defender_id: str, country: str) -> dict[str, Any]:
    return {"defender_id": defender_id, "country": country, "organization": None, "language": "es",
            "name_sealed": SEALER.seal(NAMES[defender_id], where="defenders.name", case_id=defender_id)}


def seed(engine: Engine) -> None:
    """The record above, inserted row by row with explicit numbers (no generator, no store)."""
    with engine.begin() as c:
        advocates = [("ADV-A1", "Org Alpha", "US"), ("ADV-A2", "Org Alpha", "US"), ("ADV-B1", "Org Beta", "CA")]
        c.execute(insert(m.AdvocateRow), [_advocate(*a) for a in advocates])
        c.execute(insert(m.DefenderRow), [_defender("DEF-MX-1", "MX"), _defender("DEF-GT-1", "GT"),
                                          _defender("DEF-SV-1", "SV")])
        c.execute(insert(m.CaseRow), CASES)
        c.execute(insert(m.CaseServiceRow), [{"case_id": k, "service": s, "position": i}
                                             for k, v in SERVICES.items() for i, s in enumerate(v)])
        c.execute(insert(m.StageChangeRow), [{"case_id": k, "position": i, "stage": s, "entered_at": a, "left_at": b}
                                             for k, v in STAGES.items() for i, (s, a, b) in enumerate(v)])
        c.execute(insert(m.ReportRow), [
            {"case_id": k, "number": n, "kind": "final", "status": status, "submitted_by": "DEF",
             "submitted_at": approved or t(6, 1), "hours_tenths": tenths, "note_sealed": None,
             "change_reasons_sealed": None} for k, n, status, tenths, approved in REPORTS])
        c.execute(insert(m.ApprovalRow), [
            {"case_id": k, "report_number": n, "approved_by": "fin.rosa", "approved_at": approved,
             "exchange_rates": "", "invoice_amount": 1, "invoice_currency": "USD", "payout_amount": 1,
             "payout_currency": "USD", "adjustments_sealed": None}
            for k, n, _status, _tenths, approved in REPORTS if approved is not None])
        c.execute(insert(m.PayoutRow), [
            {"case_id": k, "report_number": n, "defender_id": d, "method": "manual", "status": status,
             "amount": amount, "currency": cur, "amount_usd": usd, "reference_sealed": None, "requested_at": t(1, 2),
             "paid_at": paid} for k, n, d, status, amount, cur, usd, paid in PAYOUTS])
        c.execute(insert(m.InvoiceRow), [
            {"case_id": k, "report_number": n, "invoice_id": f"in_{k}_{n}", "number": None, "status": status,
             "amount": amount, "currency": cur, "amount_usd": usd, "issued_at": issued, "due_date": None,
             "paid_at": issued if status == "paid" else None} for k, n, status, amount, cur, usd, issued in INVOICES])
        c.execute(insert(m.EvaluationRow), [
            {"case_id": k, "role": role, "defender_id": d, "overall": o, "communication": cm, "quality": q,
             "timeliness": tl, "would_work_again": w, "submitted_at": at, "comments_sealed": None}
            for k, role, d, o, cm, q, tl, w, at in EVALUATIONS])


@pytest.fixture
def report(records_engine: Engine) -> Iterator[Report]:
    seed(records_engine)
    yield build_report(records_engine, PERIOD)


# -- cases ---------------------------------------------------------------------------------------------------

def test_cases_by_country_matter_service_and_problem_code(report: Report) -> None:
    # MX: C1, C2 opened and closed. GT: C3, C4, C8 opened; C4 closed; C3, C8 open. SV: C5 opened and closed,
    # C6 (opened 2025, closed after the period) open. C7 (2025) nowhere.
    assert report.table("cases_by_country").rows == (
        ("GT", "Guatemala", 3, 1, 2), ("MX", "Mexico", 2, 2, 0), ("SV", "El Salvador", 1, 1, 1))
    assert report.table("cases_by_country").totals == (("Total", "", 6, 4, 3),)
    assert report.table("cases_by_matter_type").rows == (("protection", 2, 2, 0), ("rights_violation", 4, 2, 3))
    assert report.table("cases_by_matter_type").totals == (("Total", 6, 4, 3),)
    assert report.table("cases_by_service").rows == (
        ("document_collection", 2, 2, 0), ("facilitate_communication", 1, 1, 0), ("locate_client", 4, 3, 2),
        ("witness_affidavit", 1, 0, 1))
    assert report.table("cases_by_problem_code").rows == (
        ("81", "Immigration/Naturalization", 4, 3, 2), ("85", "Civil Rights", 1, 1, 0),
        ("86", "Human Trafficking", 1, 0, 1))
    assert report.table("cases_by_problem_code").totals == (("Total", "", 6, 4, 3),)


def test_days_per_stage_median_and_p90(report: Report) -> None:
    # REVIEW [1.5, 2, 3, 4, 4]: median 3, p90 = 5th of 5 → 4. AGREEMENT [2, 3, 5, 6.5]: (3+5)/2, 4th → 6.5.
    # ASSIGNMENT [20, 30, 40, 44] (C6's entered in 2025). PAYMENT [5, 10, 12]. EVALUATION [13, 31, 164].
    stage_days = report.table("stage_days")
    assert stage_days.rows == (
        ("REVIEW", 5, D("3.0"), D("4.0")), ("AGREEMENT", 4, D("4.0"), D("6.5")),
        ("ASSIGNMENT", 4, D("35.0"), D("44.0")), ("PAYMENT", 3, D("10.0"), D("12.0")),
        ("EVALUATION", 3, D("31.0"), D("164.0")))
    # Closed in the period: C4 4 days, C5 49, C1 50, C2 73 → median 49.5, p90 the 4th → 73.
    assert stage_days.totals == (("Request to close", 4, D("49.5"), D("73.0")),)
    assert any("2 stage(s) entered in the period are still in progress" in note for note in stage_days.notes)


def test_defender_hours_of_approved_reports(report: Report) -> None:
    # MX: 125 + 30 + 45 tenths; GT: 200 (its changes_requested report left out); SV: 17 + 66. C7's (2025) out.
    hours = report.table("defender_hours")
    assert hours.rows == (("DEF-GT-1", "GT", 1, D("20.0")), ("DEF-MX-1", "MX", 3, D("20.0")),
                          ("DEF-SV-1", "SV", 2, D("8.3")))
    assert hours.totals == (("Total", "", 6, D("48.3")),)


def test_fees_paid_per_defender_and_country(report: Report) -> None:
    # Paid in the period: MX 10,000.00 + 2,000.00 MXN (the second without a USD rate) and 300.00 USD;
    # GT 5,000.00 GTQ = 650.00 USD; SV 123.45 USD. C6's pending payout and C7's 2025 one left out.
    fees = report.table("fees_by_defender")
    assert fees.rows == (
        ("GT", "DEF-GT-1", "GTQ", 1, D("5000.00"), D("650.00"), 0),
        ("MX", "DEF-MX-1", "MXN", 2, D("12000.00"), D("580.00"), 1),
        ("MX", "DEF-MX-1", "USD", 1, D("300.00"), D("300.00"), 0),
        ("SV", "DEF-SV-1", "USD", 1, D("123.45"), D("123.45"), 0))
    assert fees.totals == (
        ("Total", "", "GTQ", 1, D("5000.00"), D("650.00"), 0),
        ("Total", "", "MXN", 2, D("12000.00"), D("580.00"), 1),
        ("Total", "", "USD", 2, D("423.45"), D("423.45"), 0),
        ("Total", "", "all (USD)", 5, None, D("1653.45"), 1))  # 650 + 580 + 300 + 123.45
    assert "1 payout(s) had no approved USD rate: not in the USD figures." in fees.notes
    assert report.table("fees_by_country").rows == (
        ("GT", "Guatemala", "GTQ", 1, D("5000.00"), D("650.00"), 0),
        ("MX", "Mexico", "MXN", 2, D("12000.00"), D("580.00"), 1),
        ("MX", "Mexico", "USD", 1, D("300.00"), D("300.00"), 0),
        ("SV", "El Salvador", "USD", 1, D("123.45"), D("123.45"), 0))
    assert report.table("fees_by_country").totals[-1] == ("Total", "", "all (USD)", 5, None, D("1653.45"), 1)


def test_invoiced_paid_and_outstanding_by_organisation(report: Report) -> None:
    # Org Alpha (USD): 1,500 paid + 400 open + 600 paid. Org Beta (CAD): 2,500 paid (1,825 USD) + 200
    # uncollectible without a USD rate. C6's void invoice and C7's 2025 one left out.
    by_org = report.table("invoices_by_organization")
    assert by_org.rows == (
        ("Org Alpha", "USD", 3, D("2500.00"), D("2100.00"), D("400.00"), D("2500.00"), D("2100.00"), D("400.00"), 0),
        ("Org Beta", "CAD", 2, D("2700.00"), D("2500.00"), D("200.00"), D("1825.00"), D("1825.00"), D("0.00"), 1))
    assert by_org.totals == (
        ("Total", "CAD", 2, D("2700.00"), D("2500.00"), D("200.00"), D("1825.00"), D("1825.00"), D("0.00"), 1),
        ("Total", "USD", 3, D("2500.00"), D("2100.00"), D("400.00"), D("2500.00"), D("2100.00"), D("400.00"), 0),
        ("Total", "all (USD)", 5, None, None, None, D("4325.00"), D("3925.00"), D("400.00"), 1))
    assert "1 invoice(s) had no approved USD rate: not in the USD figures." in by_org.notes
    assert report.table("invoices_by_advocate").rows == (
        ("Org Alpha", "ADV-A1", "USD", 1, D("1500.00"), D("1500.00"), D("0.00"), D("1500.00"), D("1500.00"),
         D("0.00"), 0),
        ("Org Alpha", "ADV-A2", "USD", 2, D("1000.00"), D("600.00"), D("400.00"), D("1000.00"), D("600.00"),
         D("400.00"), 0),
        ("Org Beta", "ADV-B1", "CAD", 2, D("2700.00"), D("2500.00"), D("200.00"), D("1825.00"), D("1825.00"),
         D("0.00"), 1))


def test_outcomes_and_closing_codes_of_cases_closed_in_the_period(report: Report) -> None:
    # Closed in the period: C1 granted (H suggested), C2 denied (staff set L), C4 declined (no code),
    # C5 cancelled with work done (B). C6 closed after the period, C7 before it.
    assert report.table("outcomes").rows == (
        ("CANCELLED", "—", 1), ("CLOSED", "denied", 1), ("CLOSED", "granted", 1), ("DECLINED", "—", 1))
    assert report.table("outcomes").totals == (("Total", "", 4),)
    assert report.table("closing_codes").rows == (
        ("B", "Limited Action", 1, 0), ("H", "Administrative Agency Decision", 1, 0), ("L", "Extensive Service", 1, 1),
        ("—", "none (declined)", 1, 0))
    assert report.table("closing_codes").totals == (("Total", "", 4, 1),)


def test_evaluation_averages_per_defender(report: Report) -> None:
    # DEF-MX-1: overall (5+4+2)/3, communication (4+5+3)/3, quality (5+4+2)/3, timeliness (3+4+1)/3, 2 of 3
    # would work again. DEF-SV-1: the one evaluation of C5. C6's (July) and C7's (2025) left out.
    evaluations = report.table("evaluations")
    assert evaluations.rows == (
        ("DEF-MX-1", "MX", 3, 2, 1, D("3.67"), D("4.00"), D("3.67"), D("2.67"), D("0.667")),
        ("DEF-SV-1", "SV", 1, 0, 1, D("3.00"), D("3.00"), D("3.00"), D("2.00"), D("0.000")))
    # All four: (11+3)/4, (12+3)/4, (11+3)/4, (8+2)/4, 2 of 4.
    assert evaluations.totals == (("All", "", 4, 2, 2, D("3.50"), D("3.75"), D("3.50"), D("2.50"), D("0.500")),)


def test_a_period_with_nothing_in_it_gives_empty_tables_with_a_note(records_engine: Engine) -> None:
    seed(records_engine)
    empty = build_report(records_engine, Period(date(2024, 1, 1), date(2024, 12, 31)))
    assert len(empty.tables) == 13
    for table in empty.tables:
        assert table.rows == () and table.totals == (), table.key
        assert table.notes and table.notes[0].startswith("No "), table.key


def test_the_period_boundaries_are_whole_utc_days(records_engine: Engine) -> None:
    seed(records_engine)
    # C4 opened 2026-03-01 12:00 and closed 03-05 12:00: a one-day period on each end catches it.
    first_day = build_report(records_engine, Period(date(2026, 3, 1), date(2026, 3, 1)))
    assert first_day.table("cases_by_country").totals == (("Total", "", 1, 1, 4),)  # C4; C1 closed 03-01 12:00
    day_before = build_report(records_engine, Period(date(2026, 2, 28), date(2026, 2, 28)))
    assert day_before.table("cases_by_country").totals == (("Total", "", 0, 0, 4),)  # C1, C2, C3, C6 open


@pytest.mark.parametrize(("start", "end", "expected"), [
    (None, None, Period(date(2026, 1, 1), date(2026, 12, 31))),
    ("2025-04-01", None, Period(date(2025, 4, 1), date(2025, 12, 31))),
    (None, "2024-03-31", Period(date(2024, 1, 1), date(2024, 3, 31))),
    ("2025-02-01", "2025-02-28", Period(date(2025, 2, 1), date(2025, 2, 28))),
])
def test_period_defaults_to_the_calendar_year(start: str | None, end: str | None, expected: Period) -> None:
    assert parse_period(start, end, today=date(2026, 12, 1)) == expected


@pytest.mark.parametrize(("start", "end", "message"), [
    ("2026-02-30", None, "--from '2026-02-30' is not a date"),
    (None, "31/12/2026", "--to '31/12/2026' is not a date"),
    ("2026-05-01", "2026-04-30", "--from 2026-05-01 is after --to 2026-04-30"),
])
def test_a_bad_period_says_what_is_wrong(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(start, end, today=date(2026, 12, 1))
