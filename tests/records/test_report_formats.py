"""The report's formats (CSV zip, XLSX, one self-contained HTML file), what they may and may not contain, and
``casefac report`` end to end through Typer's runner. Runs on SQLite and PostgreSQL.

The record is the hand-built one of ``test_report_figures`` (known rows, known names), plus a case written
by the real :class:`records.store.RecordStore`, so names are opened exactly as the store seals them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import typer
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from records import models as m
from records.database import create_records_engine
from records.reports import export_csv, export_html, export_xlsx
from records.reports.build import build_report
from records.reports.period import Period
from records.reports.tables import Report
from records.store import RecordStore
from starters.commands import report as report_command
from tests.records.samples import SECRETS, closed_record
from tests.records.test_report_figures import CLIENT, NAMES, PERIOD, RING, SEALER, seed

#: The store-written sample case: its Defender and Advocate, and the client data that must never show.
STORE_NAMES = ("Ana Lucía Pérez", "Dana Whitfield")
CLIENT_SECRETS = tuple(s for s in SECRETS if s not in STORE_NAMES)
YEAR = Period(PERIOD.start, PERIOD.start.replace(month=12, day=31))


@pytest.fixture
def seeded(records_engine: Engine) -> Iterator[Engine]:
    seed(records_engine)
    RecordStore(records_engine, SEALER).write(closed_record(case_id="JIM-2026-0042"))
    yield records_engine


@pytest.fixture
def plain(seeded: Engine) -> Report:
    return build_report(seeded, YEAR)


@pytest.fixture
def named(seeded: Engine) -> Report:
    return build_report(seeded, YEAR, sealer=SEALER)


def sealed_values(engine: Engine) -> list[str]:
    """Every sealed value in the record, from every ``*_sealed`` column of every table."""
    found: list[str] = []
    with engine.connect() as c:
        for table in m.Base.metadata.sorted_tables:
            for column in (col for col in table.columns if col.name.endswith("_sealed")):
                found += [v for v in c.execute(select(column).where(column.is_not(None))).scalars()]
    assert len(found) > 40  # the seed's and the store's: the scan looked at real data
    return found


def _assert_private(text: str, engine: Engine, *, names: bool) -> None:
    for value in sealed_values(engine):
        assert value not in text
    assert "v1:k-figures:" not in text  # no fragment of a sealed value either
    assert CLIENT not in text
    for secret in CLIENT_SECRETS:
        assert secret not in text, secret
    for name in (*NAMES.values(), *STORE_NAMES):
        assert (name in text) is names, name


# -- CSV -------------------------------------------------------------------------------------------------------

def _csv_files(path: Path) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(path) as archive:
        return {Path(name).name: list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
                for name in archive.namelist() if name.endswith(".csv")}


def test_csv_zip_holds_one_csv_per_table_with_its_header_and_rows(plain: Report, seeded: Engine,
                                                                  tmp_path: Path) -> None:
    path = export_csv.write(plain, tmp_path / "report.zip")
    files = _csv_files(path)
    assert sorted(files) == [f"{i:02d}-{t.key}.csv" for i, t in enumerate(plain.tables, 1)]
    assert len(files) == 13
    country = files["01-cases_by_country.csv"]
    assert country[0] == ["country", "country_name", "opened", "closed", "open"]
    # Over 2026: the seed's six 2026 openings, its five 2026 closings (C6 closed in July), C3 and C8 open;
    # plus the store's sample (GT, opened 2026-03-02, closed 2026-04-01).
    assert ["MX", "Mexico", "2", "2", "0"] in country
    assert ["GT", "Guatemala", "4", "2", "2"] in country
    assert country[-1] == ["Total", "", "7", "6", "2"]
    fees = files["07-fees_by_defender.csv"]
    assert fees[0] == ["country", "defender_id", "currency", "payouts", "amount", "amount_usd", "without_usd"]
    assert ["MX", "DEF-MX-1", "MXN", "2", "12000.00", "580.00", "1"] in fees
    with zipfile.ZipFile(path) as archive:
        everything = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
        assert any(n.endswith("README.txt") for n in archive.namelist())
    _assert_private(everything, seeded, names=False)


def test_csv_into_a_directory(plain: Report, tmp_path: Path) -> None:
    out = export_csv.write(plain, tmp_path / "csv")
    assert len(list(out.glob("*.csv"))) == 13 and (out / "README.txt").is_file()
    with pytest.raises(ValueError, match=r"\.zip file or a directory"):
        export_csv.write(plain, tmp_path / "report.csv")


# -- XLSX ------------------------------------------------------------------------------------------------------

def test_xlsx_has_one_sheet_per_table_with_numbers_as_numbers(plain: Report, seeded: Engine, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(export_xlsx.write(plain, tmp_path / "report.xlsx"))
    assert book.sheetnames == [t.short for t in plain.tables]
    sheet = book["Cases by country"]
    assert [c.value for c in sheet[1]] == ["Code", "Country", "Opened", "Closed", "Open at end"]
    assert all(c.font.bold for c in sheet[1])
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert ["MX", "Mexico", 2, 2, 0] in rows
    assert ["Total", None, 7, 6, 2] in rows
    fees = book["Fees paid per Defender"]
    mx = next(row for row in fees.iter_rows(min_row=2) if row[1].value == "DEF-MX-1" and row[2].value == "MXN")
    assert isinstance(mx[4].value, int | float) and mx[4].value == 12000 and mx[4].number_format == "#,##0.00"
    assert mx[5].value == 580 and isinstance(mx[3].value, int)
    hours = book["Defender hours"]
    sample = next(row for row in hours.iter_rows(min_row=2) if row[0].value == "DEF-GT-001")
    assert sample[3].value == 5.0 and sample[3].number_format == "#,##0.0"  # the sample's 3.5 + 1.5 hours
    assert book["Evaluations per Defender"]["J1"].value == "Would work again"
    assert book["Evaluations per Defender"]["J2"].number_format == "0.0%"
    assert sheet.column_dimensions["B"].width >= len("El Salvador")
    text = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    _assert_private(text, seeded, names=False)


# -- HTML ------------------------------------------------------------------------------------------------------

def test_html_is_one_self_contained_file_with_charts_and_every_table(plain: Report, seeded: Engine,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    path = export_html.write(plain, tmp_path / "out" / "report.html")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.html"]
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "//" not in re.sub(r"data:[^\"]+", "", html)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert html.count('<img src="data:image/png;base64,') == 5
    for t in plain.tables:
        assert f"<h2>{t.title}</h2>" in html, t.title
    assert 'name="viewport"' in html
    _assert_private(html, seeded, names=False)


def test_an_empty_period_renders_every_format_with_notes(seeded: Engine, tmp_path: Path) -> None:
    empty = build_report(seeded, Period(PERIOD.start.replace(year=2020), PERIOD.end.replace(year=2020)))
    html = export_html.write(empty, tmp_path / "empty.html").read_text(encoding="utf-8")
    assert "No cases opened, closed or open in the period." in html and "<img" not in html
    book = openpyxl.load_workbook(export_xlsx.write(empty, tmp_path / "empty.xlsx"))
    assert len(book.sheetnames) == 13 and book["Days per stage"]["A3"].value == "No stage was entered and left " \
                                                                               "in the period."
    assert all(len(rows) == 1 for rows in _csv_files(export_csv.write(empty, tmp_path / "empty.zip")).values())


def test_with_names_shows_defender_and_advocate_names_and_still_no_client_data(named: Report, seeded: Engine,
                                                                             tmp_path: Path) -> None:
    html = export_html.write(named, tmp_path / "named.html").read_text(encoding="utf-8")
    _assert_private(html, seeded, names=True)
    assert "staff only" in html
    hours = named.table("defender_hours").records()
    assert {r["defender_id"]: r["defender_name"] for r in hours} == {
        "DEF-GT-001": "Ana Lucía Pérez",  # sealed by the store
        "DEF-GT-1": "Baltazar Xol Caal", "DEF-MX-1": "Ximena Torres Luna", "DEF-SV-1": "Marisol Ayala Cruz"}
    advocates = {r["advocate_id"]: r["advocate_name"] for r in named.table("invoices_by_advocate").records()}
    assert advocates["ADV-A1"] == "Hannah Brooks" and advocates["ADV-0042"] == "Dana Whitfield"
    book = openpyxl.load_workbook(export_xlsx.write(named, tmp_path / "named.xlsx"))
    text = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    _assert_private(text, seeded, names=True)
    with zipfile.ZipFile(export_csv.write(named, tmp_path / "named.zip")) as archive:
        _assert_private("".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist()), seeded, names=True)


# -- the command -----------------------------------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    report_command.register(app)

    @app.callback()
    def _root() -> None:  # a group, as in starters.cli, so the command is called by name
        pass

    monkeypatch.chdir(tmp_path)
    yield app


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    ring_file = tmp_path / "keyring.json"
    if not ring_file.exists():
        RING.save(ring_file)
    return {"CASEFAC_RECORDS__URL": url, "CASEFAC_KEYRING_FILE": str(ring_file),
            "CASEFAC_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


def test_report_command_in_every_format(cli: typer.Typer, seeded: Engine, records_url: str, tmp_path: Path) -> None:
    runner, env = CliRunner(), _env(records_url, tmp_path)
    shown = runner.invoke(cli, ["report", "--from", "2026-01-01", "--to", "2026-06-30"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Cases by country" in shown.stdout and "Guatemala" in shown.stdout and "Evaluations per Defender" in \
        shown.stdout
    assert shown.stderr == ""  # no progress bar off a terminal
    _assert_private(shown.stdout, seeded, names=False)

    zipped = runner.invoke(cli, ["report", "--from", "2026-01-01", "--to", "2026-06-30", "--format", "csv"], env=env)
    assert zipped.exit_code == 0, zipped.output
    default = tmp_path / "casefac-report-2026-01-01_2026-06-30.zip"
    assert default.is_file() and len(_csv_files(default)) == 13
    assert ["MX", "Mexico", "2", "2", "0"] in _csv_files(default)["01-cases_by_country.csv"]

    out = tmp_path / "named.xlsx"
    named = runner.invoke(cli, ["report", "--from", "2026-01-01", "-f", "xlsx", "-o", str(out), "--with-names"],
                          env=env)
    assert named.exit_code == 0, named.output
    assert "with names" in named.stdout
    book = openpyxl.load_workbook(out)
    assert "Ximena Torres Luna" in [c.value for row in book["Defender hours"].iter_rows() for c in row]

    page = runner.invoke(cli, ["report", "--to", "2026-12-31", "--format", "HTML", "-o", "r.html"], env=env)
    assert page.exit_code == 0, page.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Case Facilitations 2026-01-01 to 2026-12-31" in html and "data:image/png;base64," in html


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13-01"], "--from '2026-13-01' is not a date"),
    (["--from", "2026-07-01", "--to", "2026-06-30"], "--from 2026-07-01 is after --to 2026-06-30"),
    (["--format", "pdf"], "unknown format 'pdf'"),
    (["-o", "x.txt"], "-o/--output is for --format csv, xlsx or html"),
    (["-f", "csv", "-o", "x.csv"], "CSV goes into a .zip file or a directory"),
])
def test_bad_input_is_one_line_and_exit_2(cli: typer.Typer, records_url: str, tmp_path: Path, args: list[str],
                                          message: str) -> None:
    ran = CliRunner().invoke(cli, ["report", *args], env=_env(records_url, tmp_path))
    assert ran.exit_code == 2, ran.output
    assert message in ran.stderr and ran.stderr.count("\n") == 1 and "Traceback" not in ran.output


def test_a_record_behind_the_schema_is_refused_with_the_fix(cli: typer.Typer, records_url: str,
                                                            tmp_path: Path) -> None:
    empty = create_records_engine(records_url)  # a new, empty database (for SQLite: the file now exists)
    empty.connect().close()
    empty.dispose()
    ran = CliRunner().invoke(cli, ["report"], env=_env(records_url, tmp_path))
    assert ran.exit_code == 1, ran.output
    assert "has no schema yet" in ran.stderr and "casefac records migrate" in ran.stderr
    assert ran.stderr.count("\n") == 1


def test_no_record_file_and_no_key_ring_are_one_line_each(cli: typer.Typer, seeded: Engine, records_url: str,
                                                          tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["report"], env=_env(f"sqlite:///{tmp_path / 'nowhere.sqlite3'}", tmp_path))
    assert missing.exit_code == 1 and "there is no case record at" in missing.stderr
    assert not (tmp_path / "nowhere.sqlite3").exists()  # a report never creates a record
    env = {**_env(records_url, tmp_path), "CASEFAC_KEYRING_FILE": str(tmp_path / "none.json")}
    no_ring = CliRunner().invoke(cli, ["report", "--with-names"], env=env)
    assert no_ring.exit_code == 1 and "--with-names needs the key ring" in no_ring.stderr
    assert no_ring.stderr.count("\n") == 1
