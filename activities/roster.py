"""The roster activity: reading the Defender roster file is I/O, so it happens here, not in the workflow.

A broken roster will not fix itself by retrying, so it raises a non-retryable ``RosterInvalid`` naming
the entry and field (never the value: roster values are names and emails). A transient read failure
(e.g. a network mount) is an ordinary error and is retried.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from pydantic import ValidationError
from temporalio import activity

from casefac.activity_io import ActivityName, LoadRoster, RosterSnapshot
from casefac.errors import ErrorType, rejected
from casefac.roster import Roster, parse_roster


class RosterActivities:
    """``LOAD_ROSTER`` on ``TaskQueue.MAIN``."""

    def __init__(self, roster_file: Path) -> None:
        self._roster_file = roster_file
        self._parsed: tuple[tuple[int, int], Roster] | None = None


    @activity.defn(name=ActivityName.LOAD_ROSTER)
    async def load_roster(self, request: LoadRoster) -> RosterSnapshot:
        roster = await asyncio.to_thread(self.read)
        defenders = [d for d in roster.defenders if request.country is None or d.country == request.country]
        return RosterSnapshot(defenders=defenders)

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
