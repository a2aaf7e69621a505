"""``casefac codec``: the codec service alone (``casefac up`` runs it as a child, on loopback)."""

from __future__ import annotations

import asyncio
import logging

import typer

from casefac.keyring import KeyRingError
from starters.cli_runtime import fail, load_settings

log = logging.getLogger("casefac")


def register(app: typer.Typer) -> None:
    @app.command()
    def codec() -> None:
        """Run the codec service for the Temporal Web UI: decode (audited, per person), never on the gateway."""
        from codec_service.server import CodecConfigError, build_server
        from workers.logs import configure_logging

        settings = load_settings()
        configure_logging()
        try:
            server = build_server(settings)
        except (KeyRingError, CodecConfigError) as exc:
            fail(str(exc))
        log.info("codec service on http://%s:%s (%s auth, UI origin %s)", settings.codec.host,
                 settings.codec.port, settings.codec.auth, settings.codec.ui_origin)
        asyncio.run(server.serve())
