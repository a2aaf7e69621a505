"""The staff directory activity: workflows verify signed staff updates against public keys read here.

Read-only, on ``TaskQueue.MAIN`` beside the roster. It needs only the records database (public keys and
dates are not sealed), not the key ring. A database that cannot be reached raises an ordinary (retryable)
error; the workflow bounds the retries and keeps the snapshot it had.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import Engine
from temporalio import activity

from casefac.staff_directory import LOAD_STAFF_DIRECTORY, LoadStaffDirectory, StaffDirectory


class StaffActivities:
    """``staff.load_directory``; ``open_engine`` is called once, on first use (the worker starts without it)."""

    def __init__(self, open_engine: Callable[[], Engine]) -> None:
        self._open_engine = open_engine
        self._engine: Engine | None = None

    def _load(self) -> StaffDirectory:
        from records.staff_directory import StaffDirectoryStore

        if self._engine is None:
            self._engine = self._open_engine()
        return StaffDirectoryStore(self._engine).directory()

    @activity.defn(name=LOAD_STAFF_DIRECTORY)
    async def load_directory(self, _request: LoadStaffDirectory) -> StaffDirectory:
        return await asyncio.to_thread(self._load)


def from_records_url(url: str) -> StaffActivities:
    """The activity object for a worker whose record is at ``url`` (``Settings.records_url``)."""
    def open_engine() -> Engine:
        from records.database import create_records_engine

        return create_records_engine(url)

    return StaffActivities(open_engine)
