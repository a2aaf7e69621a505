"""The reporting period: whole UTC days from ``--from`` to ``--to`` inclusive (default: this calendar year).

The database compares instants, so the period becomes the half-open UTC range [from 00:00, to+1 00:00):
a case closed at 23:59 on the last day counts, one closed at 00:00 the next day does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


class PeriodError(ValueError):
    """The period a person typed is not one (malformed date, or ``--from`` after ``--to``)."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(f"--from {self.start.isoformat()} is after --to {self.end.isoformat()}")

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def slug(self) -> str:
        """For file names: ``2026-01-01_2026-12-31``."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


def _parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"{option} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-01-31") from None


def parse_period(start: str | None, end: str | None, *, today: date | None = None) -> Period:
    """The period from the options as typed; a missing end defaults to this year's, a missing start to its."""
    today = today or datetime.now(UTC).date()
    first = _parse_day(start, "--from") if start else None
    last = _parse_day(end, "--to") if end else None
    if first is None:
        first = date((last or today).year, 1, 1)
    if last is None:
        last = date(first.year, 12, 31)
    return Period(first, last)
