"""Run the codec service under uvicorn: ``casefac codec`` (``casefac up`` starts it on loopback).

Refuses to listen beyond loopback without people-authentication: the loopback mode has no login, so
anywhere else it would hand the key ring to whoever reaches the port. Access log off, like the gateway.
"""

from __future__ import annotations

import ipaddress
import logging

import uvicorn

from casefac.codec import codec_from_settings
from casefac.settings import Settings
from casefac.settings_checks import codec_problems
from codec_service.app import create_app

log = logging.getLogger("casefac.codec")


class CodecConfigError(ValueError):
    """The codec service would be reachable by people it cannot identify."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def build_server(settings: Settings) -> uvicorn.Server:
    cfg = settings.codec
    if problems := codec_problems(settings):
        raise CodecConfigError("live mode: " + "; ".join(problems))
    if cfg.auth == "loopback" and not is_loopback(cfg.host):
        raise CodecConfigError(f"CASEFAC_CODEC__HOST={cfg.host} is not loopback, but CASEFAC_CODEC__AUTH=loopback "
                               "has no login. Fix: set CASEFAC_CODEC__AUTH=oidc with __OIDC_ISSUER, "
                               "__OIDC_AUDIENCE and __JWKS, or bind 127.0.0.1")
    app = create_app(settings, codec=codec_from_settings(settings))
    config = uvicorn.Config(app, host=cfg.host, port=cfg.port, access_log=False, server_header=False,
                            log_config=None, lifespan="off")
    return uvicorn.Server(config)


__all__ = ["CodecConfigError", "build_server", "is_loopback"]
