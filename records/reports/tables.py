"""The neutral shape every report section takes, so the SQL knows nothing of Rich, CSV, Excel or HTML.

Cells are plain values (``str``, ``int``, ``Decimal`` or ``None``); each column says what kind of figure it
holds, and every exporter formats by that kind alone. Money is a ``Decimal`` of major units beside a
currency column (never a float), hours a ``Decimal`` with one decimal, days a ``Decimal`` with one decimal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from records.reports.period import Period

Cell = str | int | Decimal | None
Row = tuple[Cell, ...]
TITLES = {"funders": "Case Facilitations", "network": "Defender network"}


class Kind(StrEnum):
    """What a column's figures are: decides alignment, number format and how a chart reads them."""

    TEXT = "text"
    COUNT = "count"
    HOURS = "hours"  # Decimal, one decimal
    MONEY = "money"  # Decimal major units, two decimals; the currency is another column (or USD)
    DAYS = "days"  # Decimal, one decimal
    SCORE = "score"  # Decimal average of 1–5 scores, two decimals
    SHARE = "share"  # Decimal fraction 0–1, shown as a percentage

    @property
    def numeric(self) -> bool:
        return self is not Kind.TEXT


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class ReportTable:
    """One section of the report: ``rows`` are the data, ``totals`` the summary lines shown after them."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...] = ()
    totals: tuple[Row, ...] = ()
    notes: tuple[str, ...] = ()
    #: At most 31 characters: a spreadsheet tab, a link in the HTML's contents (the title when it fits).
    short_title: str = ""

    def __post_init__(self) -> None:
        for row in (*self.rows, *self.totals):
            if len(row) != len(self.columns):
                raise ValueError(f"{self.key}: a row has {len(row)} cells for {len(self.columns)} columns")

    @property
    def short(self) -> str:
        return (self.short_title or self.title)[:31]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def empty(self) -> bool:
        return not self.rows

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"{self.key} has no column {key!r}")

    def records(self, *, totals: bool = False) -> list[dict[str, Cell]]:
        """Rows as dicts by column key: what tests and charts read, so they never depend on column order."""
        return [dict(zip(self.keys, row, strict=True)) for row in (self.totals if totals else self.rows)]


@dataclass(frozen=True)
class Report:
    """Every section over one period, in the order people read them."""

    period: Period
    generated_at: datetime
    tables: tuple[ReportTable, ...]
    with_names: bool = False
    notes: tuple[str, ...] = field(default=())
    #: Which report this is ("funders", "network"): the HTML picks its charts and summary cards by it.
    kind: str = "funders"

    def table(self, key: str) -> ReportTable:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(f"the report has no table {key!r}")

    @property
    def title(self) -> str:
        return f"{TITLES.get(self.kind, 'Case Facilitations')} {self.period.label}"


def table(key: str, title: str, columns: Sequence[Column], rows: Sequence[Row], *, totals: Sequence[Row] = (),
          notes: Sequence[str] = (), empty_note: str = "Nothing in this period.", short: str = "") -> ReportTable:
    """A table whose notes say so when there is nothing in it, so an empty period reads as empty, not broken."""
    all_notes = tuple(notes) if rows else (empty_note, *notes)
    return ReportTable(key, title, tuple(columns), tuple(rows), tuple(totals) if rows else (), all_notes, short)
