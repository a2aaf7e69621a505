"""Connecting to Temporal from settings: one function for the worker, the gateway and the staff CLI.

Local dev server, a self-hosted cluster (TLS / mTLS) and Temporal Cloud (API key) differ only in
settings, so every process connects the same way and nothing else changes between them.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import RetryConfig, TLSConfig

from casefac.codec import converter_from_settings
from casefac.settings import Settings, TemporalSettings


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
                         identity: str = "casefac", connect_timeout: timedelta | None = timedelta(seconds=10),
                         retry_config: RetryConfig | None = None) -> Client:
    """Connect with the encrypting data converter and ``settings.temporal`` (address, namespace, TLS, key).

    The identity carries host and pid (never a person's name) so the UI's pollers list says which
    process is which.
    """
    temporal = settings.temporal
    return await Client.connect(
        temporal.address,
        namespace=temporal.namespace,
        api_key=temporal.api_key.get_secret_value() if temporal.api_key else None,
        tls=tls_config(temporal),
        data_converter=data_converter or converter_from_settings(settings),
        connect_timeout=connect_timeout,
        retry_config=retry_config,
        identity=f"{identity}@{socket.gethostname()}:{os.getpid()}",
    )


__all__ = ["connect_client", "tls_config"]
