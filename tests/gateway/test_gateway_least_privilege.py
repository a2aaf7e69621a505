"""Attack (review M7): one RCE in the internet-facing gateway must not yield DocuSign or Stripe credentials.

Before the fix the gateway process loaded the DocuSign RSA key (``signature impersonation``) to open
recipient views itself, and live mode refused to start it without the Stripe secret key. Now views run on
the worker (``SigningViewWorkflow``); the gateway starts in live mode without those keys, and drops them if
its environment holds them anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from casefac.settings import Settings
from gateway.edge_settings import EdgeSettings, edge_view
from tests.conftest import LIVE_ENV

WORKER_ONLY = ("CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE", "CASEFAC_STRIPE__API_KEY", "CASEFAC_SENDGRID__API_KEY")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def edge_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A live gateway's environment: everything but the provider API keys."""
    for name in [n for n in os.environ if n.startswith("CASEFAC_")]:
        monkeypatch.delenv(name)
    for name, value in LIVE_ENV.items():
        if name not in WORKER_ONLY:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("CASEFAC_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # no .env here


def test_the_gateway_starts_in_live_mode_without_provider_keys(edge_env: None) -> None:
    with pytest.raises(ValidationError) as full:
        Settings(_env_file=None)  # type: ignore[call-arg]  # a worker still needs them
    assert "CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE" in str(full.value)
    edge = EdgeSettings(_env_file=None)  # type: ignore[call-arg]
    assert edge.mode == "live" and edge.docusign.private_key_file is None


def test_keys_in_the_environment_are_dropped(edge_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in WORKER_ONLY:
        monkeypatch.setenv(name, LIVE_ENV[name])
    edge = EdgeSettings(_env_file=None)  # type: ignore[call-arg]
    assert edge.docusign.private_key_file is None and edge.docusign.static_token is None
    assert edge.stripe.api_key.get_secret_value() == "" and edge.sendgrid.api_key.get_secret_value() == ""


def test_an_app_built_from_full_settings_keeps_a_stripped_copy(tmp_path: Path) -> None:
    """``create_app`` (``casefac up``, the tests) gets full settings: it keeps only ``edge_view``'s copy."""
    full = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    edge = edge_view(full)
    assert edge.stripe.api_key.get_secret_value() == "" and edge.docusign.static_token is None
    assert edge.stripe.webhook_secret == full.stripe.webhook_secret  # what the webhooks need stays
    assert full.stripe.api_key.get_secret_value() == "sk_test_sandbox"  # the caller's object is untouched


def test_the_gateway_process_never_loads_the_docusign_sdk() -> None:
    """The DocuSign SDK (and so any code path that could use a private key) is not even imported."""
    code = ("import sys, gateway.server, gateway.app; "
            "print(sorted(m for m in ('docusign_esign', 'activities.esign', 'activities.signing_view') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("CASEFAC_")})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
