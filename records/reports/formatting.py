"""Cells as text, by column kind: one place, so the terminal, the HTML and the CSV never disagree on a figure.

``display`` is for people (thousands separators, percentages, a dash for nothing); ``plain`` is for
machines (no separators, a fraction for a share, empty for nothing), so a CSV imports as numbers.
"""

from __future__ import annotations

from decimal import Decimal

from records.reports.tables import Cell, Kind

DASH = "—"
_PLACES = {Kind.MONEY: 2, Kind.HOURS: 1, Kind.DAYS: 1, Kind.SCORE: 2}


def display(cell: Cell, kind: Kind) -> str:
    if cell is None:
        return DASH
    if kind is Kind.TEXT or isinstance(cell, str):
        return str(cell)
    if kind is Kind.SHARE:
        return f"{Decimal(cell) * 100:.1f}%"
    if kind is Kind.COUNT:
        return f"{int(cell):,}"
    return f"{Decimal(cell):,.{_PLACES[kind]}f}"


def plain(cell: Cell, kind: Kind) -> str:
    if cell is None:
        return ""
    if kind is Kind.TEXT or isinstance(cell, str):
        return str(cell)
    if kind is Kind.COUNT:
        return str(int(cell))
    if kind is Kind.SHARE:
        return f"{Decimal(cell):.3f}"
    return f"{Decimal(cell):.{_PLACES[kind]}f}"
