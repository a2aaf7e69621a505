"""Fixtures for the activity tests: one sandbox per session, real SDKs over HTTP (HTTPS for OAuth).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from casefac.settings import DocuSignSettings, SendGridSettings, StripeSettings
from sandbox.capture import CaptureServer
from sandbox.config import SandboxConfig
from sandbox.testing import RunningSandbox, running_sandbox


@dataclass(frozen=True)
class TlsMaterial:
    cert_file: Path
    key_file: Path
    jwt_private_key_file: Path
    jwt_public_pem: str


def _write_key(key: rsa.RSAPrivateKey, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """A self-signed loopback server certificate (its own CA) and the integration's RSA key pair."""
    directory = tmp_path_factory.mktemp("tls")
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                    x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(server_key, hashes.SHA256())
    )
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(server_key, key_file)
    jwt_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwt_file = directory / "docusign-integration.key"
    _write_key(jwt_key, jwt_file)
    public = jwt_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return TlsMaterial(cert_file, key_file, jwt_file, public)


@pytest.fixture(scope="session")
def capture() -> Iterator[CaptureServer]:
    """Receives the sandbox's webhooks (Connect, SendGrid events, Stripe events)."""
    with CaptureServer() as server:
        yield server


@pytest.fixture(scope="session")
def sandbox(tls: TlsMaterial, capture: CaptureServer) -> Iterator[RunningSandbox]:
    config = SandboxConfig(
        docusign_rsa_public_key_pem=tls.jwt_public_pem,
        sendgrid_webhook_url=f"{capture.url}/sendgrid",
        stripe_webhook_url=f"{capture.url}/stripe",
        webhook_retry_base_seconds=0.05,
        webhook_retry_max_seconds=0.2,
        webhook_max_attempts=3,
    )
    with running_sandbox(config, oauth_tls=True, certfile=tls.cert_file, keyfile=tls.key_file) as sb:
        yield sb


@pytest.fixture(autouse=True)
def _clean(sandbox: RunningSandbox, capture: CaptureServer) -> Iterator[None]:
    sandbox.admin("POST", "/_sandbox/reset")
    capture.clear()
    yield
    sandbox.admin("DELETE", "/_sandbox/faults")


@pytest.fixture
def docusign_settings(sandbox: RunningSandbox) -> DocuSignSettings:
    cfg = sandbox.config
    return DocuSignSettings(host=sandbox.docusign_host, oauth_host=sandbox.oauth_host_name or "",
                            account_id=cfg.docusign_account_id, integration_key=cfg.docusign_integration_key,
                            user_id=cfg.docusign_user_id, static_token=SecretStr(cfg.docusign_static_token))


@pytest.fixture
def sendgrid_settings(sandbox: RunningSandbox) -> SendGridSettings:
    return SendGridSettings(host=sandbox.base_url, api_key=SecretStr(sandbox.config.sendgrid_api_key))


@pytest.fixture
def stripe_settings(sandbox: RunningSandbox) -> StripeSettings:
    return StripeSettings(api_base=sandbox.base_url, api_key=SecretStr(sandbox.config.stripe_api_key))


def inject(sandbox: RunningSandbox, route: str, status: int | None, count: int = 1,
           delay_seconds: float = 0.0) -> Any:
    """Make the next ``count`` calls matching ``"METHOD path-regex"`` fail with ``status`` (or be slow)."""
    return sandbox.admin("POST", "/_sandbox/faults", {"route": route, "status": status, "count": count,
                                                      "delay_seconds": delay_seconds})
