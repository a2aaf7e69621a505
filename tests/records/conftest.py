"""Every records test runs twice: on SQLite (the embedded default) and on PostgreSQL (production).

The PostgreSQL server is started once per session (:mod:`tests.records.pg`) and only when a test asks
for it; each test gets its own empty database on it. Without PostgreSQL binaries those tests skip,
except where ``CASEFAC_REQUIRE_POSTGRES`` is set (CI), where a skip would hide that they never ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from records.database import create_records_engine, migrate
from tests.records.pg import PostgresMissing, PostgresServer, start_postgres

REQUIRE = "CASEFAC_REQUIRE_POSTGRES"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway server for the session, stopped (and its files removed) at the end."""
    try:
        server = start_postgres()
    except PostgresMissing as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:  # outside the except: the report shows one line, not a chained traceback
        if os.environ.get(REQUIRE):
            pytest.fail(f"{REQUIRE} is set but {missing}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {missing}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")  # started only when needed
    return server.create_database()


@pytest.fixture
def records_engine(records_url: str) -> Iterator[Engine]:
    """An engine on ``records_url``, migrated to head."""
    engine = create_records_engine(records_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
