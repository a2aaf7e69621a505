"""The Defender roster in the record: staff change it one field at a time, and every change is kept.

Names, emails, away reasons and the before/after values of each change are sealed (a name or an email is
what changes most); ids, countries, regions, services, languages, rates, payout and capacity stay clear so
reports and the roster activity filter them in SQL. Every value goes through :class:`~casefac.parties.Defender`
before it is written, so the table never holds a Defender the workflow would refuse.

``import_roster`` compares before it writes: importing the same file twice leaves the second time without a
write or a history row, so staff can re-run an import whenever they are unsure it ran.
"""

from __future__ import annotations

import builtins
import json
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, delete, exists, func, select
from sqlalchemy.orm import Session

from casefac.money import Money
from casefac.parties import AwayPeriod, Defender, ManualPayout, StripeConnectPayout
from records import models as m
from records.database import session_factory
from records.reader import utc
from records.sealing import Sealer

#: The Defender's fields the roster keeps (``open_cases`` is counted from the cases, never stored).
FIELDS: tuple[str, ...] = ("name", "email", "organization", "country", "languages", "services", "active",
                           "hourly_rate", "payout", "regions", "capacity", "away")


class UnknownDefender(LookupError):
    """The roster holds no Defender with this id."""


class DefenderExists(ValueError):
    """``add`` of an id the roster already holds (``update`` changes a Defender)."""


class RosterValueError(ValueError):
    """A value the roster cannot hold; the message starts with the field's name."""


class AwayEntry(BaseModel):
    """An away period as staff see it: with its reason (opened)."""

    model_config = ConfigDict(frozen=True)

    starts_on: date
    ends_on: date
    reason: str | None = None


class RosterChange(BaseModel):
    """One entry of a Defender's history; ``detail`` maps each changed field to ``{"before", "after"}``."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    by: str
    action: str
    fields: list[str]
    detail: dict[str, dict[str, Any]]


class Imported(NamedTuple):
    """Defender ids, by what the import did to them."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]


def open_case_counts(engine: Engine) -> dict[str, int]:
    """Open cases per Defender (``cases.closed_at IS NULL``): what capacity is measured against."""
    query = (select(m.CaseRow.defender_id, func.count()).where(m.CaseRow.defender_id.is_not(None),
                                                               m.CaseRow.closed_at.is_(None))
             .group_by(m.CaseRow.defender_id))
    with engine.connect() as connection:
        return {defender_id: count for defender_id, count in connection.execute(query)}


def _where(table: str, column: str, key: str) -> str:
    return f"{table}.{column}/{key}"


def _values(defender: Defender) -> dict[str, Any]:
    """The compared, recorded form of each kept field (JSON values, so history can hold them)."""
    dumped = defender.model_dump(mode="json")
    return {name: dumped[name] for name in FIELDS}


def _check_lists(defender: Defender) -> None:
    """Lists are stored comma-separated: an item holding a comma would come back as two."""
    for name in ("regions",):
        for item in getattr(defender, name):
            if "," in item:
                raise RosterValueError(f"{name}: {item!r} holds a comma; name each region on its own")


