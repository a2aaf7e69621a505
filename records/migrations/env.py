"""Alembic environment: the engine comes from the caller (``records.database.migrate``), never a URL in a file."""

from __future__ import annotations

from alembic import context

from records.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    # render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
