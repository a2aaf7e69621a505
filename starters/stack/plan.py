"""From spec + settings to a concrete plan: ports, URLs, files and the environment every child gets.

Precedence: a ``CASEFAC_*`` value set explicitly (environment or .env) wins; otherwise the spec's value.
Everything derived (gateway public URL, UI origin, provider hosts pointing at the sandbox) is derived
here once and handed to the children as ``CASEFAC_*`` variables, so the worker, the gateway, the sandbox
and this process all read one consistent configuration through ``Settings``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from casefac.settings import Settings
from starters.stack.ports import PortUse, free_port
from starters.stack.spec import StackSpec

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_env_lock = threading.Lock()


class PlanError(ValueError):
    """The settings ask for something ``casefac up`` cannot run locally."""


@dataclass(frozen=True)
class StackPlan:
    data_dir: Path
    mode: str
    temporal_ip: str
    temporal_port: int
    ui_port: int
    namespace: str
    db_file: Path
    log_level: str
    search_attributes: dict[str, str]
    dynamic_config: dict[str, int | float | bool | str]
    #: How long the namespace keeps closed workflows (set after start: start-dev has no flag for it).
    retention: timedelta
    gateway_host: str
    gateway_port: int
    gateway_url: str
    ui_origin: str
    #: The codec service on loopback (review C1): the UI decrypts here, no token in the URL.
    codec_host: str
    codec_port: int
    codec_endpoint: str
    sandbox_host: str
    sandbox_port: int
    oauth_port: int
    sandbox_state_file: Path
    worker_split: bool = False
    env: dict[str, str] = field(default_factory=dict)

    # -- addresses ------------------------------------------------------------------------------
    @property
    def temporal_address(self) -> str:
        return f"{self.temporal_ip}:{self.temporal_port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.temporal_ip}:{self.ui_port}"

    @property
    def codec_url(self) -> str:
        return f"http://{self.codec_host}:{self.codec_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.sandbox_host}:{self.sandbox_port}"

    @property
    def sandbox_oauth_url(self) -> str:
        return f"https://{self.sandbox_host}:{self.oauth_port}"

    @property
    def with_sandbox(self) -> bool:
        return self.mode == "sandbox"

    # -- files ----------------------------------------------------------------------------------
    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def sandbox_dir(self) -> Path:
        return self.sandbox_state_file.parent

    @property
    def tls_cert(self) -> Path:
        return self.sandbox_dir / "tls" / "cert.pem"

    @property
    def tls_key(self) -> Path:
        return self.sandbox_dir / "tls" / "key.pem"

    @property
    def sendgrid_key_file(self) -> Path:
        """Where the sandbox keeps its SendGrid signing key (``sandbox.runtime`` uses the same name)."""
        return self.sandbox_state_file.with_name(self.sandbox_state_file.name + ".sendgrid-key.pem")

    def workflow_url(self, workflow_id: str, run_id: str | None = None) -> str:
        base = f"{self.ui_url}/namespaces/{quote(self.namespace)}/workflows/{quote(workflow_id)}"
        return f"{base}/{run_id}/history" if run_id else base

    def ports(self) -> list[PortUse]:
        uses = [
            PortUse("Temporal gRPC", self.temporal_ip, self.temporal_port, "CASEFAC_TEMPORAL__ADDRESS",
                    f"{self.temporal_ip}:{self.temporal_port + 1}"),
            PortUse("Temporal Web UI", self.temporal_ip, self.ui_port, "CASEFAC_TEMPORAL__UI_PORT",
                    str(self.ui_port + 1)),
            PortUse("gateway", self.gateway_host, self.gateway_port, "CASEFAC_GATEWAY__PORT",
                    str(self.gateway_port + 1)),
            PortUse("codec service", self.codec_host, self.codec_port, "CASEFAC_CODEC__PORT",
                    str(self.codec_port + 1)),
        ]
        if self.with_sandbox:
            uses += [
                PortUse("sandbox", self.sandbox_host, self.sandbox_port, "CASEFAC_SANDBOX__PORT",
                        str(self.sandbox_port + 2)),
                PortUse("sandbox DocuSign OAuth (TLS)", self.sandbox_host, self.oauth_port,
                        "CASEFAC_SANDBOX__OAUTH_PORT", str(self.oauth_port + 2)),
            ]
        return uses


def _split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise PlanError(f"CASEFAC_TEMPORAL__ADDRESS={address!r} is not host:port")
    return host.strip("[]"), int(port)


def make_plan(settings: Settings, spec: StackSpec, *, free_ports: bool = False) -> StackPlan:
    """The plan for ``settings`` + ``spec``; ``free_ports`` picks unused ports (the demo's private stack)."""
    t, gw, sb, cd = settings.temporal, settings.gateway, settings.sandbox, settings.codec
    ts, ss = spec.temporal, spec.services
    ip, port = _split_address(t.address) if "address" in t.model_fields_set else (ts.ip, ts.port)
    if ip not in LOOPBACK:
        raise PlanError(f"CASEFAC_TEMPORAL__ADDRESS points at {t.address}; `casefac up` runs a local dev server. "
                        "Against a cluster or Temporal Cloud run `casefac worker` and `casefac gateway` instead")
    ui_port = t.ui_port if "ui_port" in t.model_fields_set else ts.ui_port
    gw_port = gw.port if "port" in gw.model_fields_set else ss.gateway.port
    sb_port = sb.port if "port" in sb.model_fields_set else ss.sandbox.port
    oauth_port = sb.oauth_port if "oauth_port" in sb.model_fields_set else ss.sandbox.oauth_port
    codec_port = cd.port if "port" in cd.model_fields_set else ss.codec.port
    if cd.auth == "loopback" and cd.host not in LOOPBACK:
        raise PlanError(f"CASEFAC_CODEC__HOST={cd.host}: the codec service without login (CASEFAC_CODEC__AUTH="
                        "loopback) listens on loopback only; bind 127.0.0.1 or set CASEFAC_CODEC__AUTH=oidc")
    if free_ports:
        taken: set[int] = set()
        picks = []
        while len(picks) < 6:
            candidate = free_port(ip if ip != "localhost" else "127.0.0.1")
            if candidate not in taken:
                taken.add(candidate)
                picks.append(candidate)
        port, ui_port, gw_port, sb_port, oauth_port, codec_port = picks
    namespace = t.namespace if "namespace" in t.model_fields_set else ts.namespace
    data_dir = settings.data_dir.expanduser().resolve()
    gateway_url = gw.public_url if "public_url" in gw.model_fields_set and not free_ports \
        else f"http://{gw.host}:{gw_port}"
    ui_origin = cd.ui_origin if "ui_origin" in cd.model_fields_set and not free_ports \
        else f"http://{ip}:{ui_port}"
    codec_url = f"http://{cd.host}:{codec_port}"
    try:
        codec_endpoint = ts.ui_codec_endpoint.format(codec_url=codec_url)
    except (KeyError, IndexError) as exc:
        raise PlanError(f"temporal.ui_codec_endpoint {ts.ui_codec_endpoint!r} may use only {{codec_url}}: the "
                        "codec has its own listener and no token in the URL (temporal-dev.yml)") from exc
    plan = StackPlan(
        data_dir=data_dir, mode=settings.mode, temporal_ip=ip, temporal_port=port, ui_port=ui_port,
        namespace=namespace, db_file=data_dir / ts.db_filename, log_level=ts.log_level,
        search_attributes=dict(ts.search_attributes), dynamic_config=dict(ts.dynamic_config),
        retention=ts.retention, gateway_host=gw.host, gateway_port=gw_port,
        gateway_url=gateway_url.rstrip("/"), ui_origin=ui_origin.rstrip("/"), codec_host=cd.host,
        codec_port=codec_port, codec_endpoint=codec_endpoint,
        sandbox_host=sb.host, sandbox_port=sb_port, oauth_port=oauth_port,
        sandbox_state_file=data_dir / ss.sandbox.state_file, worker_split=ss.worker.split,
    )
    return _with_env(plan)


def _with_env(plan: StackPlan) -> StackPlan:
    env = {
        "CASEFAC_DATA_DIR": str(plan.data_dir),
        "CASEFAC_TEMPORAL__ADDRESS": plan.temporal_address,
        "CASEFAC_TEMPORAL__NAMESPACE": plan.namespace,
        "CASEFAC_TEMPORAL__UI_PORT": str(plan.ui_port),
        "CASEFAC_GATEWAY__PORT": str(plan.gateway_port),
        "CASEFAC_GATEWAY__PUBLIC_URL": plan.gateway_url,
        "CASEFAC_CODEC__HOST": plan.codec_host,
        "CASEFAC_CODEC__PORT": str(plan.codec_port),
        "CASEFAC_CODEC__UI_ORIGIN": plan.ui_origin,
        "CASEFAC_SANDBOX__PORT": str(plan.sandbox_port),
        "CASEFAC_SANDBOX__OAUTH_PORT": str(plan.oauth_port),
    }
    if plan.with_sandbox:
        env |= {
            "CASEFAC_DOCUSIGN__HOST": f"{plan.sandbox_url}/restapi",
            "CASEFAC_DOCUSIGN__OAUTH_HOST": f"{plan.sandbox_host}:{plan.oauth_port}",
            "CASEFAC_DOCUSIGN__OAUTH_CA_CERT": str(plan.tls_cert),
            "CASEFAC_SENDGRID__HOST": plan.sandbox_url,
            "CASEFAC_STRIPE__API_BASE": plan.sandbox_url,
        }
    return StackPlan(**{**plan.__dict__, "env": env})


@contextlib.contextmanager
def environ(overrides: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``overrides`` for the duration (settings are read from the environment)."""
    with _env_lock:
        saved = {key: os.environ.get(key) for key in overrides}
        os.environ.update(overrides)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def settings_with(env: dict[str, str]) -> Settings:
    """``Settings`` exactly as a child started with ``env`` reads them."""
    with environ(env):
        return Settings()
