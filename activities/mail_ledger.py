"""A small SQLite ledger of mails sent, keyed by idempotency key: SendGrid has no idempotency key of its own.

One connection per call: activities run in worker threads, and SQLite's own locking (WAL, busy timeout)
is enough for a few mails a second. The ledger is local to the worker's disk: with mail workers on several
machines, put it on storage they share, or run one mail worker.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    idempotency_key TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sent_at         TEXT NOT NULL
)
"""


class MailLedger:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def message_id(self, idempotency_key: str) -> str | None:
        """The message already sent under this key, if any."""
        with self._connect() as db:
            row = db.execute("SELECT message_id FROM sent WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        return str(row[0]) if row else None

    def record(self, idempotency_key: str, message_id: str, kind: str) -> None:
        """Remember a sent message; the first record for a key wins (a concurrent duplicate is ignored)."""
        with self._connect() as db:
            db.execute("INSERT OR IGNORE INTO sent VALUES (?, ?, ?, ?)",
                       (idempotency_key, message_id, kind, datetime.now(UTC).isoformat()))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            yield db
