"""Where this test session's sandboxes record their provider traffic, and how to read it back.

``enable_session_recording()`` (called once by ``tests/conftest.py``) points ``SANDBOX_RECORD_DIR`` at a
directory of this pytest process, so every sandbox the session starts (in-process, or a ``casefac up``
child, which inherits the environment) records there; directories left by finished sessions are removed.
The contract tests validate what is there when they run (``tests/contracts`` sorts after
``tests/activities``, so the activity tests' traffic is in it when the whole suite runs).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2] / "test-artifacts" / "provider-exchanges"
ENV = "SANDBOX_RECORD_DIR"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def enable_session_recording() -> Path:
    """Record into ``test-artifacts/provider-exchanges/session-<pid>`` (unless the variable is set already)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    ROOT.mkdir(parents=True, exist_ok=True)
    for old in ROOT.glob("session-*"):
        pid = old.name.removeprefix("session-")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    directory = ROOT / f"session-{os.getpid()}"
    directory.mkdir(exist_ok=True)
    os.environ[ENV] = str(directory)
    return directory


def records(directory: Path) -> Iterator[dict[str, Any]]:
    """Every record of every file in ``directory`` (a line cut short by a killed process is skipped)."""
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                yield json.loads(line)
            except ValueError:
                continue
