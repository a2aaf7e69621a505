"""In-memory store of every emulated object, optionally mirrored to a JSON file.

All objects are plain JSON-able dicts so persistence is a single ``json.dump`` and the
admin endpoints can return them as-is. Only the event-loop thread touches the store.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

Table = dict[str, dict[str, Any]]

COLLECTIONS: tuple[str, ...] = (
    "envelopes",
    "signing_tokens",
    "oauth_tokens",
    "mails",
    "customers",
    "invoiceitems",
    "invoices",
    "transfers",
    "accounts",
    "events",
    "idempotency",
    "deliveries",
    "balance",
)


class SandboxState:
    """Named tables of dicts plus a monotonic counter, saved after each mutation if a file is set."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.tables: dict[str, Table] = {}
        self.counter = 0
        self.reset(persist=False)
        if path is not None and path.exists():
            self.load()

    def table(self, name: str) -> Table:
        """Return a collection; unknown names fail loudly to catch typos."""
        return self.tables[name]

    def next_seq(self) -> int:
        """Monotonic number: orders deliveries and numbers invoices."""
        self.counter += 1
        return self.counter

    def reset(self, persist: bool = True) -> None:
        """Drop everything (``POST /_sandbox/reset``)."""
        self.tables = {name: {} for name in COLLECTIONS}
        self.counter = 0
        if persist:
            self.commit()

    def summary(self) -> dict[str, int]:
        """Counts for ``GET /_sandbox/state``."""
        deliveries = self.tables["deliveries"].values()
        return {
            "envelopes": len(self.tables["envelopes"]),
            "customers": len(self.tables["customers"]),
            "invoices": len(self.tables["invoices"]),
            "invoiceitems": len(self.tables["invoiceitems"]),
            "transfers": len(self.tables["transfers"]),
            "accounts": len(self.tables["accounts"]),
            "mails": len(self.tables["mails"]),
            "events": len(self.tables["events"]),
            "webhooks": len(self.tables["deliveries"]),
            "pending_webhooks": sum(1 for d in deliveries if d["pending"]),
        }

    def commit(self) -> None:
        """Persist atomically (write temp file, then rename) so a crash never leaves half a file."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"counter": self.counter, "tables": self.tables}
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self) -> None:
        """Restore from ``path``; collections added since the file was written start empty."""
        assert self.path is not None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self.counter = int(data.get("counter", 0))
        for name in COLLECTIONS:
            self.tables[name] = dict(data.get("tables", {}).get(name, {}))
