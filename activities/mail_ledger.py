"""A small SQLite ledger of mails sent, keyed by idempotency key: SendGrid has no idempotency key of its own.

One connection per worker thread, kept open: activities run in worker threads, and SQLite's own locking
(WAL, busy timeout) serializes them. Opening a connection per call cost more than the query under load.
The ledger is local to the worker's disk: with mail workers on several machines, put it on storage they
share, or run one mail worker.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


def private_file(path: Path) -> None:
    """Create ``path`` owner-only (0600) before SQLite opens it (review m10); SQLite gives its ``-wal`` and
    ``-shm`` files the database file's mode. A file from before is narrowed to 0600 too."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for sibling in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sibling.exists():
            sibling.chmod(0o600)


class MailLedger:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_file(path)
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
        """This thread's connection, in a transaction committed on success and rolled back on error."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10)
            self._local.db = db
        with db:
            yield db
