"""``casefac doctor`` against a real local stack (dev server, sandbox, gateway, records, key ring), healthy and
then with each failure injected: every check says ✓, or ✗ with the fix in words; exit 1 on any ✗.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from casefac import search_attributes as sa
from casefac.keyring import KeyRing
from casefac.settings import (
    DocuSignSettings,
    GatewaySettings,
    RecordsSettings,
    SendGridSettings,
    Settings,
    StripeSettings,
    TemporalSettings,
)
from casefac.temporal_client import connect_client
from gateway.app import create_app
from gateway.client import LazyClient
from gateway.webhooks_stripe import EVENT_KINDS
from records.database import create_records_engine, migrate
from sandbox.config import SandboxConfig
from sandbox.server import bind_socket
from sandbox.testing import RunningSandbox, running_sandbox
from sandbox.threaded import ThreadedServer
from starters.doctor.report import Check
from starters.doctor.run import run_all
from starters.stack.ports import free_port
from tests.activities.conftest import TlsMaterial, tls  # noqa: F401 - TLS for DocuSign's OAuth listener
from tests.conftest import binary, live_settings


@dataclass
class Stack:
    settings: Settings
    sandbox: RunningSandbox
    dir: Path


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)  # polling a port that is not listening yet
    raise TimeoutError(f"port {port} never opened")


@pytest.fixture(scope="module")
def temporal() -> Iterator[str]:
    """A dev server with casefac's search attributes and 30 days' retention (as `casefac up` sets them)."""
    port, ui = free_port(), free_port()
    server = subprocess.Popen([binary("temporal"), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
                               "--ui-port", str(ui), "--headless", "--log-level", "error", *sa.cli_flags()],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    try:
        _wait_port(port)
        for args in (["namespace", "update", "--retention", "30d", "default"],
                     ["namespace", "create", "--retention", "1d", "bare"]):
            for _ in range(50):
                done = subprocess.run([binary("temporal"), "operator", *args, "--address", address],
                                      capture_output=True, check=False, timeout=30)
                if done.returncode == 0:
                    break
                time.sleep(0.2)  # the frontend answers before the namespace registry is ready
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def stack(temporal: str, tls: TlsMaterial, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
          ) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("doctor")
    gateway_port = free_port()
    public = f"http://127.0.0.1:{gateway_port}"
    config = SandboxConfig(docusign_rsa_public_key_pem=tls.jwt_public_pem,
                           stripe_webhook_url=f"{public}/webhooks/stripe",
                           sendgrid_webhook_url=f"{public}/webhooks/sendgrid")
    with running_sandbox(config, oauth_tls=True, certfile=tls.cert_file, keyfile=tls.key_file) as sb:
        ring = directory / "keyring.json"
        KeyRing.generate("doctor-key").save(ring)
        ring.chmod(0o600)
        records_url = f"sqlite:///{directory / 'records.sqlite3'}"
        engine = create_records_engine(records_url)
        migrate(engine)
        engine.dispose()
        cfg = sb.config
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=directory, keyring_file=ring,
            temporal=TemporalSettings(address=temporal),
            records=RecordsSettings(url=SecretStr(records_url)),
            docusign=DocuSignSettings(host=sb.docusign_host, oauth_host=sb.oauth_host_name or "",
                                      oauth_ca_cert=tls.cert_file, account_id=cfg.docusign_account_id,
                                      integration_key=cfg.docusign_integration_key, user_id=cfg.docusign_user_id,
                                      static_token=None, private_key_file=tls.jwt_private_key_file,
                                      connect_hmac_keys=[SecretStr(k) for k in cfg.docusign_connect_hmac_keys]),
            sendgrid=SendGridSettings(host=sb.base_url, api_key=SecretStr(cfg.sendgrid_api_key)),
            stripe=StripeSettings(api_base=sb.base_url, api_key=SecretStr(cfg.stripe_api_key)),
            gateway=GatewaySettings(port=gateway_port, public_url=public),
        )
        app = create_app(settings, LazyClient(lambda: connect_client(settings)))
        server = ThreadedServer(app, bind_socket("127.0.0.1", gateway_port), name="doctor-gateway")
        server.start(wait=True)
        try:
            yield Stack(settings, sb, directory)
        finally:
            server.stop()


@pytest.fixture(autouse=True)
def _reset(stack: Stack) -> Iterator[None]:
    yield
    stack.sandbox.admin("POST", "/_sandbox/reset")


def settings_with(stack: Stack, **sections: object) -> Settings:
    """The stack's settings with some sections changed (``docusign={"account_id": "x"}``…)."""
    updates = {name: getattr(stack.settings, name).model_copy(update=values) if isinstance(values, dict) else values
               for name, values in sections.items()}
    return stack.settings.model_copy(update=updates)


