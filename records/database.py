"""Connecting to the records database and keeping its schema current (Alembic).

One engine per process. SQLite (the embedded default) runs in WAL mode with a busy timeout, so the worker
writing and the CLI reading never see "database is locked"; foreign keys are switched on, as SQLite does
not by default. PostgreSQL needs nothing special.

The schema is owned by Alembic (``records/migrations``): ``casefac records migrate`` upgrades a database to
head, and :func:`schema_problem` lets the worker refuse to start on a database that is behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATE_COMMAND = "casefac records migrate"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the schema this code writes; the message names the command that fixes it."""


def create_records_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; for SQLite the file's directory is created and the pragmas set per connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The schema revision this code writes."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None, "records/migrations has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to head; returns (revision before, revision after). Safe to run on a current database."""
    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), "head")
    return before, head_revision()


def schema_problem(engine: Engine) -> str | None:
    """One line saying why this database cannot be written by this code, or None when it is current."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        return f"the case record at {where} has no schema yet: run `{MIGRATE_COMMAND}`"
    return f"the case record at {where} is at schema {current}, this code needs {head}: run `{MIGRATE_COMMAND}`"


def require_current_schema(engine: Engine) -> None:
    problem = schema_problem(engine)
    if problem is not None:
        raise SchemaOutOfDate(problem)
