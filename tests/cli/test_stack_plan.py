"""The local stack's description and plan: YAML in step with code and settings, env precedence, ports."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from casefac.parties import StripeConnectPayout
from casefac.roster import parse_roster
from casefac.settings import Settings
from starters.stack.plan import PlanError, environ, make_plan, settings_with
from starters.stack.ports import first_busy, port_free
from starters.stack.sandbox_config import sandbox_config
from starters.stack.spec import REPO_ROOT, SpecError, StackSpec, code_search_attributes, load_spec
from tests.conftest import live_settings

SPEC = REPO_ROOT / "temporal-dev.yml"


def _settings(**env: str) -> Settings:
    with environ(env):
        return Settings(_env_file=None)  # type: ignore[call-arg]


def test_the_yaml_matches_the_code_and_the_settings_defaults() -> None:
    spec = load_spec(SPEC)
    assert spec.temporal.search_attributes == code_search_attributes()
    assert spec == StackSpec()  # the built-in defaults are the file's values
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert defaults.temporal.address == f"{spec.temporal.ip}:{spec.temporal.port}"
    assert defaults.temporal.ui_port == spec.temporal.ui_port
    assert defaults.temporal.namespace == spec.temporal.namespace
    assert (defaults.gateway.port, defaults.sandbox.port, defaults.sandbox.oauth_port) == \
        (spec.services.gateway.port, spec.services.sandbox.port, spec.services.sandbox.oauth_port)
    assert defaults.codec.ui_origin == f"http://{spec.temporal.ip}:{spec.temporal.ui_port}"
    assert defaults.codec.port == spec.services.codec.port


def test_a_spec_out_of_step_with_the_code_is_refused(tmp_path: Path) -> None:
    text = SPEC.read_text().replace("NeedsAttention: Bool", "NeedsAttention: Keyword")
    (tmp_path / "temporal-dev.yml").write_text(text)
    with pytest.raises(SpecError, match=r"differ from casefac/search_attributes\.py"):
        load_spec(tmp_path / "temporal-dev.yml")
    (tmp_path / "typo.yml").write_text("temporal: {prot: 1}\n")
    with pytest.raises(SpecError, match="invalid"):
        load_spec(tmp_path / "typo.yml")


def test_defaults_plan(tmp_path: Path) -> None:
    plan = make_plan(_settings(CASEFAC_DATA_DIR=str(tmp_path)), StackSpec())
    assert plan.temporal_address == "127.0.0.1:7233" and plan.ui_url == "http://127.0.0.1:8233"
    assert plan.db_file == tmp_path.resolve() / "temporal.sqlite"
    assert plan.codec_endpoint == "http://127.0.0.1:8402"  # the codec service: its own port, no secret
    assert plan.ui_origin == plan.ui_url  # the UI's origin is exactly the codec's CORS origin
    assert plan.env["CASEFAC_DOCUSIGN__HOST"] == "http://127.0.0.1:8300/restapi"
    assert plan.env["CASEFAC_DOCUSIGN__OAUTH_HOST"] == "127.0.0.1:8301"
    child = settings_with(plan.env)
    assert child.stripe.api_base == plan.sandbox_url and child.data_dir == tmp_path.resolve()


def test_explicit_settings_win_and_derived_urls_follow(tmp_path: Path) -> None:
    plan = make_plan(_settings(CASEFAC_DATA_DIR=str(tmp_path), CASEFAC_TEMPORAL__ADDRESS="localhost:7300",
                               CASEFAC_TEMPORAL__UI_PORT="8300", CASEFAC_GATEWAY__PORT="9400",
                               CASEFAC_SANDBOX__PORT="9300", CASEFAC_CODEC__PORT="9402"), StackSpec())
    assert plan.temporal_address == "localhost:7300" and plan.ui_origin == "http://localhost:8300"
    assert plan.gateway_url == "http://127.0.0.1:9400"
    assert plan.codec_endpoint == "http://127.0.0.1:9402"
    assert plan.env["CASEFAC_STRIPE__API_BASE"] == "http://127.0.0.1:9300"


def test_live_mode_starts_no_sandbox_and_remote_temporal_is_refused(tmp_path: Path) -> None:
    plan = make_plan(live_settings(CASEFAC_DATA_DIR=str(tmp_path)), StackSpec())
    assert not plan.with_sandbox and "CASEFAC_DOCUSIGN__HOST" not in plan.env
    assert {p.service for p in plan.ports()} == {"Temporal gRPC", "Temporal Web UI", "gateway", "codec service"}
    with pytest.raises(PlanError, match="casefac worker"):
        make_plan(_settings(CASEFAC_TEMPORAL__ADDRESS="casefac.a1b2c.tmprl.cloud:7233"), StackSpec())


def test_free_ports_are_distinct_and_free(tmp_path: Path) -> None:
    plan = make_plan(_settings(CASEFAC_DATA_DIR=str(tmp_path)), StackSpec(), free_ports=True)
    ports = [p.port for p in plan.ports()]
    assert len(set(ports)) == 6 and first_busy(plan.ports()) is None


def test_a_busy_port_names_the_service_and_the_setting(tmp_path: Path) -> None:
    plan = make_plan(_settings(CASEFAC_DATA_DIR=str(tmp_path)), StackSpec(), free_ports=True)
    gateway = next(p for p in plan.ports() if p.service == "gateway")
    with socket.socket() as holder:
        holder.bind((gateway.host, gateway.port))
        holder.listen()
        assert not port_free(gateway.host, gateway.port)
        busy = first_busy(plan.ports())
        assert busy is not None and busy.port == gateway.port
        message = busy.busy_message()
    assert f"port {gateway.port} (gateway)" in message and f"CASEFAC_GATEWAY__PORT={gateway.port + 1}" in message


def test_the_sandbox_shares_the_settings_secrets_and_the_rosters_accounts(tmp_path: Path) -> None:
    settings = _settings(CASEFAC_DATA_DIR=str(tmp_path), CASEFAC_GATEWAY__PUBLIC_URL="http://127.0.0.1:9999",
                         CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS='["k-old", "k-new"]',
                         CASEFAC_STRIPE__WEBHOOK_SECRET="whsec_shared")
    config = sandbox_config(settings)
    roster = parse_roster(settings.roster_file.read_text(encoding="utf-8"))
    connect = {d.payout.account_id for d in roster.defenders if isinstance(d.payout, StripeConnectPayout)}
    assert set(config.stripe_connected_accounts) == connect and len(connect) >= 3
    assert config.docusign_connect_hmac_keys == ["k-old", "k-new"]
    assert config.stripe_webhook_url == "http://127.0.0.1:9999/webhooks/stripe"
    assert config.sendgrid_webhook_url == "http://127.0.0.1:9999/webhooks/sendgrid"
    assert config.stripe_webhook_secret == "whsec_shared"
    assert config.docusign_account_id == settings.docusign.account_id
    assert config.sendgrid_api_key == settings.sendgrid.api_key.get_secret_value()
    assert config.state_file == settings.data_dir / "sandbox" / "state.json"
