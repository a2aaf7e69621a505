"""The roster in the record, on both backends: import, history, away periods, capacity, sealing, migration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from pydantic import ValidationError
from sqlalchemy import Engine, MetaData, inspect, select, text

from casefac.keyring import KeyRing
from casefac.roster import parse_roster
from casefac.settings import PACKAGE_DIR
from records import models as m
from records.database import (
    _alembic_config,
    create_records_engine,
    current_revision,
    head_revision,
    migrate,
)
from records.roster_store import DefenderExists, RosterStore, RosterValueError, UnknownDefender, open_case_counts
from records.sealing import Sealer
from records.store import RecordStore
from tests.records.samples import closed_record

SEALER = Sealer(KeyRing.generate("roster-test"))
SHIPPED = parse_roster((PACKAGE_DIR / "data" / "roster.yaml").read_text(encoding="utf-8")).defenders


@pytest.fixture
def store(records_engine: Engine) -> RosterStore:
    return RosterStore(records_engine, SEALER)


def test_importing_the_shipped_roster_twice_is_importing_it_once(store: RosterStore) -> None:
    assert store.is_empty()
    first = store.import_roster(SHIPPED, by="coord.ana")
    assert len(first.added) == 13 and first.updated == [] and first.unchanged == []
    assert not store.is_empty()
    history = sum(len(store.changes(d.id)) for d in SHIPPED)
    again = store.import_roster(SHIPPED, by="coord.ben")
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 13
    assert sum(len(store.changes(d.id)) for d in SHIPPED) == history == 13
    assert {d.id: d for d in store.list()} == {d.id: d for d in SHIPPED}
    assert {d.id for d in store.list(country="HN")} == {"DEF-HN-001", "DEF-HN-002"}
    assert "DEF-MX-003" not in {d.id for d in store.list(include_inactive=False)}
    assert "DEF-MX-003" in {d.id for d in store.list(country="MX")}


def test_an_import_updates_only_what_changed(store: RosterStore) -> None:
    store.import_roster(SHIPPED, by="coord.ana")
    edited = [d.model_copy(update={"capacity": 2}) if d.id == "DEF-GT-002" else d for d in SHIPPED]
    result = store.import_roster(edited, by="coord.ben")
    assert result.updated == ["DEF-GT-002"] and len(result.unchanged) == 12
    last = store.changes("DEF-GT-002")[-1]
    assert (last.by, last.action, last.fields) == ("coord.ben", "import", ["capacity"])
    assert last.detail == {"capacity": {"before": None, "after": 2}}


def test_update_records_who_changed_which_field(store: RosterStore) -> None:
    store.import_roster(SHIPPED, by="coord.ana")
    changed = store.update("DEF-GT-001", {"capacity": 3, "regions": ["Alta Verapaz", "Petén"],
                                          "email": "ana.new@defensores.example.org"}, by="coord.ben")
    assert changed == ["email", "regions", "capacity"]
    got = store.get("DEF-GT-001")
    assert got is not None and got.capacity == 3 and got.regions == ["Alta Verapaz", "Petén"]
    assert got.email == "ana.new@defensores.example.org" and got.open_cases == 0
    change = store.changes("DEF-GT-001")[-1]
    assert (change.by, change.action, change.fields) == ("coord.ben", "update", changed)
    assert change.detail["email"] == {"before": "ana.perez@defensores.example.org",
                                      "after": "ana.new@defensores.example.org"}
    assert store.update("DEF-GT-001", {"capacity": 3}, by="coord.ben") == []
    assert len(store.changes("DEF-GT-001")) == 2


def test_update_validates_through_the_defender_model(store: RosterStore) -> None:
    store.import_roster(SHIPPED, by="coord.ana")
    with pytest.raises(ValidationError) as caught:
        store.update("DEF-GT-001", {"capacity": 0}, by="coord.ben")
    assert caught.value.errors()[0]["loc"] == ("capacity",)
    with pytest.raises(RosterValueError, match=r"^regions"):
        store.update("DEF-GT-001", {"regions": ["Alta Verapaz, Petén"]}, by="coord.ben")
    with pytest.raises(RosterValueError, match=r"^id"):
        store.update("DEF-GT-001", {"id": "DEF-GT-009"}, by="coord.ben")
    with pytest.raises(UnknownDefender):
        store.update("DEF-XX-404", {"capacity": 2}, by="coord.ben")
    with pytest.raises(DefenderExists):
        store.add(SHIPPED[0], by="coord.ben")
    assert len(store.changes("DEF-GT-001")) == 1


def test_deactivate_and_away_are_kept_with_reasons(store: RosterStore) -> None:
    store.add(SHIPPED[0], by="coord.ana")
    key = SHIPPED[0].id
    assert store.deactivate(key, by="coord.ben") is True
    assert store.deactivate(key, by="coord.ben") is False
    store.away(key, date(2026, 12, 20), date(2027, 1, 6), "family in Oaxaca", by="coord.ben")
    store.away(key, date(2027, 3, 1), date(2027, 3, 2), None, by="coord.ben")
    got = store.get(key)
    assert got is not None and not got.active
    assert [(p.starts_on, p.ends_on) for p in got.away] == [(date(2026, 12, 20), date(2027, 1, 6)),
                                                            (date(2027, 3, 1), date(2027, 3, 2))]
    assert [e.reason for e in store.away_periods(key)] == ["family in Oaxaca", None]
    assert [c.action for c in store.changes(key)] == ["add", "deactivate", "away", "away"]
    with pytest.raises(ValidationError):
        store.away(key, date(2027, 1, 6), date(2026, 12, 20), None, by="coord.ben")
    assert store.clear_away(key, date(2027, 3, 1), by="coord.ben") == 1
    assert [e.reason for e in store.away_periods(key)] == ["family in Oaxaca"]
    assert store.clear_away(key, by="coord.ben") == 1 and store.get(key).away == []  # type: ignore[union-attr]
    assert store.clear_away(key, by="coord.ben") == 0


def test_names_emails_and_reasons_are_sealed(store: RosterStore, records_engine: Engine) -> None:
    store.import_roster(SHIPPED, by="coord.ana")
    store.away("DEF-NI-001", date(2026, 12, 20), date(2027, 1, 6), "surgery at Hospital Vivian Pellas",
               by="coord.ana")
    store.update("DEF-NI-001", {"name": "Ernesto Renamed López"}, by="coord.ana")
    secrets = [d.name for d in SHIPPED] + [d.email for d in SHIPPED]
    secrets += ["surgery at Hospital Vivian Pellas", "Ernesto Renamed"]
    dumped = []
    with records_engine.connect() as connection:
        for table in inspect(records_engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dumped.extend(str(value) for value in row)
    assert any(value == "DEF-NI-001" for value in dumped)  # the dump did read the roster
    found = [s for s in secrets if any(s in value for value in dumped)]
    assert found == []
    if records_engine.dialect.name == "sqlite":
        records_engine.dispose()
        raw = b"".join(p.read_bytes() for p in Path(records_engine.url.database or "").parent.glob("records.sqlite3*"))
        assert b"DEF-NI-001" in raw
        assert [s for s in secrets if s.encode() in raw] == []


def test_a_sealed_name_moved_to_another_defender_does_not_open(store: RosterStore, records_engine: Engine) -> None:
    store.import_roster(SHIPPED[:2], by="coord.ana")
    with records_engine.begin() as connection:
        sealed = connection.scalar(select(m.RosterDefenderRow.name_sealed)
                                   .where(m.RosterDefenderRow.defender_id == SHIPPED[0].id))
        connection.execute(m.RosterDefenderRow.__table__.update()
                           .where(m.RosterDefenderRow.defender_id == SHIPPED[1].id).values(name_sealed=sealed))
    with pytest.raises(ValueError, match="failed authentication"):
        store.get(SHIPPED[1].id)


def test_open_case_counts_count_cases_not_closed(records_engine: Engine) -> None:
    RecordStore(records_engine, SEALER).write(closed_record(case_id="JIM-2026-0042"))
    cases = m.CaseRow.__table__
    with records_engine.begin() as connection:
        closed = dict(connection.execute(select(cases)).one()._mapping)
        assert closed["closed_at"] is not None and closed["defender_id"]
        for case_id, defender_id in (("JIM-2026-0050", closed["defender_id"]), ("JIM-2026-0051", closed["defender_id"]),
                                     ("JIM-2026-0052", None)):
            connection.execute(cases.insert().values({**closed, "case_id": case_id, "closed_at": None,
                                                      "defender_id": defender_id}))
    assert open_case_counts(records_engine) == {closed["defender_id"]: 2}


def _case_at_0001(engine: Engine, scratch: Path) -> dict[str, int]:
    """A case as a 0001 database holds it: written by today's store elsewhere, copied column by column.

    The store writes today's columns, which 0001 may lack, so it cannot write into 0001 itself.
    """
    source = create_records_engine(f"sqlite:///{scratch / 'head.sqlite3'}")
    try:
        migrate(source)
        RecordStore(source, SEALER).write(closed_record())
        old = MetaData()
        old.reflect(engine)
        counts = {}
        with source.connect() as reading, engine.begin() as writing:
            for table in old.sorted_tables:
                if table.name == "alembic_version":
                    continue
                typed = m.Base.metadata.tables[table.name]  # today's types read SQLite's dates back as dates
                rows = [dict(r._mapping) for r in reading.execute(select(*(typed.c[c.name] for c in table.columns)))]
                if rows:
                    writing.execute(table.insert(), rows)
                counts[table.name] = len(rows)
        return counts
    finally:
        source.dispose()


def test_a_database_at_0001_upgrades_and_keeps_its_cases(records_url: str, tmp_path: Path) -> None:
    engine = create_records_engine(records_url)
    try:
        command.upgrade(_alembic_config(engine), "0001")
        assert current_revision(engine) == "0001"
        assert "roster_defenders" not in inspect(engine).get_table_names()
        counts = _case_at_0001(engine, tmp_path)
        assert counts["cases"] == 1 and counts["stage_changes"] > 1
        assert migrate(engine) == ("0001", head_revision())
        assert {"roster_defenders", "roster_away", "roster_changes"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.scalars(select(m.CaseRow.case_id)).all() == [closed_record().case_id]
            kept = {t: connection.scalar(text(f'SELECT COUNT(*) FROM "{t}"')) for t in counts}
        assert kept == counts
        assert RosterStore(engine, SEALER).is_empty()
    finally:
        engine.dispose()
