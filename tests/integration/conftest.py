"""Integration fixtures: ``casefac up`` run as a real subprocess on free ports in a temporary data dir.

One stack serves the whole session (starting one costs seconds); the restart test stops and starts it
again on the same ports and data dir, so it is running as before afterwards. The stack is driven the way a
developer drives it (start it, read its output, Ctrl-C it), and tests talk to
it over the same settings its children use (the ``stack.json`` it writes once healthy).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from casefac.settings import Settings
from starters.stack import running
from starters.stack.ports import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for ``casefac``: no inherited CASEFAC_* values, wide output, this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFAC_")}
    env |= {"CASEFAC_DATA_DIR": str(data_dir), "COLUMNS": "200", "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", "")}
    return env | extra


def stack_env(data_dir: Path) -> dict[str, str]:
    ports: list[int] = []
    while len(ports) < 6:
        port = free_port()
        if port not in ports:
            ports.append(port)
    temporal, ui, gateway, sandbox, oauth, codec = ports
    return cli_env(data_dir, CASEFAC_TEMPORAL__ADDRESS=f"127.0.0.1:{temporal}", CASEFAC_TEMPORAL__UI_PORT=str(ui),
                   CASEFAC_GATEWAY__PORT=str(gateway), CASEFAC_SANDBOX__PORT=str(sandbox),
                   CASEFAC_SANDBOX__OAUTH_PORT=str(oauth), CASEFAC_CODEC__PORT=str(codec))


def casefac(*args: str, env: dict[str, str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "starters.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)


@dataclass
class UpProcess:
    """One ``casefac up`` subprocess; its combined output goes to a file so it can be read while it runs."""

    env: dict[str, str]
    data_dir: Path
    runs: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data_dir.parent / f"{self.data_dir.name}-up.log"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def start(self) -> str:
        """Start and wait for "ready"; the output of this run so far."""
        self.runs += 1
        with open(self.log, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "starters.cli", "up"], env=self.env, cwd=REPO,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while "ready in" not in self.output():
            if self.proc.poll() is not None:
                raise AssertionError(f"casefac up exited {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"casefac up not ready after {START_TIMEOUT} s:\n{self.output()}")
            time.sleep(0.1)  # poll interval
        return self.output()

    def stop(self) -> tuple[int, str]:
        """Ctrl-C (SIGINT) and wait for a clean exit; (exit code, output)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"casefac up did not stop within {STOP_TIMEOUT} s:\n{self.output()}") from None
        return code, self.output()

    def settings(self) -> Settings:
        stack = running.read(self.data_dir)
        assert stack is not None, "no stack.json for a running stack"
        return stack.settings


@pytest.fixture(scope="session")
def up_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    data_dir = tmp_path_factory.mktemp("up") / "data"
    stack = UpProcess(env=stack_env(data_dir), data_dir=data_dir)
    stack.start()
    try:
        yield stack
    finally:
        if stack.proc is not None and stack.proc.poll() is None:
            stack.stop()


@dataclass(frozen=True)
class DemoRun:
    code: int
    out: str
    seconds: float
    case_id: str | None


def run_demo(env: dict[str, str]) -> DemoRun:
    began = time.monotonic()
    ran = casefac("demo", env=env, timeout=120)
    found = re.search(r"Case (JIM-\d{4}-\d+) CLOSED", ran.stdout)
    return DemoRun(ran.returncode, ran.stdout + ran.stderr, time.monotonic() - began, found[1] if found else None)


@pytest.fixture(scope="session")
def joined_demo(up_stack: UpProcess) -> DemoRun:
    """``casefac demo`` once against the shared running stack; tests read its output and its case."""
    return run_demo(up_stack.env)
