"""Run the gateway under uvicorn: ``python -m gateway.server`` or ``serve(settings)`` from ``casefac up``.

Uvicorn's access log is off: portal links will carry signed capability tokens in their URLs, and those
must not end up in log files. The routers log what matters, by id.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from casefac.codec import codec_from_settings
from casefac.converter import data_converter
from casefac.settings import Settings
from gateway.app import create_app
from gateway.client import LazyClient, connect_client
from gateway.edge_settings import EdgeSettings


def build_server(settings: Settings) -> uvicorn.Server:
    """A configured, not yet started server; ``casefac up`` can stop it with ``server.should_exit = True``.

    The key ring is loaded here, before serving: without it the gateway could neither encrypt signals nor
    serve the codec, so a missing ring must stop start-up with a clear error.
    """
    codec = codec_from_settings(settings)
    converter = data_converter(codec)
    clients = LazyClient(lambda: connect_client(settings, data_converter=converter))
    app = create_app(settings, clients, codec=codec)
    config = uvicorn.Config(
        app,
        host=settings.gateway.host,
        port=settings.gateway.port,
        access_log=False,
        server_header=False,
        log_config=None,  # keep the host process's logging setup
        lifespan="off",
    )
    return uvicorn.Server(config)


async def serve(settings: Settings) -> None:
    """Serve until cancelled or signalled (uvicorn installs SIGINT/SIGTERM handlers when it owns the loop)."""
    await build_server(settings).serve()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(EdgeSettings()))  # M7: starts (live mode too) without provider API keys


if __name__ == "__main__":
    main()
