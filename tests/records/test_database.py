"""The records schema on both backends: Alembic builds it from nothing, exactly as the models describe it.

The models and the hand-checked migration can drift apart silently (a column added to one only); the
autogenerate comparison catches that on each backend, as each reflects types and indexes its own way.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session

from records.database import MIGRATE_COMMAND, create_records_engine, head_revision, migrate, schema_problem
from records.models import AdvocateRow, Base

VERSION_TABLE = "alembic_version"


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migrate_builds_every_table_of_an_empty_database(records_url: str) -> None:
    engine = create_records_engine(records_url)
    try:
        assert _tables(engine) == set()
        problem = schema_problem(engine)
        assert problem is not None and "\n" not in problem
        assert "no schema yet" in problem and f"`{MIGRATE_COMMAND}`" in problem
        assert migrate(engine) == (None, head_revision())
        assert _tables(engine) == set(Base.metadata.tables) | {VERSION_TABLE}
        assert schema_problem(engine) is None
    finally:
        engine.dispose()


def test_migrating_a_current_database_changes_nothing(records_engine: Engine) -> None:
    with Session(records_engine) as session, session.begin():
        session.add(AdvocateRow(advocate_id="adv.kept", organization="Kept Org", country="KE", language="en",
                                name_sealed="sealed-name", email_sealed="sealed-email"))
    tables = _tables(records_engine)
    assert migrate(records_engine) == (head_revision(), head_revision())
    assert _tables(records_engine) == tables
    with records_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(text(VERSION_TABLE))) == 1
        assert connection.scalars(select(AdvocateRow.advocate_id)).all() == ["adv.kept"]
    assert schema_problem(records_engine) is None


def test_a_database_at_another_revision_names_both_and_the_command(records_engine: Engine) -> None:
    with records_engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'older'"))
    problem = schema_problem(records_engine)
    assert problem is not None and "\n" not in problem
    assert "at schema older" in problem and f"needs {head_revision()}" in problem
    assert f"`{MIGRATE_COMMAND}`" in problem


def test_the_migration_matches_the_models(records_engine: Engine) -> None:
    with records_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_comparison_notices_a_model_the_migration_lacks(records_engine: Engine) -> None:
    """The check above can fail: with one column dropped from the database, it reports exactly that."""
    with records_engine.begin() as connection:
        connection.execute(text("ALTER TABLE advocates DROP COLUMN email_sealed"))  # SQLite ≥ 3.35 can
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [(d[0], d[2], d[3].name) for d in differences if isinstance(d, tuple)] == \
        [("add_column", "advocates", "email_sealed")]
