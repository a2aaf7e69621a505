"""Review m10: the local stack's logs and what its services create are owner-only, whatever the umask.

``casefac up`` logs each child to ``<data dir>/logs/<name>.log``; those logs name cases and carry provider
errors. They used to be created with the caller's umask (usually 0644: readable by every local user).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from starters.stack.children import Child

#: The child reports its umask and creates a file with Python's default mode (0666 & ~umask).
PROBE = ("import os, sys; m = os.umask(0); os.umask(m); print(f'umask={m:o}'); "
         "open(sys.argv[1], 'w').write('made')")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022 for this process, as in a developer's shell; restored afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("loose_umask")
@pytest.mark.parametrize("existing", [False, True], ids=["new-log", "log-from-before"])
async def test_child_logs_and_files_are_owner_only(tmp_path: Path, existing: bool) -> None:
    log = tmp_path / "logs" / "worker.log"
    if existing:  # a log an earlier `casefac up` left with the umask's mode
        log.parent.mkdir()
        log.write_bytes(b"old run\n")
        log.chmod(0o644)
    made = tmp_path / "made-by-the-service"
    child = Child(name="worker", argv=[sys.executable, "-c", PROBE, str(made)], env={}, log_path=log)
    child.start()
    try:
        assert child.proc is not None
        assert child.proc.wait(timeout=30) == 0, child.tail()
    finally:
        await child.stop()

    assert mode(log) == 0o600
    assert mode(made) == 0o600  # the service ran with umask 077
    assert "umask=77" in log.read_text()
    if existing:
        assert log.read_text().startswith("old run\n")  # appended to, not replaced
    else:
        assert mode(log.parent) == 0o700
