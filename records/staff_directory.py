"""The staff directory in the case record: public keys per staff member (the system of record).

``casefac staff add`` writes a row per key, ``revoke`` dates it, ``list`` reads them back; the
``staff.load_directory`` activity reads every row (revoked ones too: what a revoked key signed before its
revocation stays attributable, new assertions by it are refused). Names are sealed; no private key ever
reaches this table.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from casefac.staff_directory import StaffDirectory, StaffKey
from records import models as m
from records.database import session_factory
from records.sealing import Sealer

#: The sealing context of a member's name (bound to the key id, like a case's fields to the case id).
_WHERE = "staff_members.name"


class UnknownStaff(LookupError):
    """No active key for this staff id."""


class StaffDirectoryStore:
    def __init__(self, engine: Engine, sealer: Sealer | None = None) -> None:
        self.engine = engine
        self.sealer = sealer
        self._sessions = session_factory(engine)

    def add(self, key: StaffKey, *, by: str, name: str | None = None) -> None:
        """Register ``key``; the member's earlier active keys are revoked now (a rotation)."""
        sealed = (self.sealer.seal(name, where=_WHERE, case_id=key.key_id)
                  if (name and self.sealer is not None) else None)
        with self._sessions.begin() as session:
            for row in session.scalars(select(m.StaffMemberRow).where(
                    m.StaffMemberRow.staff_id == key.staff_id, m.StaffMemberRow.revoked_at.is_(None))):
                row.revoked_at, row.revoked_by = key.added_at, by
            session.add(m.StaffMemberRow(key_id=key.key_id, staff_id=key.staff_id, role=key.role,
                                         public_key=key.public_key, name_sealed=sealed, added_at=key.added_at,
                                         added_by=by))

    def revoke(self, staff_id: str, *, by: str, at: datetime | None = None) -> list[str]:
        """Revoke every active key of ``staff_id``; the key ids revoked (``UnknownStaff`` if none)."""
        at = at or datetime.now(UTC)
        with self._sessions.begin() as session:
            rows = list(session.scalars(select(m.StaffMemberRow).where(
                m.StaffMemberRow.staff_id == staff_id, m.StaffMemberRow.revoked_at.is_(None))))
            if not rows:
                raise UnknownStaff(f"no active key for staff id {staff_id!r} (casefac staff list)")
            for row in rows:
                row.revoked_at, row.revoked_by = at, by
            return [row.key_id for row in rows]

    def directory(self) -> StaffDirectory:
        """Every key, oldest first: what the workflows verify against."""
        with self._sessions() as session:
            rows = session.scalars(select(m.StaffMemberRow).order_by(m.StaffMemberRow.added_at,
                                                                     m.StaffMemberRow.key_id))
            return StaffDirectory(keys=[StaffKey(staff_id=r.staff_id, role=r.role, key_id=r.key_id,
                                                 public_key=r.public_key, added_at=r.added_at,
                                                 revoked_at=r.revoked_at) for r in rows])

    def names(self) -> dict[str, str]:
        """key id → display name, opened (only where a sealer and a name exist)."""
        if self.sealer is None:
            return {}
        with self._sessions() as session:
            rows = session.execute(select(m.StaffMemberRow.key_id, m.StaffMemberRow.name_sealed))
            return {kid: self.sealer.open(sealed, where=_WHERE, case_id=kid) for kid, sealed in rows if sealed}
