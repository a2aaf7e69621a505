"""``casefac report --network`` against a hand-built record whose figures were worked out by hand.

The record is the funders' report's (``test_report_figures.seed``: its hours, payouts, evaluations and stage
changes) plus the offers below and one more case, C9, assigned by an accepted offer with no ASSIGNMENT stage
row. The expected constants come from the construction (the arithmetic is in the comments), never from
running the code under test. Runs on SQLite and PostgreSQL, through the formats and the CLI.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
import typer
from sqlalchemy import Engine, insert, select
from typer.testing import CliRunner

from records import models as m
from records.reports import export_csv, export_html, export_xlsx
from records.reports.network import build_network_report, months_of
from records.reports.period import Period
from records.reports.tables import Report
from starters.commands import report as report_command
from tests.records.test_report_figures import CLIENT, NAMES, PERIOD, SEALER, _case, seed, t
from tests.records.test_report_formats import _csv_files, _env

#: (case, position, defender, result, offered at, answered at); response hours in the comments.
OFFERS = [
    ("JIM-2026-0001", 0, "DEF-MX-9", "no_answer", t(1, 17), None),  # not on the roster: the case's country, MX
    ("JIM-2026-0001", 1, "DEF-MX-1", "accepted", t(1, 19), t(1, 19, 18)),  # 6 h
    ("JIM-2026-0002", 0, "DEF-MX-1", "accepted", t(2, 8), t(2, 9, 0)),  # 12 h
    ("JIM-2026-0003", 0, "DEF-GT-1", "declined", t(2, 23), t(2, 24, 14)),  # 26 h
    ("JIM-2026-0003", 1, "DEF-SV-1", "declined", t(2, 25), t(2, 25, 15)),  # 3 h (a SV Defender: counts for SV)
    ("JIM-2026-0003", 2, "DEF-GT-1", "accepted", t(2, 26), t(2, 27)),  # 24 h
    ("JIM-2026-0005", 0, "DEF-SV-1", "accepted", t(4, 6), t(4, 6, 20)),  # 8 h
    ("JIM-2025-0006", 0, "DEF-SV-1", "accepted", t(11, 10, year=2025), t(11, 11, year=2025)),  # before
    ("JIM-2025-0007", 0, "DEF-MX-1", "accepted", t(3, 5, year=2025), t(3, 6, year=2025)),  # before
    ("JIM-2026-0009", 0, "DEF-GT-1", "accepted", t(5, 10), t(5, 12)),  # 48 h
]
#: Assigned by its accepted offer (answered 05-12) only: no ASSIGNMENT stage row; still open.
C9 = _case("JIM-2026-0009", country="GT", matter="protection", problem="81", advocate="ADV-A1", opened=t(5, 1),
           stage="ASSIGNMENT", defender="DEF-GT-1")

NO = None


def seed_network(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as c:
        c.execute(insert(m.CaseRow), [C9])
        c.execute(insert(m.StageChangeRow), [{"case_id": C9["case_id"], "position": 0, "stage": "REVIEW",
                                              "entered_at": t(5, 1), "left_at": t(5, 3)}])
        c.execute(insert(m.AssignmentOfferRow), [
            {"case_id": k, "position": p, "defender_id": d, "result": r, "offered_at": o, "answered_at": a,
             "reason_sealed": SEALER.seal("Too far away.", where="assignment_offers.reason", case_id=k)}
            for k, p, d, r, o, a in OFFERS])


@pytest.fixture
def seeded(records_engine: Engine) -> Iterator[Engine]:
    seed_network(records_engine)
    yield records_engine


@pytest.fixture
def network(seeded: Engine) -> Report:
    return build_network_report(seeded, PERIOD)


# -- the figures ---------------------------------------------------------------------------------------------

def test_offers_response_first_report_hours_and_fees_per_defender(network: Report) -> None:
    # Days to the first report (ASSIGNMENT entered → first report submitted, first report in the period):
    # C1 01-17 → 02-06 = 20, C2 02-08 → 02-20 = 12 (MX-1: median 16); C3 02-23 → 04-04 = 40 (GT-1);
    # C5 04-06 → 05-01 = 25, C6 2025-11-10 → 01-20 = 71 (SV-1: median 48). C9 has no report.
    # Hours and fees as in test_report_figures; fees USD: MX-1 580 + 300, GT-1 650, SV-1 123.45.
    # Responses: GT-1 [24, 26, 48] → 26; MX-1 [6, 12] → 9; SV-1 [3, 8] → 5.5; MX-9 never answered.
    t_ = network.table("network_defenders")
    assert t_.keys == ("defender_id", "country", "assigned", "declined", "lapsed", "offers", "median_response_hours",
                       "median_days_to_first_report", "reports", "hours", "payouts", "fees_usd")
    assert t_.rows == (
        ("DEF-GT-1", "GT", 2, 1, 0, 3, D("26.0"), D("40.0"), 1, D("20.0"), 1, D("650.00")),
        ("DEF-MX-1", "MX", 2, 0, 0, 2, D("9.0"), D("16.0"), 3, D("20.0"), 3, D("880.00")),
        ("DEF-MX-9", "MX", 0, 0, 1, 1, NO, NO, 0, D("0.0"), 0, NO),
        ("DEF-SV-1", "SV", 1, 1, 0, 2, D("5.5"), D("48.0"), 2, D("8.3"), 1, D("123.45")))
    # All responses [3, 6, 8, 12, 24, 26, 48] → 12; all first reports [12, 20, 25, 40, 71] → 25.
    assert t_.totals == (("All", "", 5, 2, 1, 8, D("12.0"), D("25.0"), 6, D("48.3"), 5, D("1653.45")),)


def test_the_same_figures_per_country(network: Report) -> None:
    countries = network.table("network_countries")
    assert countries.rows == (
        ("GT", "Guatemala", 1, 2, 1, 0, 3, D("26.0"), D("40.0"), 1, D("20.0"), 1, D("650.00")),
        ("MX", "Mexico", 2, 2, 0, 1, 3, D("9.0"), D("16.0"), 3, D("20.0"), 3, D("880.00")),  # MX-1 and MX-9
        ("SV", "El Salvador", 1, 1, 1, 0, 2, D("5.5"), D("48.0"), 2, D("8.3"), 1, D("123.45")))
    assert countries.totals == (("Total", "", 4, 5, 2, 1, 8, D("12.0"), D("25.0"), 6, D("48.3"), 5, D("1653.45")),)


def test_fees_and_evaluations_per_defender_and_country(network: Report) -> None:
    fees = network.table("fees_by_defender")
    assert ("MX", "DEF-MX-1", "MXN", 2, D("12000.00"), D("580.00"), 1) in fees.rows
    assert fees.totals[-1] == ("Total", "", "all (USD)", 5, None, D("1653.45"), 1)
    assert network.table("fees_by_country").rows[0] == ("GT", "Guatemala", "GTQ", 1, D("5000.00"), D("650.00"), 0)
    assert network.table("evaluations").rows[0] == (
        "DEF-MX-1", "MX", 3, 2, 1, D("3.67"), D("4.00"), D("3.67"), D("2.67"), D("0.667"))
    by_country = network.table("evaluations_by_country")
    assert by_country.rows == (
        ("MX", "Mexico", 3, 2, 1, D("3.67"), D("4.00"), D("3.67"), D("2.67"), D("0.667")),
        ("SV", "El Salvador", 1, 0, 1, D("3.00"), D("3.00"), D("3.00"), D("2.00"), D("0.000")))
    assert by_country.totals == (("All", "", 4, 2, 2, D("3.50"), D("3.75"), D("3.50"), D("2.50"), D("0.500")),)


MONTHS = ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")


def test_open_cases_per_defender_and_country_per_month(network: Report) -> None:
    # Assigned → closed: C1 01-17 → 03-01 (Jan–Mar: closed ON 03-01, so open in March), C2 02-08 → 04-15
    # (Feb–Apr), C3 02-23 → open (Feb–Jun), C5 04-06 → 05-20 (Apr–May), C6 2025-11-10 → 07-15 (Jan–Jun),
    # C9 by its offer 05-12 → open (May–Jun). C7 closed in 2025; C4 and C8 have no Defender.
    load = network.table("load_by_defender")
    assert load.keys == ("defender_id", "country", "peak", *MONTHS)
    assert load.rows == (("DEF-GT-1", "GT", 2, 0, 1, 1, 1, 2, 2),  # C3, C9
                         ("DEF-MX-1", "MX", 2, 1, 2, 2, 1, 0, 0),  # C1, C2
                         ("DEF-SV-1", "SV", 2, 1, 1, 1, 2, 2, 1))  # C6, C5
    assert load.totals == (("Total", "", 4, 2, 4, 4, 4, 4, 3),)
    assert network.table("load_by_country").rows == (
        ("GT", "Guatemala", 2, 0, 1, 1, 1, 2, 2), ("MX", "Mexico", 2, 1, 2, 2, 1, 0, 0),
        ("SV", "El Salvador", 2, 1, 1, 1, 2, 2, 1))
    assert network.table("load_by_country").totals == (("Total", "", 4, 2, 4, 4, 4, 4, 3),)


def test_months_are_clipped_to_a_period_that_starts_and_ends_mid_month(seeded: Engine) -> None:
    period = Period(date(2026, 3, 2), date(2026, 4, 5))
    assert [label for label, _s, _e in months_of(period)] == ["2026-03", "2026-04"]
    load = build_network_report(seeded, period).table("load_by_defender")
    # March from 03-02: C1 (closed 03-01) is gone. April to 04-05: C5 (assigned 04-06) not yet.
    assert load.rows == (("DEF-GT-1", "GT", 1, 1, 1), ("DEF-MX-1", "MX", 1, 1, 1), ("DEF-SV-1", "SV", 1, 1, 1))


def test_an_empty_period_gives_empty_tables_with_a_note(seeded: Engine) -> None:
    empty = build_network_report(seeded, Period(date(2024, 1, 1), date(2024, 12, 31)))
    assert [t.key for t in empty.tables] == [
        "network_defenders", "network_countries", "fees_by_defender", "fees_by_country", "evaluations",
        "evaluations_by_country", "load_by_defender", "load_by_country"]
    for table in empty.tables:
        assert table.rows == () and table.totals == (), table.key
        assert table.notes[0].startswith("No "), table.key
    assert "<img" not in export_html.render(empty)


def test_with_names_the_defenders_name_sits_beside_the_id(seeded: Engine) -> None:
    named = build_network_report(seeded, PERIOD, sealer=SEALER)
    rows = named.table("network_defenders").records()
    assert {r["defender_id"]: r["defender_name"] for r in rows} == {
        "DEF-GT-1": NAMES["DEF-GT-1"], "DEF-MX-1": NAMES["DEF-MX-1"], "DEF-MX-9": None,  # not on the roster
        "DEF-SV-1": NAMES["DEF-SV-1"]}
    assert named.table("load_by_defender").keys[:3] == ("defender_id", "defender_name", "country")
    assert named.table("load_by_defender").rows[0][:3] == ("DEF-GT-1", NAMES["DEF-GT-1"], "GT")


# -- the formats ---------------------------------------------------------------------------------------------

DEFENDER_NAMES = tuple(NAMES[k] for k in ("DEF-MX-1", "DEF-GT-1", "DEF-SV-1"))


def sealed_values(engine: Engine) -> list[str]:
    """Every sealed value in the record (names, client data, the offers' reasons)."""
    found: list[str] = []
    with engine.connect() as c:
        for table in m.Base.metadata.sorted_tables:
            for column in (col for col in table.columns if col.name.endswith("_sealed")):
                found += [v for v in c.execute(select(column).where(column.is_not(None))).scalars()]
    assert len(found) > 30  # the seed's and the offers': the scan looked at real data
    return found


def _assert_private(text: str, engine: Engine, *, names: bool) -> None:
    for value in sealed_values(engine):
        assert value not in text
    assert CLIENT not in text and "Too far away" not in text
    for name in DEFENDER_NAMES:
        assert (name in text) is names, name


def test_csv_zip_xlsx_and_html_hold_the_network_tables(network: Report, seeded: Engine, tmp_path: Path) -> None:
    files = _csv_files(export_csv.write(network, tmp_path / "network.zip"))
    assert sorted(files) == [f"{i:02d}-{t.key}.csv" for i, t in enumerate(network.tables, 1)]
    load = files["07-load_by_defender.csv"]
    assert load[0] == ["defender_id", "country", "peak", *MONTHS]
    assert load[1] == ["DEF-GT-1", "GT", "2", "0", "1", "1", "1", "2", "2"] and load[-1][0] == "Total"
    assert ["DEF-SV-1", "SV", "1", "1", "0", "2", "5.5", "48.0", "2", "8.3", "1", "123.45"] in \
        files["01-network_defenders.csv"]

    book = openpyxl.load_workbook(export_xlsx.write(network, tmp_path / "network.xlsx"))
    assert book.sheetnames == ["Defenders", "Countries", "Fees paid per Defender", "Fees paid per country",
                               "Evaluations per Defender", "Evaluations per country", "Load per Defender",
                               "Load per country"]
    assert [c.value for c in book["Load per country"][2]] == ["GT", "Guatemala", 2, 0, 1, 1, 1, 2, 2]
    assert book["Defenders"]["G2"].value == 26 and book["Defenders"]["G2"].number_format == "#,##0.0"

    html = export_html.write(network, tmp_path / "network.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/png;base64,') == 4  # offers, fees, load heat map, load per country
    assert "<script" not in html.lower() and "//" not in re.sub(r"data:[^\"]+", "", html)
    assert "<title>Defender network 2026-01-01 to 2026-06-30</title>" in html
    for t_ in network.tables:
        assert f"<h2>{t_.title}</h2>" in html, t_.title
    with zipfile.ZipFile(tmp_path / "network.zip") as archive:
        everything = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    for text in (html, everything):
        _assert_private(text, seeded, names=False)


def test_html_with_names_is_marked_staff_only(seeded: Engine, tmp_path: Path) -> None:
    named = build_network_report(seeded, PERIOD, sealer=SEALER)
    html = export_html.write(named, tmp_path / "named.html").read_text(encoding="utf-8")
    assert "Contains Defender names: staff only" in html
    _assert_private(html, seeded, names=True)


# -- the command ---------------------------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    report_command.register(app)

    @app.callback()
    def _root() -> None:
        pass

    monkeypatch.chdir(tmp_path)
    return app


def test_report_network_command_end_to_end(cli: typer.Typer, seeded: Engine, records_url: str,
                                           tmp_path: Path) -> None:
    runner, env = CliRunner(), _env(records_url, tmp_path)
    period = ["--from", "2026-01-01", "--to", "2026-06-30"]
    shown = runner.invoke(cli, ["report", "--network", *period], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Defender network 2026-01-01 to 2026-06-30" in shown.stdout
    assert "Open cases per Defender per month" in shown.stdout and "2026-06" in shown.stdout
    assert "Cases by country" not in shown.stdout and shown.stderr == ""
    _assert_private(shown.stdout, seeded, names=False)

    zipped = runner.invoke(cli, ["report", "--network", *period, "-f", "csv"], env=env)
    assert zipped.exit_code == 0, zipped.output
    default = tmp_path / "casefac-network-2026-01-01_2026-06-30.zip"
    assert "network report" in zipped.stdout and len(_csv_files(default)) == 8

    page = runner.invoke(cli, ["report", "--network", *period, "-f", "html", "-o", "n.html", "--with-names"],
                         env=env)
    assert page.exit_code == 0, page.output
    html = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert NAMES["DEF-MX-1"] in html and html.count("data:image/png;base64,") == 4
