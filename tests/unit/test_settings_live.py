"""M6 and m6: what live mode refuses, each refusal naming its variable and its fix; dev secrets per data dir.

Each case starts from a complete live configuration (``tests.conftest.LIVE_ENV``) and changes one thing an
operator could get wrong; the attack is what that one thing would allow (a live API key sent in clear
text to 127.0.0.1:8300, a link forged with a guessable secret, a decoder without login, …).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from casefac import dev_secrets
from casefac.codec import codec_from_settings
from casefac.keyring import KeyRing, KeyRingError
from casefac.settings import PACKAGE_DIR, Settings
from casefac.settings_checks import secret_bytes
from starters.stack.plan import environ
from tests.conftest import LIVE_ENV, live_settings


def _refusal(**env: str) -> str:
    with pytest.raises(ValidationError) as err:
        live_settings(**env)
    return str(err.value)


def test_the_complete_live_configuration_is_accepted() -> None:
    settings = live_settings()
    assert settings.mode == "live" and settings.codec.auth == "oidc"


@pytest.mark.parametrize(("variable", "value", "fix"), [
    ("CASEFAC_SENDGRID__HOST", "http://api.sendgrid.com", "https://"),
    ("CASEFAC_STRIPE__API_BASE", "http://127.0.0.1:8300", "https://"),
    ("CASEFAC_STRIPE__API_BASE", "https://127.0.0.1:8300", "real address"),
    ("CASEFAC_DOCUSIGN__HOST", "https://localhost/restapi", "real address"),
    ("CASEFAC_DOCUSIGN__HOST", "https://proxy.example.org:8300/restapi", "real address"),
    ("CASEFAC_DOCUSIGN__OAUTH_HOST", "127.0.0.1:8301", "account.docusign.com"),
    ("CASEFAC_GATEWAY__PUBLIC_URL", "http://casefac.example.org", "https://"),
    ("CASEFAC_GATEWAY__PUBLIC_URL", "https://127.0.0.1:8400", "https://"),
])
def test_provider_hosts_and_public_url_must_be_real_https(variable: str, value: str, fix: str) -> None:
    message = _refusal(**{variable: value})
    assert variable in message and fix in message


def test_temporal_needs_tls_or_an_api_key_except_on_explicit_loopback() -> None:
    message = _refusal(CASEFAC_TEMPORAL__ADDRESS="temporal.internal:7233")
    assert "CASEFAC_TEMPORAL__ADDRESS" in message and "CASEFAC_TEMPORAL__API_KEY" in message
    assert _refusal(CASEFAC_TEMPORAL__ADDRESS="localhost:7233")  # a name, not an explicit loopback address
    assert live_settings(CASEFAC_TEMPORAL__ADDRESS="127.0.0.1:7233").temporal.address == "127.0.0.1:7233"
    assert live_settings(CASEFAC_TEMPORAL__ADDRESS="ns.a1b2.tmprl.cloud:7233", CASEFAC_TEMPORAL__API_KEY="k")
    assert live_settings(CASEFAC_TEMPORAL__ADDRESS="temporal.internal:7233", CASEFAC_TEMPORAL__TLS="true")


@pytest.mark.parametrize("secret", ["a-real-link-secret-0123456789", "x" * 80, "0123456789abcdef" * 3,
                                    "dev-only-link-secret-change-me-0123456789"])
def test_link_secret_needs_32_random_bytes(secret: str) -> None:
    message = _refusal(CASEFAC_GATEWAY__LINK_SECRET=secret)
    assert "CASEFAC_GATEWAY__LINK_SECRET" in message and "token_urlsafe" in message


def test_webhook_keys_need_strength() -> None:
    assert "CONNECT_HMAC_KEYS item(s) [1]" in _refusal(
        CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS='["Yk3N8qT1vX6mB9zR2wC5fH0jL4pS7dG1aE6uI3oKxZc=", "short-key"]')
    assert "Stripe Dashboard" in _refusal(CASEFAC_STRIPE__WEBHOOK_SECRET="whsec_test_live_placeholder")
    assert "Stripe Dashboard" in _refusal(CASEFAC_STRIPE__WEBHOOK_SECRET="Tq8vZ2mK5nR1xW7bY4cL9dF3gH6jP0sAxx")


def test_secret_strength_estimate() -> None:
    import secrets

    assert secret_bytes(secrets.token_urlsafe(43)) >= 32 and secret_bytes(secrets.token_hex(32)) >= 32
    assert secret_bytes(secrets.token_hex(31)) < 32 and secret_bytes("ab" * 40) < 32


def test_the_packaged_sample_roster_is_refused(tmp_path: Path) -> None:
    assert "CASEFAC_ROSTER_FILE" in _refusal(CASEFAC_ROSTER_FILE=str(PACKAGE_DIR / "data" / "roster.yaml"))
    copy = tmp_path / "roster.yaml"
    shutil.copy(PACKAGE_DIR / "data" / "roster.yaml", copy)
    assert "sample roster" in _refusal(CASEFAC_ROSTER_FILE=str(copy))


@pytest.mark.parametrize(("variable", "value"), [
    ("CASEFAC_GATEWAY__LINK_TTL_HOURS", "2000"), ("CASEFAC_GATEWAY__LINK_MAX_TTL_HOURS", "9999"),
    ("CASEFAC_STRIPE__WEBHOOK_TOLERANCE_SECONDS", "86400"),
])
def test_link_lifetime_and_webhook_tolerance_are_capped(variable: str, value: str) -> None:
    assert variable in _refusal(**{variable: value})


def _codec_refusal(**env: str) -> str:
    from codec_service.server import CodecConfigError, build_server

    with pytest.raises(CodecConfigError) as err:
        build_server(live_settings(**env))
    return str(err.value)


def test_the_live_codec_service_needs_people_authentication() -> None:
    message = _codec_refusal(CASEFAC_CODEC__AUTH="loopback")
    assert "CASEFAC_CODEC__AUTH=loopback has no login" in message and "oidc" in message
    assert "CASEFAC_CODEC__JWKS" in _codec_refusal(CASEFAC_CODEC__JWKS="http://idp.example.org/certs")
    assert "CASEFAC_CODEC__UI_ORIGIN" in _codec_refusal(CASEFAC_CODEC__UI_ORIGIN="http://temporal.example.org")
    assert live_settings(CASEFAC_CODEC__AUTH="loopback").mode == "live"  # a worker needs no codec settings


def test_every_problem_is_reported_at_once() -> None:
    message = _refusal(CASEFAC_SENDGRID__HOST="http://x.example", CASEFAC_GATEWAY__LINK_SECRET="short",
                       CASEFAC_STRIPE__WEBHOOK_TOLERANCE_SECONDS="9999")
    assert all(v in message for v in ("CASEFAC_SENDGRID__HOST", "CASEFAC_GATEWAY__LINK_SECRET",
                                      "CASEFAC_STRIPE__WEBHOOK_TOLERANCE_SECONDS"))


# -- m6: the key ring's permissions ----------------------------------------------------------------------------
def test_live_mode_refuses_a_key_ring_readable_by_others(tmp_path: Path) -> None:
    ring_file = tmp_path / "keyring.json"
    KeyRing.generate("k").save(ring_file)
    os.chmod(ring_file, 0o640)
    settings = live_settings(CASEFAC_KEYRING_FILE=str(ring_file))
    with pytest.raises(KeyRingError, match=r"wider than 0600.*chmod 600"):
        codec_from_settings(settings)
    os.chmod(ring_file, 0o600)
    assert codec_from_settings(settings).current_key_id == "k"
    os.chmod(ring_file, 0o644)  # sandbox mode only warns (a laptop checkout)
    with environ({"CASEFAC_KEYRING_FILE": str(ring_file)}):
        assert codec_from_settings(Settings(_env_file=None)).current_key_id == "k"  # type: ignore[call-arg]


# -- every mode: no public secrets where others can reach --------------------------------------------------------
def _sandbox(**env: str) -> Settings:
    with environ(env):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_reachable_gateway_with_the_packaged_dev_secrets_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"public development secrets.*CASEFAC_GATEWAY__LINK_SECRET"):
        _sandbox(CASEFAC_DATA_DIR=str(tmp_path), CASEFAC_GATEWAY__HOST="0.0.0.0")
    with pytest.raises(ValidationError, match="CASEFAC_STRIPE__WEBHOOK_SECRET"):
        _sandbox(CASEFAC_DATA_DIR=str(tmp_path), CASEFAC_GATEWAY__PUBLIC_URL="https://demo.jim.example.org")
    assert _sandbox(CASEFAC_DATA_DIR=str(tmp_path)).gateway.host == "127.0.0.1"  # loopback: fine


def test_casefac_up_gives_each_data_dir_its_own_random_secrets(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for data_dir in (one, two):
        dev_secrets.load_or_create(data_dir)
        assert stat.S_IMODE(dev_secrets.path_in(data_dir).stat().st_mode) == 0o600
    first, second = _sandbox(CASEFAC_DATA_DIR=str(one)), _sandbox(CASEFAC_DATA_DIR=str(two))
    assert first.gateway.link_secret.get_secret_value() != second.gateway.link_secret.get_secret_value()
    assert not first.gateway.link_secret.get_secret_value().startswith("dev-only")
    assert first.stripe.webhook_secret.get_secret_value() != "whsec_sandbox"
    assert [k.get_secret_value() for k in first.docusign.connect_hmac_keys] != ["sandbox-connect-hmac-key"]
    # With random secrets a gateway may listen beyond loopback (a LAN demo); explicit values still win.
    assert _sandbox(CASEFAC_DATA_DIR=str(one), CASEFAC_GATEWAY__HOST="0.0.0.0").gateway.host == "0.0.0.0"
    explicit = _sandbox(CASEFAC_DATA_DIR=str(one), CASEFAC_GATEWAY__LINK_SECRET="mine-" + "z" * 40)
    assert explicit.gateway.link_secret.get_secret_value() == "mine-" + "z" * 40


def test_live_mode_never_reads_dev_secrets(tmp_path: Path) -> None:
    dev_secrets.load_or_create(tmp_path)
    settings = live_settings(CASEFAC_DATA_DIR=str(tmp_path))
    assert settings.gateway.link_secret.get_secret_value() == LIVE_ENV["CASEFAC_GATEWAY__LINK_SECRET"]