def failures(checks: list[Check]) -> dict[tuple[str, str], Check]:
    return {(c.area, c.name): c for c in checks if not c.ok}


def test_a_healthy_stack_passes_every_check_and_exits_0(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("starters.doctor.run.load_settings", lambda: stack.settings)
    from starters.cli import app

    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output and result.output.rstrip().endswith("failed — ready")
    for line in ("✓ reachable: 127.0.0.1", f"✓ search attributes: all {len(sa.ALL)} registered",
                 "✓ retention: 30 days", "✓ permissions: 0600", "✓ migrated: schema current",
                 "✓ JWT grant: token for user", "✓ account:", "✓ Connect HMAC key: 1 set",
                 "✓ API key: valid, may send mail", "✓ from-address: on the authenticated domain",
                 "✓ key mode: test-mode key", "✓ Connect: enabled", "✓ balance USD: available USD 1,000,000.00",
                 "✓ webhook endpoint:", "✓ public URL:", "✓ reaches Temporal: yes"):
        assert line in result.output, line

    as_json = CliRunner().invoke(app, ["doctor", "--json"])
    document = json.loads(as_json.output)
    assert as_json.exit_code == 0 and document["ok"] is True
    assert {c["area"] for c in document["checks"]} == {"Settings", "Temporal", "Key ring", "Case record",
                                                       "DocuSign", "SendGrid", "Stripe", "Gateway"}


def test_any_failure_exits_1_with_the_fix_also_in_json(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.sandbox.admin("POST", "/_sandbox/docusign/consent", {"given": False})
    monkeypatch.setattr("starters.doctor.run.load_settings", lambda: stack.settings)
    from starters.cli import app

    result = CliRunner().invoke(app, ["doctor", "--json"])
    document = json.loads(result.output)
    assert result.exit_code == 1 and document["ok"] is False
    [bad] = [c for c in document["checks"] if not c["ok"]]
    assert (bad["area"], bad["name"]) == ("DocuSign", "JWT grant")
    assert "/oauth/auth?response_type=code" in bad["fix"] and "consent" in bad["fix"]


def test_temporal_unreachable_wrong_namespace_attributes_and_retention(stack: Stack) -> None:
    down = failures(run_all(settings_with(stack, temporal={"address": f"127.0.0.1:{free_port()}"})))
    assert "start Temporal" in down[("Temporal", "reachable")].fix

    bare = failures(run_all(settings_with(stack, temporal={"namespace": "bare"})))
    assert "temporal operator search-attribute create --name CaseStage --type Keyword" in bare[
        ("Temporal", "search attributes")].fix
    assert "--retention 30d bare" in bare[("Temporal", "retention")].fix


def test_key_ring_missing_exposed_or_unreadable(stack: Stack, tmp_path: Path) -> None:
    missing = failures(run_all(settings_with(stack, keyring_file=tmp_path / "nope.json")))
    assert ("Key ring", "present") in missing

    exposed = tmp_path / "ring.json"
    KeyRing.generate("k2").save(exposed)
    exposed.chmod(0o644)
    found = failures(run_all(settings_with(stack, keyring_file=exposed)))
    assert found[("Key ring", "permissions")].fix == f"chmod 600 {exposed}"

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    broken.chmod(0o600)
    assert ("Key ring", "current key readable") in failures(run_all(settings_with(stack, keyring_file=broken)))


def test_records_unmigrated_or_unreachable(stack: Stack, tmp_path: Path) -> None:
    fresh = failures(run_all(settings_with(stack, records={"url": SecretStr(f"sqlite:///{tmp_path / 'r.db'}")})))
    assert fresh[("Case record", "migrated")].fix == "run `casefac records migrate`"
    url = SecretStr(f"postgresql+psycopg://casefac:pw@127.0.0.1:{free_port()}/casefac?connect_timeout=2")
    down = failures(run_all(settings_with(stack, records={"url": url})))
    assert ("Case record", "reachable") in down and "pw" not in down[("Case record", "reachable")].detail


def test_docusign_wrong_account_and_no_connect_key(stack: Stack) -> None:
    found = failures(run_all(settings_with(stack, docusign={"account_id": "00000000-0000-4000-8000-00000000dead",
                                                            "connect_hmac_keys": []})))
    assert stack.sandbox.config.docusign_account_id in found[("DocuSign", "account")].fix
    assert "CASEFAC_DOCUSIGN__CONNECT_HMAC_KEYS" in found[("DocuSign", "Connect HMAC key")].fix


@pytest.mark.parametrize(("change", "name", "fix"), [
    ({"api_key": SecretStr("SG.wrong")}, "API key", "Mail Send access"),
    ("scopes", "API key", "Mail Send (Full Access)"),
    ("unverified", "from-address", "Sender Authentication"),
])
def test_sendgrid_key_scope_and_sender(stack: Stack, change: object, name: str, fix: str) -> None:
    settings = stack.settings
    if change == "scopes":
        stack.sandbox.admin("POST", "/_sandbox/sendgrid/senders", {"scopes": ["stats.read"]})
    elif change == "unverified":
        stack.sandbox.admin("POST", "/_sandbox/sendgrid/senders", {"verified": [], "domains": []})
    else:
        settings = settings_with(stack, sendgrid=change)
    found = failures(run_all(settings))
    assert fix in found[("SendGrid", name)].fix


def test_stripe_mode_connect_balance_and_webhooks(stack: Stack) -> None:
    wrong_mode = failures(run_all(settings_with(stack, stripe={"api_key": SecretStr("sk_live_doctor")})))
    assert "test-mode secret" in wrong_mode[("Stripe", "key mode")].fix

    sb = stack.sandbox
    sb.admin("POST", "/_sandbox/stripe/platform", {"connect_enabled": False, "webhook_endpoints": [
        {"url": f"{stack.settings.gateway.public_url}/webhooks/stripe", "enabled_events": ["invoice.paid"]}]})
    sb.admin("POST", "/_sandbox/stripe/balance", {"currency": "usd", "amount": 0})
    found = failures(run_all(stack.settings))
    assert "sign the platform up for Connect" in found[("Stripe", "Connect")].fix
    assert "top up the Stripe balance in USD" in found[("Stripe", "balance USD")].fix
    # Every event the gateway acts on (issue 12 M6: the rest of an invoice's life), less the one subscribed.
    lacking = ("charge.dispute.closed, charge.dispute.created, charge.refunded, credit_note.created, "
               "invoice.marked_uncollectible, invoice.payment_failed, invoice.updated, invoice.voided, "
               "transfer.reversed")
    assert found[("Stripe", "webhook endpoint")].detail.endswith(f"/webhooks/stripe lacks {lacking}")
    assert lacking.split(", ") == sorted(set(EVENT_KINDS) - {"invoice.paid"})  # the doctor asks what is handled


def test_gateway_public_url_unreachable_or_not_the_gateway(stack: Stack) -> None:
    gone = failures(run_all(settings_with(stack, gateway={"public_url": f"http://127.0.0.1:{free_port()}"})))
    assert "start the gateway" in gone[("Gateway", "public URL")].fix
    elsewhere = failures(run_all(settings_with(stack, gateway={"public_url": stack.sandbox.base_url})))
    assert "not the gateway" in elsewhere[("Gateway", "public URL")].detail


def test_incomplete_live_settings_are_one_failure_naming_each_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"CASEFAC_MODE": "live",
                        "CASEFAC_GATEWAY__LINK_SECRET": "k7Qm2ZtW9xVbN4pLr8sYc1DfGh6JeUa3TiOoPq5RwXyZ0vBnMl"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    from starters.cli import app

    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert "✗ complete:" in result.output and "CASEFAC_STRIPE__API_KEY" in result.output
    assert "CASEFAC_GATEWAY__LINK_SECRET" not in result.output.split("fix:")[0].split("needs real values for:")[1]


def test_live_settings_on_loopback_hosts_are_refused() -> None:
    """Settings themselves refuse them now (casefac/settings_checks.py, review M6); doctor shows that one ✗."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"CASEFAC_SENDGRID__HOST=http://127\.0\.0\.1:8300 is not https"):
        live_settings(CASEFAC_SENDGRID__HOST="http://127.0.0.1:8300")
    with pytest.raises(ValidationError, match=r"CASEFAC_GATEWAY__PUBLIC_URL=.*https://"):
        live_settings(CASEFAC_GATEWAY__PUBLIC_URL="http://127.0.0.1:8400")
