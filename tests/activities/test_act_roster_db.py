"""LOAD_ROSTER with the case record: the record's roster once imported, the file before, open cases counted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.roster import RosterActivities
from casefac.activity_io import LoadRoster, RosterSnapshot
from casefac.keyring import KeyRing
from casefac.roster import parse_roster
from casefac.settings import PACKAGE_DIR
from records import models as m
from records.connect import Records
from records.database import create_records_engine, migrate
from records.roster_store import RosterStore
from records.sealing import Sealer
from records.store import RecordStore
from tests.records.samples import closed_record

SAMPLE = PACKAGE_DIR / "data" / "roster.yaml"
#: A PostgreSQL port nothing listens on: connecting is refused at once.
NOBODY_LISTENS = "postgresql+psycopg://casefac:x@127.0.0.1:9/casefac?connect_timeout=2"
SHIPPED = parse_roster(SAMPLE.read_text(encoding="utf-8")).defenders


@pytest.fixture
def records(tmp_path: Path) -> Iterator[Records]:
    engine = create_records_engine(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    migrate(engine)
    opened = Records(engine, Sealer(KeyRing.generate("roster-activity")))
    yield opened
    opened.close()


def _open_case_for(records: Records, defender_id: str) -> None:
    """The sample's closed case, reopened and handed to ``defender_id`` (an open case of theirs)."""
    RecordStore(records.engine, records.sealer).write(closed_record())
    with records.engine.begin() as connection:
        if connection.scalar(select(m.DefenderRow.defender_id).where(m.DefenderRow.defender_id == defender_id)) is None:
            connection.execute(m.DefenderRow.__table__.insert().values(
                defender_id=defender_id, country="GT", organization=None, language="es", name_sealed="x"))
        connection.execute(m.CaseRow.__table__.update().values(closed_at=None, defender_id=defender_id))
        assert connection.scalar(select(m.CaseRow.defender_id)) == defender_id


async def load(activities: RosterActivities, country: str | None) -> RosterSnapshot:
    result: RosterSnapshot = await ActivityEnvironment().run(activities.load_roster,
                                                             LoadRoster(country=country))  # type: ignore[arg-type]
    return result


async def test_an_empty_roster_table_reads_the_file_and_counts_open_cases(records: Records, tmp_path: Path) -> None:
    _open_case_for(records, "DEF-GT-002")
    snapshot = await load(RosterActivities(SAMPLE, lambda: records), "GT")
    assert [d.id for d in snapshot.defenders] == ["DEF-GT-001", "DEF-GT-002", "DEF-GT-003"]
    assert {d.id: d.open_cases for d in snapshot.defenders} == {"DEF-GT-001": 0, "DEF-GT-002": 1, "DEF-GT-003": 0}


async def test_the_record_roster_wins_over_the_file(records: Records, tmp_path: Path) -> None:
    store = RosterStore(records.engine, records.sealer)
    store.import_roster(SHIPPED, by="coord.ana")
    store.update("DEF-GT-001", {"capacity": 2, "regions": ["Alta Verapaz"]}, by="coord.ana")
    store.deactivate("DEF-GT-003", by="coord.ana")
    _open_case_for(records, "DEF-GT-001")
    file = tmp_path / "roster.yaml"
    file.write_text("defenders: []\n", encoding="utf-8")  # a file that disagrees: it must not be read
    snapshot = await load(RosterActivities(file, lambda: records), "GT")
    by_id = {d.id: d for d in snapshot.defenders}
    assert set(by_id) == {"DEF-GT-001", "DEF-GT-002", "DEF-GT-003"}  # inactive ones too, as from the file
    assert by_id["DEF-GT-001"].capacity == 2 and by_id["DEF-GT-001"].regions == ["Alta Verapaz"]
    assert by_id["DEF-GT-001"].open_cases == 1 and by_id["DEF-GT-002"].open_cases == 0
    assert by_id["DEF-GT-003"].active is False
    assert by_id["DEF-GT-001"].name == "Ana Lucía Pérez Xol"


async def test_a_record_that_held_the_roster_and_went_away_is_retried_not_replaced(records: Records) -> None:
    RosterStore(records.engine, records.sealer).import_roster(SHIPPED, by="coord.ana")
    activities = RosterActivities(SAMPLE, lambda: records)
    assert len((await load(activities, "HN")).defenders) == 2
    activities._records = Records(create_records_engine(NOBODY_LISTENS), records.sealer)  # the database went away
    with pytest.raises(ApplicationError) as caught:
        await load(activities, "HN")
    assert caught.value.type == "RecordsUnavailable" and not caught.value.non_retryable
    assert "unreachable" in caught.value.message


async def test_a_record_never_reached_leaves_the_file_in_charge(tmp_path: Path) -> None:
    def unreachable() -> Records:
        return Records(create_records_engine(NOBODY_LISTENS), Sealer(KeyRing.generate("k")))

    snapshot = await load(RosterActivities(SAMPLE, unreachable), "NI")
    assert {d.id for d in snapshot.defenders} == {"DEF-NI-001", "DEF-NI-002"}
    assert all(d.open_cases == 0 for d in snapshot.defenders)
