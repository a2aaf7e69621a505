"""A new Advocate entity is seeded from the case record (review M4 scenario 3): ops terminate a stuck entity,
the next case starts a fresh one, and an Advocate the record shows as signed is not asked to sign again."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from activities.agreement import record_lookup
from casefac.keyring import KeyRing
from records.database import create_records_engine, migrate
from records.sealing import Sealer
from records.store import RecordStore
from tests.records.samples import at, closed_record


@dataclass
class _Records:
    engine: Engine


def test_the_record_lookup_finds_the_signed_agreement(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    engine = create_records_engine(url)
    migrate(engine)
    RecordStore(engine, Sealer(KeyRing.generate("k1"))).write(closed_record())
    engine.dispose()
    lookup = record_lookup(lambda: _Records(create_records_engine(url)))
    assert lookup("ADV-0042") == ("agr-1", at(2.5))
    assert lookup("ADV-9999") is None
