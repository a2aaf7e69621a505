"""The real ``casefac`` process: exit codes survive the Temporal runtime's shutdown, output is one line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from casefac.keyring import KeyRing

REPO = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_temporal_exits_1_every_time(tmp_path: Path) -> None:
    KeyRing.generate().save(tmp_path / "keyring.json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFAC_")}
    env |= {"CASEFAC_DATA_DIR": str(tmp_path), "CASEFAC_TEMPORAL__ADDRESS": f"127.0.0.1:{_closed_port()}",
            "PYTHONPATH": str(REPO)}
    for command in (["starters.cli", "status", "JIM-2026-0001"], ["workers"]):
        for _ in range(3):  # the native runtime's crash at finalization was intermittent
            ran = subprocess.run([sys.executable, "-m", *command], env=env, cwd=REPO, capture_output=True,
                                 text=True, timeout=60, check=False)
            assert ran.returncode == 1, ran.stderr
            assert "cannot reach Temporal" in ran.stderr and "Traceback" not in ran.stderr
