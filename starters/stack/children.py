"""Child processes of the stack: started in their own process group, logged to files, stopped in order.

Their own process group, so the terminal's Ctrl-C reaches only ``casefac up``, which then stops the worker
before the gateway, the sandbox and finally Temporal (a worker outliving its server would only log
connection errors). On Linux each child also gets SIGTERM if ``casefac up`` itself dies, so no orphan
keeps a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1
STOP_STEPS: tuple[tuple[signal.Signals, float], ...] = ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0),
                                                        (signal.SIGKILL, 5.0))


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)
    _log_offset: int = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Review m10: logs name cases and carry provider errors: owner-only whatever the umask, and a log
        # made before this fix (with the umask's 0644) is tightened too.
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        self._log = os.fdopen(fd, "ab")  # owned by the child's lifetime, closed in stop()
        self._log.write(f"\n=== {self.name} started {datetime.now(UTC).isoformat()} ===\n".encode())
        self._log.flush()
        self._log_offset = self._log.tell()
        self.proc = subprocess.Popen(
            self.argv, env={**os.environ, **self.env}, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, process_group=0, preexec_fn=_die_with_parent,
            umask=0o077)  # what the services create (Temporal's database, documents, state) is owner-only

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def tail(self, lines: int = 12) -> str:
        """The last lines this run wrote (for the one-line error when a child fails)."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    async def stop(self) -> int | None:
        """SIGINT (graceful), then SIGTERM, then SIGKILL, each after its grace period; the exit code."""
        proc = self.proc
        if proc is None:
            return None
        try:
            for sig, grace in STOP_STEPS:
                if proc.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)
                deadline = time.monotonic() + grace
                while proc.poll() is None and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)  # polling the exit, not a wait standing in for it
            return proc.poll()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