class RosterStore:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self._sealer = sealer
        self._sessions = session_factory(engine)

    # ------------------------------------------------------------------------------------- reading
    def is_empty(self) -> bool:
        with self.engine.connect() as connection:
            return not connection.scalar(select(exists().select_from(m.RosterDefenderRow)))

    def list(self, *, country: str | None = None, include_inactive: bool = True) -> builtins.list[Defender]:
        query = select(m.RosterDefenderRow).order_by(m.RosterDefenderRow.defender_id)
        if country is not None:
            query = query.where(m.RosterDefenderRow.country == country)
        if not include_inactive:
            query = query.where(m.RosterDefenderRow.active.is_(True))
        with self._sessions() as session:
            rows = session.scalars(query).all()
            away = self._away_rows(session, [r.defender_id for r in rows])
            return [self._defender(row, away.get(row.defender_id, [])) for row in rows]

    def get(self, defender_id: str) -> Defender | None:
        with self._sessions() as session:
            row = session.get(m.RosterDefenderRow, defender_id)
            if row is None:
                return None
            return self._defender(row, self._away_rows(session, [defender_id]).get(defender_id, []))

    def away_periods(self, defender_id: str) -> builtins.list[AwayEntry]:
        """The Defender's away periods with their reasons (``Defender.away`` has the dates only)."""
        with self._sessions() as session:
            rows = self._away_rows(session, [defender_id]).get(defender_id, [])
            return [AwayEntry(starts_on=r.starts_on, ends_on=r.ends_on,
                              reason=self._sealer.open_optional(r.reason_sealed, case_id=defender_id,
                                                                where=_where("roster_away", "reason_sealed",
                                                                             f"{defender_id}:{r.position}")))
                    for r in rows]

    def changes(self, defender_id: str) -> builtins.list[RosterChange]:
        query = (select(m.RosterChangeRow).where(m.RosterChangeRow.defender_id == defender_id)
                 .order_by(m.RosterChangeRow.id))
        with self._sessions() as session:
            history = []
            for row in session.scalars(query):
                detail = self._sealer.open_optional(row.detail_sealed, case_id=defender_id,
                                                    where=_where("roster_changes", "detail_sealed", str(row.id)))
                history.append(RosterChange(at=utc(row.at), by=row.by, action=row.action,
                                            fields=row.fields.split(",") if row.fields else [],
                                            detail=json.loads(detail) if detail else {}))
            return history

    # ------------------------------------------------------------------------------------- writing
    def add(self, defender: Defender, *, by: str) -> None:
        _check_lists(defender)
        with self._sessions.begin() as session:
            if session.get(m.RosterDefenderRow, defender.id) is not None:
                raise DefenderExists(f"id: the roster already holds {defender.id} (use update to change it)")
            self._write(session, None, defender, by=by, action="add")

    def update(self, defender_id: str, changes: dict[str, Any], *, by: str) -> builtins.list[str]:
        """Apply ``changes`` (Defender field → new value); returns the fields that really changed."""
        for name in changes:
            if name in ("id", "open_cases"):
                raise RosterValueError(f"{name}: cannot be changed (an id is for good; open cases are counted)")
        with self._sessions.begin() as session:
            current = self._current(session, defender_id)
            wanted = Defender.model_validate({**current.model_dump(), **changes})
            _check_lists(wanted)
            return self._write(session, current, wanted, by=by, action="update")

    def deactivate(self, defender_id: str, *, by: str) -> bool:
        """False when the Defender was already inactive (nothing written)."""
        with self._sessions.begin() as session:
            current = self._current(session, defender_id)
            return bool(self._write(session, current, current.model_copy(update={"active": False}), by=by,
                                    action="deactivate"))

    def away(self, defender_id: str, starts_on: date, ends_on: date, reason: str | None, *, by: str) -> None:
        """Add an away period (a period with the same dates gets the new reason)."""
        AwayPeriod(starts_on=starts_on, ends_on=ends_on)  # refuses a period that ends before it starts
        with self._sessions.begin() as session:
            current = self._current(session, defender_id)
            entries = [e for e in self._entries(session, defender_id)
                       if (e.starts_on, e.ends_on) != (starts_on, ends_on)]
            entries.append(AwayEntry(starts_on=starts_on, ends_on=ends_on, reason=reason or None))
            entries.sort(key=lambda e: (e.starts_on, e.ends_on))
            wanted = Defender.model_validate({**current.model_dump(),
                                              "away": [AwayPeriod(starts_on=e.starts_on, ends_on=e.ends_on)
                                                       for e in entries]})
            self._write(session, current, wanted, by=by, action="away", entries=entries,
                        reason_changed=True)

    def clear_away(self, defender_id: str, starts_on: date | None = None, *, by: str) -> int:
        """Remove the away period starting on ``starts_on`` (every period when None); returns how many."""
        with self._sessions.begin() as session:
            current = self._current(session, defender_id)
            entries = self._entries(session, defender_id)
            kept = [e for e in entries if starts_on is not None and e.starts_on != starts_on]
            if len(kept) == len(entries):
                return 0
            wanted = current.model_copy(update={"away": [AwayPeriod(starts_on=e.starts_on, ends_on=e.ends_on)
                                                         for e in kept]})
            self._write(session, current, wanted, by=by, action="away", entries=kept)
            return len(entries) - len(kept)

    def import_roster(self, defenders: builtins.list[Defender], *, by: str) -> Imported:
        """Add the new Defenders and update the changed ones, in one transaction; the rest stay untouched.

        A Defender the roster holds but the file lacks is left alone: a partial file deactivates no one. A
        field the file does not give (``active``, ``capacity``, ``away``… are often left out) keeps what staff
        set since: re-importing today's roster file never reactivates anyone or wipes an away period.
        """
        for defender in defenders:
            _check_lists(defender)
        result = Imported([], [], [])
        with self._sessions.begin() as session:
            for defender in defenders:
                row = session.get(m.RosterDefenderRow, defender.id)
                current = None if row is None else self._defender(
                    row, self._away_rows(session, [defender.id]).get(defender.id, []))
                if current is not None:
                    kept = {f: getattr(current, f) for f in type(defender).model_fields
                            if f not in defender.model_fields_set and f != "open_cases"}
                    defender = defender.model_copy(update=kept)
                if self._write(session, current, defender, by=by, action="import"):
                    (result.added if current is None else result.updated).append(defender.id)
                else:
                    result.unchanged.append(defender.id)
        return result

    # ------------------------------------------------------------------------------------- internals
    def _current(self, session: Session, defender_id: str) -> Defender:
        row = session.get(m.RosterDefenderRow, defender_id, with_for_update=True)
        if row is None:
            raise UnknownDefender(f"no Defender {defender_id} in the roster")
        return self._defender(row, self._away_rows(session, [defender_id]).get(defender_id, []))

    def _away_rows(self, session: Session, ids: builtins.list[str]) -> dict[str, builtins.list[m.RosterAwayRow]]:
        grouped: dict[str, builtins.list[m.RosterAwayRow]] = {}
        if not ids:
            return grouped
        query = (select(m.RosterAwayRow).where(m.RosterAwayRow.defender_id.in_(ids))
                 .order_by(m.RosterAwayRow.defender_id, m.RosterAwayRow.position))
        for row in session.scalars(query):
            grouped.setdefault(row.defender_id, []).append(row)
        return grouped

    def _entries(self, session: Session, defender_id: str) -> builtins.list[AwayEntry]:
        return [AwayEntry(starts_on=r.starts_on, ends_on=r.ends_on,
                          reason=self._sealer.open_optional(r.reason_sealed, case_id=defender_id,
                                                            where=_where("roster_away", "reason_sealed",
                                                                         f"{defender_id}:{r.position}")))
                for r in self._away_rows(session, [defender_id]).get(defender_id, [])]

    def _defender(self, row: m.RosterDefenderRow, away: builtins.list[m.RosterAwayRow]) -> Defender:
        key = row.defender_id
        payout = (StripeConnectPayout(account_id=row.payout_account or "") if row.payout_kind == "stripe_connect"
                  else ManualPayout())
        return Defender(
            id=key,
            name=self._sealer.open(row.name_sealed, where=_where("roster_defenders", "name_sealed", key), case_id=key),
            email=self._sealer.open(row.email_sealed, where=_where("roster_defenders", "email_sealed", key),
                                    case_id=key),
            organization=row.organization, country=row.country,  # type: ignore[arg-type]
            languages=row.languages.split(","), services=row.services.split(","),  # type: ignore[arg-type]
            active=row.active,
            hourly_rate=Money(amount=row.hourly_rate_amount, currency=row.hourly_rate_currency),  # type: ignore[arg-type]
            payout=payout, regions=row.regions.split(",") if row.regions else [], capacity=row.capacity,
            away=[AwayPeriod(starts_on=a.starts_on, ends_on=a.ends_on) for a in away],
        )

    def _write(self, session: Session, current: Defender | None, wanted: Defender, *, by: str, action: str,
               entries: builtins.list[AwayEntry] | None = None, reason_changed: bool = False) -> builtins.list[str]:
        """Write ``wanted`` over ``current`` (None: a new Defender) and its history row; returns the changed
        fields, and writes nothing at all when there are none."""
        before = {} if current is None else _values(current)
        after = _values(wanted)
        changed = [name for name in FIELDS if before.get(name) != after[name]]
        if current is None:
            changed = [name for name in FIELDS if after[name] not in (None, [])] or ["name"]
        if not changed and not reason_changed:
            return []
        key = wanted.id
        now = datetime.now(UTC)
        row = session.get(m.RosterDefenderRow, key)
        if row is None:
            row = m.RosterDefenderRow(defender_id=key)
            session.add(row)
        row.country = wanted.country
        row.regions = ",".join(wanted.regions)
        row.services = ",".join(s.value for s in wanted.services)
        row.languages = ",".join(wanted.languages)
        row.organization = wanted.organization
        row.hourly_rate_amount = wanted.hourly_rate.amount
        row.hourly_rate_currency = wanted.hourly_rate.currency
        row.payout_kind = wanted.payout.kind
        row.payout_account = wanted.payout.account_id if isinstance(wanted.payout, StripeConnectPayout) else None
        row.capacity = wanted.capacity
        row.active = wanted.active
        if "name" in changed or current is None:
            row.name_sealed = self._sealer.seal(wanted.name, where=_where("roster_defenders", "name_sealed", key),
                                                case_id=key)
        if "email" in changed or current is None:
            row.email_sealed = self._sealer.seal(wanted.email,
                                                 where=_where("roster_defenders", "email_sealed", key), case_id=key)
        row.updated_at = now
        row.updated_by = by
        session.flush()
        if "away" in changed or entries is not None:
            self._write_away(session, key, wanted, entries)
        change = m.RosterChangeRow(defender_id=key, at=now, by=by, action=action,
                                   fields=",".join(changed or ["away"]), detail_sealed=None)
        session.add(change)
        session.flush()
        detail = {name: {"before": before.get(name), "after": after[name]} for name in changed}
        if reason_changed and entries is not None:
            detail["away_reasons"] = {"after": [e.model_dump(mode="json") for e in entries]}
        change.detail_sealed = self._sealer.seal(json.dumps(detail, ensure_ascii=False), case_id=key,
                                                 where=_where("roster_changes", "detail_sealed", str(change.id)))
        return changed or ["away"]

    def _write_away(self, session: Session, key: str, wanted: Defender,
                    entries: builtins.list[AwayEntry] | None) -> None:
        """Rewrite the periods; reasons are kept for periods whose dates did not change."""
        if entries is None:
            reasons = {(e.starts_on, e.ends_on): e.reason for e in self._entries(session, key)}
            entries = [AwayEntry(starts_on=p.starts_on, ends_on=p.ends_on, reason=reasons.get((p.starts_on, p.ends_on)))
                       for p in wanted.away]
        session.execute(delete(m.RosterAwayRow).where(m.RosterAwayRow.defender_id == key))
        for position, entry in enumerate(entries):
            session.add(m.RosterAwayRow(
                defender_id=key, position=position, starts_on=entry.starts_on, ends_on=entry.ends_on,
                reason_sealed=self._sealer.seal_optional(entry.reason, case_id=key,
                                                         where=_where("roster_away", "reason_sealed",
                                                                      f"{key}:{position}"))))
        session.flush()
