"""The roster activity: reading the Defender roster is I/O, so it happens here, not in the workflow.

The roster lives in the case record once staff import it (``casefac defenders import``); until then it is
the YAML file, as before. Either way each Defender's ``open_cases`` is counted from the record's cases.
A record this worker has seen holding the roster and now cannot reach raises a retryable error: falling
back to the file then would offer cases to Defenders staff have since deactivated. A record it has never
reached is taken to hold no roster (logged), so a records outage at start-up blocks no case.

A broken roster will not fix itself by retrying, so it raises a non-retryable ``RosterInvalid`` naming
the entry and field (never the value: roster values are names and emails). A transient read failure
(e.g. a network mount) is an ordinary error and is retried.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import ValidationError
from temporalio import activity

from casefac.activity_io import ActivityName, LoadRoster, RosterSnapshot
from casefac.errors import ErrorType, rejected, unavailable
from casefac.keyring import KeyRingError
from casefac.parties import Defender
from casefac.roster import Roster, parse_roster

if TYPE_CHECKING:
    from records.connect import Records

log = logging.getLogger("casefac.roster")

#: How long a load waits on the record before it calls it unreachable.
RECORD_WAIT_SECONDS = 10.0


def _record_errors() -> tuple[type[Exception], ...]:
    """What an unreachable or unreadable record raises (imported late: the worker starts without SQLAlchemy)."""
    from sqlalchemy.exc import SQLAlchemyError

    from records.sealing import UnsealError

    return SQLAlchemyError, KeyRingError, UnsealError


class RosterActivities:
    """``LOAD_ROSTER`` on ``TaskQueue.MAIN``."""

    def __init__(self, roster_file: Path, open_records: Callable[[], Records] | None = None) -> None:
        self._roster_file = roster_file
        self._parsed: tuple[tuple[int, int], Roster] | None = None
        self._open_records = open_records
        self._records: Records | None = None
        self._lock = threading.Lock()
        #: Whether this worker has seen the roster in the record: from then on the file is never the roster.
        self._roster_in_record = False

    @activity.defn(name=ActivityName.LOAD_ROSTER)
    async def load_roster(self, request: LoadRoster) -> RosterSnapshot:
        try:
            # A stalled database (not refusing, just silent) must not hold the case past the activity's timeout.
            defenders, counts = await asyncio.wait_for(asyncio.to_thread(self.from_record, request.country),
                                                       RECORD_WAIT_SECONDS)
        except (TimeoutError, *_record_errors()) as exc:
            if self._roster_in_record:
                # The driver's text can quote parameters (names): only the error's class leaves here.
                raise unavailable(ErrorType.RECORDS_UNAVAILABLE, "the roster is in the case record, which is "
                                  f"unreachable ({type(exc).__name__})") from None
            log.warning("case record unreachable (%s): the roster is read from %s, open cases not counted",
                        type(exc).__name__, self._roster_file.name)
            defenders, counts = None, {}
        if defenders is None:
            roster = await asyncio.to_thread(self.read)
            defenders = [d for d in roster.defenders if request.country is None or d.country == request.country]
        return RosterSnapshot(defenders=[d.model_copy(update={"open_cases": counts.get(d.id, 0)})
                                         for d in defenders])

    def current(self, country: str | None) -> list[Defender]:
        """The Defenders of ``country`` as the roster holds them now (``pay_defender``'s payee check, W2).

        Falls back to the roster file like ``load_roster`` does while the record is unreachable and the
        roster was never seen there; once it has been, an outage is an error to retry, never the file."""
        try:
            defenders, _ = self.from_record(country)
        except _record_errors() as exc:
            if self._roster_in_record:
                raise unavailable(ErrorType.RECORDS_UNAVAILABLE, "the roster is in the case record, which is "
                                  f"unreachable ({type(exc).__name__})") from None
            log.warning("case record unreachable (%s): payees are checked against %s",
                        type(exc).__name__, self._roster_file.name)
            defenders = None
        if defenders is None:
            defenders = [d for d in self.read().defenders if country is None or d.country == country]
        return defenders

    def _ready(self) -> Records | None:
        with self._lock:
            if self._records is None and self._open_records is not None:
                self._records = self._open_records()
            return self._records

    def from_record(self, country: str | None) -> tuple[list[Defender] | None, dict[str, int]]:
        """The record's Defenders of ``country`` (None when it holds no roster) and everyone's open cases."""
        from sqlalchemy import inspect

        from records.roster_store import RosterStore, open_case_counts

        records = self._ready()
        if records is None:
            return None, {}
        tables = set(inspect(records.engine).get_table_names())
        if "cases" not in tables:
            return None, {}  # no schema yet
        counts = open_case_counts(records.engine)
        if "roster_defenders" not in tables:
            return None, counts  # a schema from before the roster
        store = RosterStore(records.engine, records.sealer)
        if not self._roster_in_record:
            if store.is_empty():
                return None, counts
            self._roster_in_record = True
        return store.list(country=country), counts

    def close(self) -> None:
        if self._records is not None:
            self._records.close()

    def read(self) -> Roster:
        """The parsed roster, re-parsed only when the file changed (size or mtime).

        Every case loads the roster at least once; parsing YAML and validating every Defender each
        time was a measurable share of the worker's CPU under load. Staff edit the file in place,
        which changes its mtime, so an edit is picked up by the next activity.
        """
        try:
            stat = self._roster_file.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            if self._parsed is not None and self._parsed[0] == version:
                return self._parsed[1]
            text = self._roster_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise rejected(ErrorType.ROSTER_INVALID, f"roster file not found: {self._roster_file.name}") from None
        try:
            roster = parse_roster(text)
            self._parsed = (version, roster)
            return roster
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise rejected(ErrorType.ROSTER_INVALID, f"roster is not valid YAML{where}") from None
        except ValidationError as exc:
            raise rejected(ErrorType.ROSTER_INVALID, f"roster invalid: {describe(exc)}") from None


def describe(exc: ValidationError, limit: int = 5) -> str:
    """``defenders.3.email: value is not a valid email address`` (locations and reasons, no values)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False)[:limit]:
        location = ".".join(str(part) for part in error["loc"]) or "roster"
        problems.append(f"{location}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
