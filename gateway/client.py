"""The gateway's Temporal client: built from settings, connected on first use, reconnected after failure.

Lazy so the gateway starts (and answers 503 to providers, who then retry) while Temporal is still down;
the first request after Temporal comes back connects. One connection is shared by all requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import RetryConfig

from casefac import temporal_client
from casefac.settings import Settings
from casefac.temporal_client import tls_config

#: Fail fast: a webhook waiting on Temporal should become a 503 quickly, not hang the provider.
CONNECT_TIMEOUT = timedelta(seconds=5)
RPC_RETRY = RetryConfig(max_elapsed_time_millis=5000, max_retries=5)


async def connect_client(settings: Settings, *, data_converter: DataConverter | None = None,
                         identity: str = "casefac-gateway") -> Client:
    """The shared connection (``casefac.temporal_client``) with the gateway's fail-fast timeouts."""
    return await temporal_client.connect_client(settings, data_converter=data_converter, identity=identity,
                                                connect_timeout=CONNECT_TIMEOUT, retry_config=RPC_RETRY)


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


__all__ = ["CONNECT_TIMEOUT", "RPC_RETRY", "LazyClient", "connect_client", "tls_config"]
