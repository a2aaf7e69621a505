"""``casefac gateway`` in live mode without provider API keys (review M7), as an operator would run it.

The public gateway verifies webhooks and signs portal links; it never calls a provider's API, so its host
holds no DocuSign private key, no Stripe secret key and no SendGrid API key. ``python -m gateway.server``
already read ``EdgeSettings``; the ``casefac gateway`` command used to read the full ``Settings`` and so
refused to start live without those keys. Here it runs as a real process until ``/healthz`` answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from casefac.keyring import KeyRing
from casefac.settings import Settings
from tests.conftest import LIVE_ENV

#: What only the worker needs: never in the gateway's environment.
PROVIDER_KEYS = ("CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE", "CASEFAC_STRIPE__API_KEY", "CASEFAC_SENDGRID__API_KEY")
CASEFAC = Path(sys.executable).with_name("casefac")


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (Temporal is "down": the gateway must start anyway)."""
    return free_loopback_port()


@pytest.fixture
def edge_env(tmp_path: Path) -> dict[str, str]:
    """A live gateway host's environment: https public URL, strong secrets, a key ring, no provider keys."""
    ring = tmp_path / "keyring.json"
    KeyRing.generate("live-key").save(ring)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFAC_")}
    env |= {k: v for k, v in LIVE_ENV.items() if k not in PROVIDER_KEYS}
    env |= {"CASEFAC_DATA_DIR": str(tmp_path / "data"), "CASEFAC_KEYRING_FILE": str(ring),
            "CASEFAC_GATEWAY__HOST": "127.0.0.1", "CASEFAC_GATEWAY__PORT": str(free_loopback_port()),
            "CASEFAC_TEMPORAL__ADDRESS": f"127.0.0.1:{closed_loopback_port()}"}
    assert not any(k in env for k in PROVIDER_KEYS)
    return env


@pytest.fixture
def gateway_process(edge_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``casefac gateway`` started in ``tmp_path`` (no ``.env`` there); stopped with SIGINT, killed if need be."""
    argv = [str(CASEFAC)] if CASEFAC.exists() else [sys.executable, "-m", "starters.cli"]
    log = tmp_path / "gateway.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*argv, "gateway"], cwd=tmp_path, env=edge_env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc, log  # its output, shown on failure
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def wait_for_health(proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 30.0) -> httpx.Response:
    """``GET url`` until it answers (fail at once if the process exits, or after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"casefac gateway exited {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail(f"no answer from {url} within {timeout}s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)  # polling the listener, with a deadline


def test_live_gateway_starts_without_provider_keys(
        edge_env: dict[str, str], gateway_process: tuple[subprocess.Popen[bytes], Path],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The environment is live and complete for the gateway, yet a worker could not start from it.
    for name, value in edge_env.items():
        if name.startswith("CASEFAC_"):
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValidationError, match="CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE"):
        Settings(_env_file=None)  # type: ignore[call-arg]

    proc, log = gateway_process
    url = f"http://127.0.0.1:{edge_env['CASEFAC_GATEWAY__PORT']}/healthz"
    health = wait_for_health(proc, url, log)
    assert health.status_code == 200, health.text
    assert health.json()["temporal"]["reachable"] is False  # a loopback probe sees Temporal is down
    assert proc.poll() is None

    proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop
    assert proc.wait(timeout=15) in (0, -signal.SIGINT, 128 + signal.SIGINT), log.read_text()
