"""A sandbox of the contract tests' own, recording into a temporary directory (the flows run in it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.capture import CaptureServer
from sandbox.config import SandboxConfig
from sandbox.testing import RunningSandbox, running_sandbox
from tests.activities.conftest import TlsMaterial, tls  # noqa: F401 - the activity tests' TLS fixture


@pytest.fixture(scope="module")
def capture() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server


@pytest.fixture(scope="module")
def record_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("contract-exchanges")


@pytest.fixture(scope="module")
def recording_sandbox(tls: TlsMaterial, capture: CaptureServer, record_dir: Path  # noqa: F811
                      ) -> Iterator[RunningSandbox]:
    config = SandboxConfig(
        docusign_rsa_public_key_pem=tls.jwt_public_pem,
        sendgrid_webhook_url=f"{capture.url}/sendgrid",
        stripe_webhook_url=f"{capture.url}/stripe",
        stripe_webhook_events=["*"],
        webhook_retry_base_seconds=0.05,
        webhook_retry_max_seconds=0.2,
        webhook_max_attempts=3,
        record_dir=record_dir,
    )
    with running_sandbox(config, oauth_tls=True, certfile=tls.cert_file, keyfile=tls.key_file) as sb:
        yield sb
