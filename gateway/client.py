"""The gateway's Temporal client: built from settings, connected on first use, reconnected after failure.

Lazy so the gateway starts (and answers 503 to providers, who then retry) while Temporal is still down;
the first request after Temporal comes back connects. One connection is shared by all requests.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import RetryConfig, TLSConfig

from casefac.codec import converter_from_settings
from casefac.settings import Settings, TemporalSettings

#: Fail fast: a webhook waiting on Temporal should become a 503 quickly, not hang the provider.
CONNECT_TIMEOUT = timedelta(seconds=5)
RPC_RETRY = RetryConfig(max_elapsed_time_millis=5000, max_retries=5)


def tls_config(temporal: TemporalSettings) -> bool | TLSConfig | None:
    """mTLS / custom CA when files are configured, plain TLS when asked, else the SDK default.

    The SDK default (``None``) turns TLS on exactly when an API key is set, which is what Temporal Cloud
    with API keys needs and what a local dev server without one needs.
    """
    files = (temporal.tls_server_root_ca_cert, temporal.tls_client_cert, temporal.tls_client_key)
    if any(files):
        return TLSConfig(
            server_root_ca_cert=temporal.tls_server_root_ca_cert.read_bytes()
            if temporal.tls_server_root_ca_cert else None,
            client_cert=temporal.tls_client_cert.read_bytes() if temporal.tls_client_cert else None,
            client_private_key=temporal.tls_client_key.read_bytes() if temporal.tls_client_key else None,
        )
    return True if temporal.tls else None


async def connect_client(settings: Settings, *, data_converter: DataConverter | None = None,
                         identity: str = "casefac-gateway") -> Client:
    """Connect with the encrypting data converter and ``settings.temporal`` (address, namespace, TLS, key)."""
    temporal = settings.temporal
    return await Client.connect(
        temporal.address,
        namespace=temporal.namespace,
        api_key=temporal.api_key.get_secret_value() if temporal.api_key else None,
        tls=tls_config(temporal),
        data_converter=data_converter or converter_from_settings(settings),
        connect_timeout=CONNECT_TIMEOUT,
        retry_config=RPC_RETRY,
        identity=f"{identity}@{socket.gethostname()}:{os.getpid()}",
    )


class LazyClient:
    """A ``ClientProvider`` that connects once, shares the client, and retries the connect after failure."""

    def __init__(self, connect: Callable[[], Awaitable[Client]]) -> None:
        self._connect = connect
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:  # one connect attempt at a time, not one per concurrent webhook
            if self._client is None:
                self._client = await self._connect()
            return self._client
