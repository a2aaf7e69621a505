"""Settings from the environment (``CASEFAC_*``, nested with ``__``) or a ``.env`` file.

Secrets live here and nowhere else; only ``workers/``, ``gateway/`` and ``starters/`` read settings and
wire them to clients. The defaults are the embedded local stack: dev server + sandbox on loopback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from casefac.policy import CasePolicy
from casefac.ranking import Weights

PACKAGE_DIR = Path(__file__).resolve().parent


class TemporalSettings(BaseModel):
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    tls: bool = False
    tls_server_root_ca_cert: Path | None = None
    tls_client_cert: Path | None = None
    tls_client_key: Path | None = None
    api_key: SecretStr | None = None
    ui_port: int = 8233


class DocuSignSettings(BaseModel):
    #: REST host including ``/restapi`` (sandbox default; demo: https://demo.docusign.net/restapi).
    host: str = "http://127.0.0.1:8300/restapi"
    #: OAuth host name without scheme (``account-d.docusign.com`` demo, ``account.docusign.com`` prod).
    oauth_host: str = "127.0.0.1:8301"
    oauth_ca_cert: Path | None = None
    account_id: str = "sandbox-account"
    integration_key: str = "sandbox-integration-key"
    user_id: str = "sandbox-user"
    private_key_file: Path | None = None
    #: When set, used instead of the JWT grant (the sandbox accepts it; never in live mode).
    static_token: SecretStr | None = SecretStr("sandbox-token")
    connect_hmac_keys: list[SecretStr] = [SecretStr("sandbox-connect-hmac-key")]
    jim_signer_name: str = "Justice in Motion"
    jim_signer_email: str = "contracts@justiceinmotion.example.org"
    calls_per_hour: int = 1000


class SendGridSettings(BaseModel):
    host: str = "http://127.0.0.1:8300"
    api_key: SecretStr = SecretStr("SG.sandbox")
    from_email: str = "casefac@justiceinmotion.example.org"
    from_name: str = "Justice in Motion"
    staff_email: str = "coordinators@justiceinmotion.example.org"
    finance_email: str = "finance@justiceinmotion.example.org"
    #: Base64 DER ECDSA public key for the event webhook (the sandbox publishes its own).
    webhook_public_key: str | None = None
    calls_per_second: float = 10.0


class StripeSettings(BaseModel):
    api_base: str = "http://127.0.0.1:8300"
    api_key: SecretStr = SecretStr("sk_test_sandbox")
    webhook_secret: SecretStr = SecretStr("whsec_sandbox")
    webhook_tolerance_seconds: int = 300
    calls_per_second: float = 20.0


class GatewaySettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8400
    public_url: str = "http://127.0.0.1:8400"
    link_secret: SecretStr = SecretStr("dev-only-link-secret-change-me")
    link_ttl_hours: int = 14 * 24
    codec_token: SecretStr = SecretStr("dev-only-codec-token")
    ui_origin: str = "http://127.0.0.1:8233"


class SandboxSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8300
    oauth_port: int = 8301


class SuggestSettings(BaseModel):
    """``casefac suggest``: how much each reason weighs (``CASEFAC_SUGGEST__WEIGHTS__LOAD=3``…)."""

    weights: Weights = Field(default_factory=Weights)
    #: How many suggestions ``casefac open`` and ``casefac review`` print.
    shown: int = 3


class RecordsSettings(BaseModel):
    """The case record (``records/``): an SQLite file in the data dir unless a URL is given.

    Production: ``CASEFAC_RECORDS__URL=postgresql+psycopg://user:password@host/casefac``.
    """

    url: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEFAC_", env_nested_delimiter="__", env_file=".env",
                                      extra="ignore")

    mode: Literal["sandbox", "live"] = "sandbox"
    data_dir: Path = Path(".casefac")
    roster_file: Path = PACKAGE_DIR / "data" / "roster.yaml"
    documents_dir: Path | None = None
    #: Key ring file (JSON: {"current": id, "keys": {id: base64 key}}); created by ``casefac up`` if missing.
    keyring_file: Path | None = None
    policy: CasePolicy = Field(default_factory=CasePolicy)
    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    docusign: DocuSignSettings = Field(default_factory=DocuSignSettings)
    sendgrid: SendGridSettings = Field(default_factory=SendGridSettings)
    stripe: StripeSettings = Field(default_factory=StripeSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    records: RecordsSettings = Field(default_factory=RecordsSettings)
    suggest: SuggestSettings = Field(default_factory=SuggestSettings)

    @model_validator(mode="after")
    def _live_mode_has_real_secrets(self) -> Settings:
        """Live mode never runs on the sandbox's defaults: each one left in place is named, with its variable."""
        if self.mode != "live":
            return self
        self.docusign.static_token = None  # live DocuSign always uses the JWT grant
        defaults = {
            "CASEFAC_GATEWAY__LINK_SECRET": self.gateway.link_secret.get_secret_value().startswith("dev-only"),
            "CASEFAC_GATEWAY__CODEC_TOKEN": self.gateway.codec_token.get_secret_value().startswith("dev-only"),
            "CASEFAC_SENDGRID__API_KEY": self.sendgrid.api_key.get_secret_value() == "SG.sandbox",
            "CASEFAC_STRIPE__API_KEY": self.stripe.api_key.get_secret_value() == "sk_test_sandbox",
            "CASEFAC_STRIPE__WEBHOOK_SECRET": self.stripe.webhook_secret.get_secret_value() == "whsec_sandbox",
            "CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS": any(k.get_secret_value() == "sandbox-connect-hmac-key"
                                                      for k in self.docusign.connect_hmac_keys),
            "CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE": self.docusign.private_key_file is None,
            "CASEFAC_SENDGRID__WEBHOOK_PUBLIC_KEY": self.sendgrid.webhook_public_key is None,
        }
        missing = [name for name, still_default in defaults.items() if still_default]
        if missing:
            raise ValueError("live mode needs real values for: " + ", ".join(missing))
        return self

    @property
    def documents_path(self) -> Path:
        return self.documents_dir or self.data_dir / "documents"

    @property
    def records_url(self) -> str:
        """The records database URL (a secret: it may carry a password)."""
        if self.records.url is not None:
            return self.records.url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'records.sqlite3').resolve()}"

    @property
    def keyring_path(self) -> Path:
        return self.keyring_file or self.data_dir / "keyring.json"
