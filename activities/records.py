"""``records.write``: the case's snapshot into the case record (``records/``), on its own task queue.

The write is idempotent (the store keeps the newest sequence number it has seen), so Temporal may retry
it freely. A database that is down, locked or behind the schema raises a retryable error and the workflow
keeps going meanwhile; only a case id the record already holds for another case is refused for good.
The database is opened on the first write, not at import, so a worker starts while the database is down.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity

from casefac.activity_io import ActivityName
from casefac.errors import ErrorType, rejected, unavailable
from casefac.record import CaseRecord, RecordWritten
from records.connect import Records
from records.database import SchemaOutOfDate, require_current_schema
from records.store import CaseIdTaken

log = logging.getLogger("casefac.records")


class RecordActivities:
    """``WRITE_RECORD`` on ``TaskQueue.RECORDS``."""

    def __init__(self, open_records: Callable[[], Records]) -> None:
        self._open_records = open_records
        self._records: Records | None = None
        self._schema_checked = False
        self._lock = threading.Lock()

    def _ready(self) -> Records:
        with self._lock:
            if self._records is None:
                self._records = self._open_records()
            if not self._schema_checked:
                require_current_schema(self._records.engine)
                self._schema_checked = True
            return self._records

    @activity.defn(name=ActivityName.WRITE_RECORD)
    async def write_record(self, record: CaseRecord) -> RecordWritten:
        return await asyncio.to_thread(self.write, record)

    def write(self, record: CaseRecord) -> RecordWritten:
        try:
            written = self._ready().store.write(record)
        except CaseIdTaken as exc:
            raise rejected(ErrorType.RECORD_ID_TAKEN, str(exc)) from None
        except SchemaOutOfDate as exc:
            raise unavailable(ErrorType.RECORDS_UNAVAILABLE, str(exc)) from None
        except SQLAlchemyError as exc:
            # The driver's text can quote SQL parameters (client data): only the error's class leaves here.
            raise unavailable(ErrorType.RECORDS_UNAVAILABLE,
                              f"case record unreachable for {record.case_id} ({type(exc).__name__})") from None
        log.info("record %s", written.result, extra={"case_id": record.case_id})
        return written

    def close(self) -> None:
        if self._records is not None:
            self._records.close()
