"""The per-app bundle of config, state, faults and webhooks that every handler reaches."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from starlette.requests import Request

from sandbox.config import SandboxConfig
from sandbox.faults import FaultRegistry
from sandbox.signatures import load_or_create_ec_key
from sandbox.state import SandboxState
from sandbox.webhooks import WebhookDispatcher


@dataclass
class Runtime:
    """Shared by all routes of one app; stored on ``app.state.sandbox``."""

    config: SandboxConfig
    state: SandboxState
    faults: FaultRegistry
    webhooks: WebhookDispatcher
    sendgrid_key: ec.EllipticCurvePrivateKey

    @classmethod
    def build(cls, config: SandboxConfig) -> Runtime:
        state = SandboxState(config.state_file)
        keep_at = (
            config.state_file.with_name(config.state_file.name + ".sendgrid-key.pem") if config.state_file else None
        )
        key = load_or_create_ec_key(config.sendgrid_webhook_private_key_pem, keep_at)
        return cls(
            config=config,
            state=state,
            faults=FaultRegistry(),
            webhooks=WebhookDispatcher(config, state, key),
            sendgrid_key=key,
        )


def runtime(request: Request) -> Runtime:
    """Fetch the runtime from a request (typed accessor instead of ``app.state`` lookups)."""
    rt: Runtime = request.app.state.sandbox
    return rt
