"""The sandbox's configuration derived from casefac settings, so both sides share one set of secrets.

The API keys, the Connect HMAC keys and the Stripe webhook secret the sandbox expects are exactly the
ones the activities send and the gateway verifies; webhooks go to the gateway; the Defenders' Stripe
Connect accounts come from the roster. Without this the sandbox's own defaults would not match.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from casefac.parties import StripeConnectPayout
from casefac.roster import parse_roster
from casefac.settings import Settings
from sandbox.config import SandboxConfig

DEFAULT_STATE_FILE = Path("sandbox/state.json")


def connected_accounts(settings: Settings) -> list[str]:
    """Stripe Connect account ids of the roster's Defenders who are paid that way."""
    roster = parse_roster(settings.roster_file.read_text(encoding="utf-8"))
    return [d.payout.account_id for d in roster.defenders if isinstance(d.payout, StripeConnectPayout)]


def _jwt_public_key(settings: Settings) -> str | None:
    """When the JWT grant is configured (no static token), let the sandbox verify it like DocuSign would."""
    ds = settings.docusign
    if ds.static_token is not None or ds.private_key_file is None:
        return None
    key = serialization.load_pem_private_key(ds.private_key_file.read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sandbox_config(settings: Settings, *, state_file: Path | None = None) -> SandboxConfig:
    gateway = settings.gateway.public_url.rstrip("/")
    ds, sg, st = settings.docusign, settings.sendgrid, settings.stripe
    return SandboxConfig(
        host=settings.sandbox.host,
        port=settings.sandbox.port,
        docusign_account_id=ds.account_id,
        docusign_integration_key=ds.integration_key,
        docusign_user_id=ds.user_id,
        # Without a static token (JWT rehearsal) the sandbox gets one nobody knows, so only the grant works.
        docusign_static_token=ds.static_token.get_secret_value() if ds.static_token else secrets.token_urlsafe(),
        docusign_rsa_public_key_pem=_jwt_public_key(settings),
        docusign_connect_hmac_keys=[k.get_secret_value() for k in ds.connect_hmac_keys],
        sendgrid_api_key=sg.api_key.get_secret_value(),
        sendgrid_webhook_url=f"{gateway}/webhooks/sendgrid",
        stripe_api_key=st.api_key.get_secret_value(),
        stripe_webhook_url=f"{gateway}/webhooks/stripe",
        stripe_webhook_secret=st.webhook_secret.get_secret_value(),
        stripe_connected_accounts=connected_accounts(settings),
        state_file=state_file or settings.data_dir / DEFAULT_STATE_FILE,
    )
