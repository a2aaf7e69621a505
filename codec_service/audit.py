"""Every decode is recorded: who, which workflows, when, how many payloads, under which role (review C1).

Never the payload content. Append-only JSON lines in a file created 0600 (``O_APPEND``: concurrent
writers never interleave within a line), and the same line to the log, so a log shipper gets it too.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("casefac.codec.audit")


class AuditLog:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    def record(self, *, subject: str, tier: str, operation: str, namespace: str, workflows: list[str],
               payloads: int, client: str, outcome: str, **extra: Any) -> dict[str, Any]:
        entry = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "sub": subject, "tier": tier,
                 "op": operation, "namespace": namespace, "workflows": sorted(set(workflows)),
                 "payloads": payloads, "client": client, "outcome": outcome, **extra}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        log.info("codec %s", line)
        if self.path is not None:
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line.encode("utf-8") + b"\n")
                finally:
                    os.close(fd)
        return entry


__all__ = ["AuditLog"]
