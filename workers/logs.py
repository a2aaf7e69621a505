"""Process logging for the worker (and the other casefac services): timestamps, level, ids only.

Workflows and activities log with ``extra={"case_id": ..., "step": ...}``; this formatter appends those
ids to the line. It never formats payloads: client data lives only in encrypted payloads (DESIGN §6).
"""

from __future__ import annotations

import logging

#: Extras worth showing; all of them are ids, codes or stages, never personal data.
ID_FIELDS = ("case_id", "advocate_id", "defender_id", "stage", "step", "error_type")


class IdFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{name}={getattr(record, name)}" for name in ID_FIELDS if getattr(record, name, None)]
        return f"{line} [{' '.join(ids)}]" if ids else line


def configure_logging(level: str = "INFO") -> None:
    """One stderr handler for the process; idempotent so a re-run in the same process adds no duplicates."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in root.handlers:
        if getattr(handler, "_casefac", False):
            return
    handler = logging.StreamHandler()
    handler.setFormatter(IdFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._casefac = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl." on every schema check
