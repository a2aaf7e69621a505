"""Defender and Advocate names for a staff report (``--with-names``): the only personal data a report shows.

Names are opened here and nowhere else in the report code, so "no personal data unless asked" is one
``if`` in one place. Client data is never read at all. A party row's sealed values are bound to the party's
own id and to ``<table>.name`` (as :mod:`records.store` seals them: the ``case_id`` of
:meth:`records.sealing.Sealer.seal` is the row's key, a defender or advocate id).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from records.reports import queries
from records.sealing import Sealer, UnsealError

UNREADABLE = "(cannot open)"


def name_where(table: str) -> str:
    """Where a party's name is sealed (the associated data), as :mod:`records.store` writes it."""
    return f"{table}.name"


class NameBook:
    """Names by id, opened once each; an unreadable name shows as :data:`UNREADABLE` and is counted."""

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer
        self._names: dict[tuple[str, str], str] = {}
        self.unreadable = 0

    def load(self, conn: Connection, table: str, ids: Iterable[str | None]) -> None:
        wanted = [i for i in {i for i in ids if i} if (table, i) not in self._names]
        for party_id, sealed in queries.sealed_names(conn, table, wanted).items():
            try:
                name = self._sealer.open(sealed, where=name_where(table), case_id=party_id)
            except UnsealError:
                name = UNREADABLE
                self.unreadable += 1
            self._names[(table, party_id)] = name

    def defender(self, defender_id: str | None) -> str | None:
        return self._names.get(("defenders", defender_id)) if defender_id else None

    def advocate(self, advocate_id: str | None) -> str | None:
        return self._names.get(("advocates", advocate_id)) if advocate_id else None
