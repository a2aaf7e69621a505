"""Settings from the environment (``CASEFAC_*``, nested with ``__``) or a ``.env`` file.

Secrets live here and nowhere else; only ``workers/``, ``gateway/`` and ``starters/`` read settings and
wire them to clients. The defaults are the embedded local stack: dev server + sandbox on loopback.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

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
    #: W2 (security C2 §5): the largest Connect transfer ``billing.pay_defender`` makes, in minor units.
    max_transfer: int = 500_000


class GatewaySettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8400
    public_url: str = "http://127.0.0.1:8400"
    link_secret: SecretStr = SecretStr("dev-only-link-secret-change-me-0123456789")
    #: Portal links' default lifetime, per-action lifetimes, and the cap none may exceed (review M2): the
    #: signing pages live as long as the reminder interval that re-sends them; task and report pages show
    #: no past notes and are re-sent rarely, so they get the cap.
    link_ttl_hours: int = 7 * 24
    link_ttl_hours_by_action: dict[str, int] = Field(default_factory=lambda: {
        "sign_contract": 3 * 24, "sign_agreement": 3 * 24, "update_task": 14 * 24, "submit_report": 14 * 24,
        "report_outcome": 14 * 24})
    link_max_ttl_hours: int = 14 * 24
    #: ``Host`` values the gateway answers besides loopback and ``public_url``'s host (review m9).
    allowed_hosts: list[str] = []
    #: Webhook replay windows (review m2): a SendGrid signed timestamp older than this (or in the future
    #: by more than a minute) is refused; a DocuSign Connect delivery generated longer ago than Connect
    #: keeps retrying is acknowledged and dropped.
    sendgrid_max_age_seconds: int = 600
    docusign_max_age_hours: int = 15 * 24


class CodecSettings(BaseModel):
    """The codec service (``casefac codec``, review C1): its own listener, never the public gateway's.

    ``auth="loopback"`` is the local stack's: no login, the listener on loopback, answers only to the
    Temporal UI's origin. ``auth="oidc"`` (required in live mode) verifies the access token the UI passes
    ("pass access token") against ``jwks`` (a file path or an https URL) and reads roles from
    ``role_claim``; finance's decodes are redacted to the money trail (review m11).
    """

    host: str = "127.0.0.1"
    port: int = 8402
    #: The Temporal Web UI's origin: the only origin answered (CORS and an ``Origin`` check).
    ui_origin: str = "http://127.0.0.1:8233"
    auth: Literal["loopback", "oidc"] = "loopback"
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    jwks: str | None = None
    role_claim: str = "groups"
    coordinator_role: str = "casefac-coordinator"
    finance_role: str = "casefac-finance"
    #: ``/encode`` (a ciphertext oracle, review m5): off unless a coordinators' tool needs it; coordinators only.
    encode_enabled: bool = False
    #: Append-only JSON lines, one per decode (who, which workflows, when, how many); never payload content.
    audit_file: Path | None = None
    requests_per_minute: int = 600


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


class StaffSettings(BaseModel):
    """S2: signed staff updates (``casefac staff``; security review C2 §3).

    ``require_signatures`` unset means: required in live mode, not otherwise; ``casefac up`` sets it for the
    local stack. It reaches each new case's policy (``CasePolicy.require_staff_signatures``) when opened.
    """

    require_signatures: bool | None = None
    #: Where this member's private keys are (``<id>.key``, 0600); default ``$CASEFAC_HOME/staff`` or
    #: ``~/.config/casefac/staff``. The local stack's development keys are in ``<data dir>/staff-keys``.
    keys_dir: Path | None = None


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
    codec: CodecSettings = Field(default_factory=CodecSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    records: RecordsSettings = Field(default_factory=RecordsSettings)
    suggest: SuggestSettings = Field(default_factory=SuggestSettings)
    staff: StaffSettings = Field(default_factory=StaffSettings)
    #: S3 (M7): False for the public gateway's view, which needs no provider API keys.
    needs_provider_keys: ClassVar[bool] = True

    @property
    def staff_signatures_required(self) -> bool:
        """S1: the deployment requires signed staff updates (always in live mode): the worker's guard then
        refuses unsigned ones on every case and entity, whatever an older run's policy says."""
        return self.mode == "live" or bool(self.policy.require_staff_signatures)

    @model_validator(mode="after")
    def _staff_signatures_in_policy(self) -> Settings:
        """S2: new cases require signed staff updates in live mode (no opt-out) or when the setting says so."""
        wanted = self.staff.require_signatures
        if self.mode == "live":
            if wanted is False:
                raise ValueError("live mode requires signed staff updates: remove CASEFAC_STAFF__REQUIRE_SIGNATURES")
            wanted = True
        if wanted is not None and self.policy.require_staff_signatures != wanted:
            self.policy = self.policy.model_copy(update={"require_staff_signatures": wanted})
        return self

    @model_validator(mode="after")
    def _live_mode_has_real_secrets(self) -> Settings:
        """Live mode never runs on the sandbox's defaults: each one left in place is named, with its variable.

        Then every other live-mode refusal (``casefac.settings_checks``, review M6); outside live mode, the
        public dev secrets on a gateway others can reach.
        """
        from casefac.settings_checks import dev_secret_problems, live_problems

        if self.mode != "live":
            self._use_data_dir_dev_secrets()
            if problems := dev_secret_problems(self):
                raise ValueError("; ".join(problems))
            return self
        self.docusign.static_token = None  # live DocuSign always uses the JWT grant
        defaults = {
            "CASEFAC_GATEWAY__LINK_SECRET": self.gateway.link_secret.get_secret_value().startswith("dev-only"),
            # S3 (M7): the public gateway (``gateway.edge_settings.EdgeSettings``) holds no provider API keys.
            "CASEFAC_SENDGRID__API_KEY": self.needs_provider_keys
            and self.sendgrid.api_key.get_secret_value() == "SG.sandbox",
            "CASEFAC_STRIPE__API_KEY": self.needs_provider_keys
            and self.stripe.api_key.get_secret_value() == "sk_test_sandbox",
            "CASEFAC_STRIPE__WEBHOOK_SECRET": self.stripe.webhook_secret.get_secret_value() == "whsec_sandbox",
            "CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS": any(k.get_secret_value() == "sandbox-connect-hmac-key"
                                                      for k in self.docusign.connect_hmac_keys),
            "CASEFAC_DOCUSIGN__PRIVATE_KEY_FILE": self.needs_provider_keys and self.docusign.private_key_file is None,
            "CASEFAC_SENDGRID__WEBHOOK_PUBLIC_KEY": self.sendgrid.webhook_public_key is None,
        }
        missing = [name for name, still_default in defaults.items() if still_default]
        problems = ["live mode needs real values for: " + ", ".join(missing)] if missing else []
        problems += live_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _use_data_dir_dev_secrets(self) -> None:
        """Outside live mode, ``<data dir>/dev-secrets.json`` (``casefac up`` makes it) replaces the packaged
        constants for every secret the environment leaves unset (``casefac.dev_secrets``)."""
        from casefac import dev_secrets

        found = dev_secrets.load(self.data_dir)
        if not found:
            return
        if "link_secret" not in self.gateway.model_fields_set and found.get("link_secret"):
            self.gateway.link_secret = SecretStr(found["link_secret"])
        if "webhook_secret" not in self.stripe.model_fields_set and found.get("stripe_webhook_secret"):
            self.stripe.webhook_secret = SecretStr(found["stripe_webhook_secret"])
        if "connect_hmac_keys" not in self.docusign.model_fields_set and found.get("docusign_connect_hmac_key"):
            self.docusign.connect_hmac_keys = [SecretStr(found["docusign_connect_hmac_key"])]

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
