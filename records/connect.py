"""The record as each process opens it from settings: one engine, and a sealer from the key ring."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from casefac.keyring import KeyRing
from casefac.settings import Settings
from records.database import create_records_engine
from records.reader import RecordReader
from records.sealing import Sealer
from records.store import RecordStore


@dataclass
class Records:
    engine: Engine
    sealer: Sealer

    @classmethod
    def from_settings(cls, settings: Settings, keyring: KeyRing | None = None) -> Records:
        ring = keyring or KeyRing.load(settings.keyring_path)
        return cls(create_records_engine(settings.records_url), Sealer(ring))

    @cached_property
    def store(self) -> RecordStore:
        return RecordStore(self.engine, self.sealer)

    @cached_property
    def reader(self) -> RecordReader:
        return RecordReader(self.engine, self.sealer)

    def close(self) -> None:
        self.engine.dispose()
