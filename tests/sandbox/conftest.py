"""Fixtures for the sandbox tests: one sandbox (with TLS OAuth) and one webhook receiver per session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.capture import CaptureServer
from sandbox.config import SandboxConfig
from sandbox.testing import RunningSandbox, running_sandbox

HMAC_KEYS = ["connect-key-one", "connect-key-two"]


@pytest.fixture(scope="session")
def rsa_keypair() -> tuple[bytes, str]:
    """(private PEM bytes for the SDK, public PEM for the sandbox config)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


@pytest.fixture(scope="session")
def capture() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server


@pytest.fixture(scope="session")
def sandbox(capture: CaptureServer, rsa_keypair: tuple[bytes, str]) -> Iterator[RunningSandbox]:
    config = SandboxConfig(
        docusign_rsa_public_key_pem=rsa_keypair[1],
        docusign_connect_hmac_keys=HMAC_KEYS,
        stripe_webhook_url=f"{capture.url}/stripe",
        sendgrid_webhook_url=f"{capture.url}/sendgrid",
        webhook_max_attempts=5,
        webhook_retry_base_seconds=0.05,
        webhook_retry_max_seconds=0.5,
    )
    with running_sandbox(config, oauth_tls=True) as sb:
        yield sb


@pytest.fixture(autouse=True)
def _clean(sandbox: RunningSandbox, capture: CaptureServer) -> Iterator[None]:
    """Each test starts from an empty sandbox and an empty receiver."""
    sandbox.admin("POST", "/_sandbox/reset")
    capture.clear()
    yield
    sandbox.admin("DELETE", "/_sandbox/faults")
