"""Sandbox settings: one object that every emulator reads, so tests can tune it in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SandboxConfig(BaseSettings):
    """Everything the emulators need; read from ``SANDBOX_*`` env vars when run as a server.

    Secrets here are sandbox-only values; defaults make ``SandboxConfig()`` usable as is.
    """

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8700
    public_base_url: str | None = None

    # DocuSign
    docusign_account_id: str = "00000000-0000-4000-8000-000000000001"
    docusign_account_name: str = "Casefac Sandbox"
    docusign_integration_key: str = "00000000-0000-4000-8000-0000000000aa"
    docusign_user_id: str = "00000000-0000-4000-8000-0000000000bb"
    docusign_rsa_public_key_pem: str | None = None
    docusign_static_token: str = "sandbox-token"
    docusign_token_ttl_seconds: int = 3600
    docusign_connect_hmac_keys: list[str] = Field(default_factory=lambda: ["sandbox-connect-hmac-key"])
    docusign_connect_configuration_id: int = 10000001  # an integer in live Connect messages
    signing_view_ttl_seconds: int = 300
    #: False: the user never granted the integration consent, so the JWT grant answers ``consent_required``
    #: (the first thing a fresh live integration meets).
    docusign_consent_given: bool = True

    # SendGrid
    sendgrid_api_key: str = "SG.sandbox-key"
    sendgrid_webhook_url: str | None = None
    sendgrid_webhook_private_key_pem: str | None = None
    sendgrid_bounce_addresses: list[str] = Field(default_factory=list)
    #: Verified Sender Identities (``GET /v3/verified_senders``). When set, a from-address neither in it nor
    #: on an authenticated domain gets SendGrid's 403; None accepts any sender (and lists none).
    sendgrid_verified_senders: list[str] | None = None
    #: Authenticated sending domains (``GET /v3/whitelabel/domains``): every address on them may send.
    sendgrid_authenticated_domains: list[str] = Field(default_factory=lambda: ["justiceinmotion.example.org"])
    #: What the API key may do (``GET /v3/scopes``); casefac needs ``mail.send``.
    sendgrid_scopes: list[str] = Field(default_factory=lambda: ["mail.send", "user.webhooks.event.settings.read"])

    # Stripe
    stripe_api_key: str = "sk_test_sandbox"
    stripe_webhook_url: str | None = None
    stripe_webhook_secret: str = "whsec_sandbox"
    #: Default: what casefac's endpoint subscribes to (``gateway/webhooks_stripe.py`` EVENT_KINDS, which the
    #: doctor requires), as a correctly set up Dashboard endpoint would.
    stripe_webhook_events: list[str] = Field(
        default_factory=lambda: ["invoice.paid", "invoice.payment_failed", "invoice.voided",
                                 "invoice.marked_uncollectible", "invoice.updated", "credit_note.created",
                                 "charge.refunded", "charge.dispute.created", "charge.dispute.closed",
                                 "transfer.reversed"]
    )
    #: The pinned stripe-python's API version (``stripe.api_version``): events claim it, objects follow it.
    stripe_api_version: str = "2026-10-28.endive"
    stripe_connected_accounts: list[str] = Field(
        default_factory=lambda: ["acct_defmx001", "acct_defgt001", "acct_defsv001"]
    )
    #: The platform's available balance per currency (minor units), what transfers are paid from.
    stripe_balance: dict[str, int] = Field(default_factory=lambda: {"usd": 100_000_000, "cad": 100_000_000})
    #: Connected accounts whose ``transfers`` capability is not active (onboarding unfinished).
    stripe_accounts_without_transfers: list[str] = Field(default_factory=list)
    #: Connected accounts that exist in live mode only: a test-mode key cannot see them.
    stripe_live_mode_accounts: list[str] = Field(default_factory=list)
    #: False: the platform never signed up for Connect (listing or paying connected accounts is refused).
    stripe_connect_enabled: bool = True
    #: Webhook endpoints registered in the Dashboard (``GET /v1/webhook_endpoints``); None: one endpoint,
    #: ``stripe_webhook_url`` with ``stripe_webhook_events``, as the sandbox delivers.
    stripe_webhook_endpoints: list[dict[str, Any]] | None = None
    #: Stripe's search index trails writes ("less than a minute" normally): a customer created less than
    #: this many seconds ago (the value at its creation) is not returned by ``/v1/customers/search``;
    #: ``GET /v1/customers?email=`` and retrieve are consistent. 0: searchable at once.
    stripe_search_lag_seconds: float = Field(default=0.0, ge=0.0)

    # Webhook delivery and persistence
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 0.5
    webhook_retry_max_seconds: float = 60.0
    webhook_timeout_seconds: float = 5.0
    #: Deliveries in flight at once (each delivery has at most one attempt in flight). Real providers
    #: deliver concurrently and promise no order; 1 sends first attempts in enqueue order (a failed
    #: delivery still waits out its backoff while later ones go).
    webhook_concurrency: int = Field(default=16, ge=1)
    state_file: Path | None = None
    #: When set, every provider exchange and webhook is appended to a JSON-lines file in this directory
    #: (:mod:`sandbox.recorder`), for the contract tests.
    record_dir: Path | None = None

    @property
    def base_url(self) -> str:
        """Public URL used in links (signing views, hosted invoices, envelope uris)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"
