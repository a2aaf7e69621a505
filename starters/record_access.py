"""How the CLI reaches the case record: opened from settings, with failures as one line a person can act on.

Reading never needs Temporal, so ``casefac status``/``ledes``/``list --closed`` answer for cases Temporal
has long forgotten.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from casefac.keyring import KeyRingError
from casefac.settings import Settings
from starters.cli_runtime import fail

if TYPE_CHECKING:
    from records.connect import Records
    from records.reader import CaseHeld


def _where(records: Records) -> str:
    return records.engine.url.render_as_string(hide_password=True)


@contextmanager
def open_records(settings: Settings, *, need_schema: bool = True) -> Iterator[Records]:
    """The record, or exit 1 with what is wrong (no key ring, unreachable, schema behind, a value that
    will not unseal). SQLAlchemy is imported here, not with the CLI, so ``casefac --help`` stays quick."""
    from sqlalchemy.exc import SQLAlchemyError

    from records.connect import Records
    from records.database import schema_problem
    from records.sealing import UnsealError

    try:
        records = Records.from_settings(settings)
    except KeyRingError as exc:
        fail(str(exc))
    try:
        if need_schema:
            problem = schema_problem(records.engine)
            if problem:
                fail(problem)
        yield records
    except SQLAlchemyError as exc:
        fail(f"cannot read the case record at {_where(records)} ({type(exc).__name__}); "
             "is the database up? (CASEFAC_RECORDS__URL)")
    except UnsealError as exc:
        fail(f"the case record cannot be read with this key ring: {exc}")
    finally:
        records.close()


@contextmanager
def existing_records(settings: Settings) -> Iterator[Records | None]:
    """The record, or None when its database has no schema yet (so it holds no case at all)."""
    from records.database import current_revision, schema_problem

    with open_records(settings, need_schema=False) as records:
        if current_revision(records.engine) is None:
            yield None
        else:
            problem = schema_problem(records.engine)
            if problem:
                fail(problem)
            yield records


def id_taken(settings: Settings, case_id: str) -> CaseHeld | None:
    """Whether the record already holds ``case_id``; a database with no schema yet holds nothing."""
    with existing_records(settings) as records:
        return None if records is None else records.reader.holds(case_id)


def advocates_of(settings: Settings, organisation: str) -> dict[str, str]:
    """Advocate id → organisation for every Advocate whose organisation contains ``organisation`` (any case).

    The organisation is in the case record, in the clear (it is the unit invoices are reported by), and not
    in Temporal's search attributes: ``casefac list --advocate-org`` turns it into Advocate ids here.
    """
    from sqlalchemy import func, select

    from records import models as m

    with existing_records(settings) as records:
        if records is None:
            return {}
        q = select(m.AdvocateRow.advocate_id, m.AdvocateRow.organization).where(
            func.lower(m.AdvocateRow.organization).contains(organisation.strip().lower()))
        with records.engine.connect() as conn:
            return {row.advocate_id: row.organization for row in conn.execute(q)}
