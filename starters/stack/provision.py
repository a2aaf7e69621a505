"""Prepare the data dir before anything starts: key ring, sandbox TLS certificate and SendGrid key.

All three are created once and reused, so a restarted stack decrypts its old histories (key ring), the
worker keeps trusting the sandbox's OAuth certificate, and the gateway keeps verifying the sandbox's
SendGrid signatures with the public key it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client

from casefac.keyring import KeyRing
from casefac.settings import Settings
from sandbox.signatures import ec_public_key_b64, load_or_create_ec_key
from sandbox.tls import generate_self_signed_cert
from starters.stack.plan import StackPlan

_INDEXED = {
    "Text": IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Int": IndexedValueType.INDEXED_VALUE_TYPE_INT,
    "Double": IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


@dataclass(frozen=True)
class Provisioned:
    keyring_created: bool
    keyring_path: str
    env: dict[str, str]


def ensure_keyring(settings: Settings) -> bool:
    """Create the development key ring when missing; True when it was created now."""
    existed = settings.keyring_path.exists()
    KeyRing.load_or_create(settings.keyring_path)
    return not existed


def ensure_tls(directory: Path, host: str) -> tuple[Path, Path]:
    """The sandbox OAuth listener's self-signed certificate (its own CA), made once per data dir."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    if not (cert.exists() and key.exists()):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_self_signed_cert(directory, (host, "localhost"))
    return cert, key


def ensure_sendgrid_key(path: Path) -> str:
    """The sandbox's SendGrid signing key (kept where ``sandbox.runtime`` looks); its public half, base64 DER."""
    return ec_public_key_b64(load_or_create_ec_key(None, path))


def ensure_sandbox_files(plan: StackPlan) -> dict[str, str]:
    """TLS certificate for the OAuth listener and the SendGrid signing key; returns the env they imply."""
    plan.sandbox_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    ensure_tls(plan.tls_cert.parent, plan.sandbox_host)
    return {"CASEFAC_SENDGRID__WEBHOOK_PUBLIC_KEY": ensure_sendgrid_key(plan.sendgrid_key_file)}


def provision(plan: StackPlan, settings: Settings) -> Provisioned:
    plan.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    plan.logs_dir.mkdir(exist_ok=True)
    created = ensure_keyring(settings)
    env = ensure_sandbox_files(plan) if plan.with_sandbox else {}
    return Provisioned(keyring_created=created, keyring_path=str(settings.keyring_path), env=env)


async def ensure_search_attributes(client: Client, wanted: dict[str, str]) -> list[str]:
    """Register the search attributes an existing database lacks (start-dev adds them only to new ones)."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace))
    have = set(listed.custom_attributes) | set(listed.system_attributes)
    missing = {name: _INDEXED[kind] for name, kind in wanted.items() if name not in have}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing))
    return sorted(missing)
