"""Every records test runs twice: on SQLite (the embedded default) and on PostgreSQL (production).

The PostgreSQL server is started once per session (:mod:`tests.records.pg`) and only when a test asks
for it; each test gets its own empty database on it. Without PostgreSQL binaries those tests skip,
except where ``CASEFAC_REQUIRE_POSTGRES`` is set (CI), where a skip would hide that they never ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from records.database import create_records_engine, migrate
from tests.records.pg import PostgresServer


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
