"""Sandbox settings: one object that every emulator reads, so tests can tune it in one place."""

from __future__ import annotations

from pathlib import Path

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
    docusign_connect_configuration_id: str = "10000001"
    signing_view_ttl_seconds: int = 300

    # SendGrid
    sendgrid_api_key: str = "SG.sandbox-key"
    sendgrid_webhook_url: str | None = None
    sendgrid_webhook_private_key_pem: str | None = None
    sendgrid_bounce_addresses: list[str] = Field(default_factory=list)

    # Stripe
    stripe_api_key: str = "sk_test_sandbox"
    stripe_webhook_url: str | None = None
    stripe_webhook_secret: str = "whsec_sandbox"
    stripe_webhook_events: list[str] = Field(
        default_factory=lambda: ["invoice.paid", "invoice.payment_failed", "invoice.voided"]
    )
    stripe_api_version: str = "2025-01-27.acacia"
    stripe_connected_accounts: list[str] = Field(
        default_factory=lambda: ["acct_defmx001", "acct_defgt001", "acct_defsv001"]
    )

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

    @property
    def base_url(self) -> str:
        """Public URL used in links (signing views, hosted invoices, envelope uris)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.host}:{self.port}"
