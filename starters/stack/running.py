"""``<data dir>/stack.json``: what a running ``casefac up`` looks like from outside.

Written once everything is healthy, removed on a clean stop. ``casefac demo`` reads it to join a running
stack with exactly the configuration its children use; ``casefac up`` reads it to refuse a second stack
on the same data dir (two dev servers on one SQLite file would corrupt it). It holds ports, URLs and
paths only; secrets stay in settings and the key ring file.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from casefac.settings import Settings
from starters.stack.plan import settings_with
from starters.stack.probes import gateway_ready, temporal_ready

STACK_FILE = "stack.json"


@dataclass(frozen=True)
class RunningStack:
    pid: int
    env: dict[str, str]
    urls: dict[str, str]

    @property
    def settings(self) -> Settings:
        return settings_with(self.env)


def stack_file(data_dir: Path) -> Path:
    return data_dir / STACK_FILE


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def write(data_dir: Path, stack: RunningStack) -> None:
    """Atomically, and owner-only from the first byte (review m10): created 0600, never chmod-ed after."""
    path = stack_file(data_dir)
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # a leftover from a crash may have other permissions; O_EXCL below makes a fresh one
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(stack), indent=2))
    os.replace(tmp, path)


def remove(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        stack_file(data_dir).unlink()


def read(data_dir: Path) -> RunningStack | None:
    """The recorded stack if its ``casefac up`` process still lives, else None."""
    try:
        data = json.loads(stack_file(data_dir).read_text(encoding="utf-8"))
        stack = RunningStack(pid=int(data["pid"]), env=dict(data["env"]), urls=dict(data["urls"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stack if pid_alive(stack.pid) else None


async def find_running(settings: Settings) -> RunningStack | None:
    """A running stack for ``settings.data_dir`` that answers its health checks, else None."""
    stack = read(settings.data_dir.expanduser().resolve())
    if stack is None:
        return None
    joined = stack.settings
    if not await temporal_ready(joined.temporal.address, joined.temporal.namespace):
        return None
    if not await gateway_ready(joined.gateway.public_url.rstrip("/")):
        return None
    return stack
