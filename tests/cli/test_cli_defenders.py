"""``casefac defenders``: the roster in the case record, from the command line (no Temporal needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from casefac.keyring import KeyRing
from casefac.roster import parse_roster
from casefac.settings import PACKAGE_DIR, Settings
from records.database import create_records_engine, migrate
from starters.commands import defenders as commands

SAMPLE = PACKAGE_DIR / "data" / "roster.yaml"
SHIPPED = parse_roster(SAMPLE.read_text(encoding="utf-8")).defenders


def _app() -> typer.Typer:
    """The group alone (``starters/cli.py`` registers it in the real app)."""
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """casefac"""

    commands.register(app)
    return app


APP = _app()


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@dataclass
class Shell:
    env: dict[str, str]
    tmp: Path

    def __call__(self, *args: str, staff: str | None = "coord.ana") -> Ran:
        env = {**self.env, **({"CASEFAC_STAFF_ID": staff} if staff else {})}
        result = CliRunner().invoke(APP, list(args), env=env, catch_exceptions=False)
        return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shell:
    monkeypatch.delenv("CASEFAC_STAFF_ID", raising=False)
    KeyRing.generate("defenders-cli").save(tmp_path / "keyring.json")
    env = {"CASEFAC_DATA_DIR": str(tmp_path / "data"), "CASEFAC_KEYRING_FILE": str(tmp_path / "keyring.json"),
           "CASEFAC_ROSTER_FILE": str(SAMPLE)}
    monkeypatch.setenv("CASEFAC_DATA_DIR", env["CASEFAC_DATA_DIR"])
    engine = create_records_engine(Settings().records_url)
    migrate(engine)
    engine.dispose()
    return Shell(env, tmp_path)


def test_an_empty_record_lists_the_file_and_says_how_to_import_it(cli: Shell) -> None:
    ran = cli("defenders", "--country", "GT")
    assert ran.code == 0 and "DEF-GT-001" in ran.out and "DEF-MX-001" not in ran.out
    assert "holds no Defender yet" in ran.err and "casefac defenders import" in ran.err
    listed = json.loads(cli("defenders", "--json").out)
    assert len(listed) == 13 and {d["country"] for d in listed} == {"MX", "GT", "SV", "HN", "NI"}


def test_import_twice_then_list_from_the_record(cli: Shell) -> None:
    first = cli("defenders", "import", str(SAMPLE))
    assert first.code == 0 and "13 added, 0 updated, 0 unchanged" in first.out
    again = cli("defenders", "import", str(SAMPLE), staff="coord.ben")
    assert again.code == 0 and "0 added, 0 updated, 13 unchanged" in again.out
    ran = cli("defenders", "list", "--country", "GT")
    assert ran.code == 0 and "holds no Defender" not in ran.err
    assert "Locate the client" in ran.out and "locate_client" not in ran.out
    shown = json.loads(cli("defenders", "show", "DEF-GT-001", "--json").out)
    assert [(c["by"], c["action"]) for c in shown["history"]] == [("coord.ana", "import")]


def test_changes_need_who_is_acting(cli: Shell) -> None:
    ran = cli("defenders", "import", str(SAMPLE), staff=None)
    assert ran.code == 2 and "--as" in ran.err
    assert "holds no Defender yet" in cli("defenders").err


def test_update_away_deactivate_and_show(cli: Shell) -> None:
    cli("defenders", "import", str(SAMPLE))
    ran = cli("defenders", "update", "DEF-GT-001", "--capacity", "3", "--regions", "Alta Verapaz,Petén",
              "--services", "locate client, witness_affidavit", "--rate", "USD 45.00", "--as", "coord.ben")
    assert ran.code == 0 and ran.out.strip() == "DEF-GT-001: changed services, hourly_rate, regions, capacity"
    ran = cli("defenders", "away", "DEF-GT-001", "--from", "2026-12-20", "--to", "2027-01-06",
              "--reason", "Family leave in Cobán")
    assert ran.code == 0
    assert cli("defenders", "deactivate", "DEF-GT-003").out.strip() == "DEF-GT-003: deactivated"
    assert cli("defenders", "deactivate", "DEF-GT-003").out.strip() == "DEF-GT-003: already inactive"
    shown = cli("defenders", "show", "DEF-GT-001")
    assert shown.code == 0
    for expected in ("Alta Verapaz, Petén", "USD 45.00", "capacity      3", "2026-12-20 to 2027-01-06: Family leave "
                     "in Cobán", "coord.ben  update: services, hourly_rate, regions, capacity", "history (3)"):
        assert expected in shown.out, expected
    listed = {d["id"]: d for d in json.loads(cli("defenders", "--json").out)}
    assert listed["DEF-GT-001"]["capacity"] == 3 and listed["DEF-GT-003"]["active"] is False
    assert listed["DEF-GT-001"]["away"] == [{"starts_on": "2026-12-20", "ends_on": "2027-01-06"}]
    cleared = cli("defenders", "away", "DEF-GT-001", "--clear")
    assert cleared.code == 0 and "1 away period(s) removed" in cleared.out
    assert json.loads(cli("defenders", "show", "DEF-GT-001", "--json").out)["away"] == []


@pytest.mark.parametrize(("args", "field"), [
    (("update", "DEF-GT-001", "--capacity", "0"), "capacity"),
    (("update", "DEF-GT-001", "--capacity", "three"), "capacity"),
    (("update", "DEF-GT-001", "--services", "teleport"), "services"),
    (("update", "DEF-GT-001", "--email", "nope"), "email"),
    (("update", "DEF-GT-001", "--rate", "45"), "rate"),
    (("update", "DEF-GT-001", "--payout", "paypal"), "payout"),
    (("update", "DEF-GT-001", "--regions", "Petén;Alta Verapaz, Izabal"), None),  # a list: fine
    (("away", "DEF-GT-001", "--from", "2027-01-06", "--to", "2026-12-20"), "ends_on"),
    (("away", "DEF-GT-001", "--from", "20/12/2026", "--to", "2027-01-06"), "from"),
    (("defenders-none",), None),
])
def test_bad_input_is_one_line_naming_the_field(cli: Shell, args: tuple[str, ...], field: str | None) -> None:
    cli("defenders", "import", str(SAMPLE))
    if args == ("defenders-none",):
        assert cli("defenders", "update", "DEF-GT-001").code == 2
        return
    ran = cli("defenders", *args)
    if field is None:
        assert ran.code == 0, ran.err
        return
    assert ran.code == 2, ran.out
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}:"), ran.err


def test_an_unknown_defender_exits_1(cli: Shell) -> None:
    cli("defenders", "import", str(SAMPLE))
    ran = cli("defenders", "update", "DEF-XX-404", "--capacity", "2")
    assert ran.code == 1 and "no Defender DEF-XX-404" in ran.err
    assert cli("defenders", "show", "DEF-XX-404").code == 1


def test_add_by_flags_and_from_a_file(cli: Shell) -> None:
    cli("defenders", "import", str(SAMPLE))
    ran = cli("defenders", "add", "--id", "DEF-GT-004", "--name", "Rosa Ixcoy", "--email", "rosa@example.org",
              "--country", "gt", "--services", "locate client", "--rate", "USD 30.00", "--capacity", "2")
    assert ran.code == 0 and "added DEF-GT-004" in ran.out
    assert cli("defenders", "add", "--id", "DEF-GT-005", "--name", "X").err.startswith("error: email: required")
    file = cli.tmp / "one.yaml"
    file.write_text("id: DEF-HN-003\nname: Iris Zelaya\nemail: iris@example.org\ncountry: HN\n"
                    "services: [document_collection]\nhourly_rate: {amount: 3000, currency: USD}\n", encoding="utf-8")
    assert cli("defenders", "add", "-f", str(file)).code == 0
    again = cli("defenders", "add", "-f", str(file))
    assert again.code == 2 and again.err.startswith("error: id: the roster already holds DEF-HN-003")
    listed = {d["id"]: d for d in json.loads(cli("defenders", "--json").out)}
    assert len(listed) == 15 and listed["DEF-GT-004"]["capacity"] == 2


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_export_then_import_round_trips(cli: Shell, fmt: str) -> None:
    cli("defenders", "import", str(SAMPLE))
    cli("defenders", "update", "DEF-GT-001", "--capacity", "3", "--regions", "Alta Verapaz,Petén")
    cli("defenders", "away", "DEF-GT-001", "--from", "2026-12-20", "--to", "2027-01-06")
    before = json.loads(cli("defenders", "--json").out)
    out = cli.tmp / f"roster.{fmt}"
    assert cli("defenders", "export", "-o", str(out)).code == 0
    assert "DEF-GT-001" in out.read_text(encoding="utf-8")
    ran = cli("defenders", "import", str(out))
    assert ran.code == 0 and "0 added, 0 updated, 13 unchanged" in ran.out
    printed = cli("defenders", "export", "--format", fmt)
    assert printed.out == out.read_text(encoding="utf-8")
    # into a fresh record: the same Defenders come out
    other = cli.tmp / "other"
    fresh = Shell({**cli.env, "CASEFAC_DATA_DIR": str(other)}, cli.tmp)
    engine = create_records_engine(f"sqlite:///{(other / 'records.sqlite3').resolve()}")
    migrate(engine)
    engine.dispose()
    assert "13 added" in fresh("defenders", "import", str(out)).out
    assert json.loads(fresh("defenders", "--json").out) == before


def test_a_bad_csv_names_the_line_and_field(cli: Shell) -> None:
    csv_file = cli.tmp / "bad.csv"
    csv_file.write_text("id,name,email,country,services,hourly_rate\n"
                        "DEF-GT-010,Ok Name,ok@example.org,GT,locate client,USD 30.00\n"
                        "DEF-GT-011,Bad Mail,not-an-email,GT,locate client,USD 30.00\n", encoding="utf-8")
    ran = cli("defenders", "import", str(csv_file))
    assert ran.code == 2 and ran.err.startswith("error: line 3, email:") and "not-an-email" not in ran.err
    assert "holds no Defender yet" in cli("defenders").err  # nothing of the file was written


def test_the_table_fits_80_columns_and_keeps_ids_whole() -> None:
    console = Console(width=80, record=True, file=open("/dev/null", "w", encoding="utf-8"))  # noqa: SIM115
    console.print(commands.roster_table(SHIPPED, "13 Defender(s)", 80), soft_wrap=False)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "active" in lines[1]  # no column was cut off
    for d in SHIPPED:
        assert any(line.startswith(d.id + " ") for line in lines), d.id
    assert any("Facilitate communication" in line for line in lines)


def test_without_a_key_ring_the_file_is_listed(cli: Shell) -> None:
    (cli.tmp / "keyring.json").unlink()
    ran = cli("defenders", "--country", "HN")
    assert ran.code == 0 and "DEF-HN-001" in ran.out and "no key ring" in ran.err
    assert cli("defenders", "import", str(SAMPLE)).code == 1  # changing needs the record
