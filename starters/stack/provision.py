"""Prepare the data dir before anything starts: key ring, dev secrets, sandbox TLS certificate and SendGrid key.

All three are created once and reused, so a restarted stack decrypts its old histories (key ring), the
worker keeps trusting the sandbox's OAuth certificate, and the gateway keeps verifying the sandbox's
SendGrid signatures with the public key it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client

from casefac import dev_secrets
from casefac.keyring import KeyRing
from casefac.settings import Settings
from sandbox.signatures import ec_public_key_b64, load_or_create_ec_key
from sandbox.tls import generate_self_signed_cert
from starters.stack.plan import StackPlan
from starters.staff_signing import ensure_dev_staff

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
    #: The case record's schema change and where it is, e.g. ``none → 0001 (sqlite:///…)``; None when current.
    records_migrated: str | None = None


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


def ensure_dev_secrets(plan: StackPlan) -> bool:
    """Random link and webhook secrets for this data dir (review M6), read back by ``Settings`` in every
    process of the stack; never in live mode. True when created now."""
    if plan.mode == "live":
        return False
    return dev_secrets.load_or_create(plan.data_dir)[1]


def provision(plan: StackPlan, settings: Settings) -> Provisioned:
    plan.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    plan.logs_dir.mkdir(exist_ok=True, mode=0o700)
    ensure_dev_secrets(plan)
    created = ensure_keyring(settings)
    env = ensure_sandbox_files(plan) if plan.with_sandbox else {}
    migrated = ensure_records_schema(settings)
    env |= ensure_dev_staff(settings)  # S2: development staff keys; the stack's cases require signed staff updates
    return Provisioned(keyring_created=created, keyring_path=str(settings.keyring_path), env=env,
                       records_migrated=migrated)


def ensure_records_schema(settings: Settings) -> str | None:
    """Bring the local stack's case record to the current schema, as ``casefac records migrate`` would.

    The local stack owns its database; elsewhere the worker refuses to start on an old schema and names the
    command, because migrating a production database is a decision for a person.
    """
    from records.database import create_records_engine, migrate

    engine = create_records_engine(settings.records_url)
    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    return None if before == after else f"{before or 'none'} → {after} ({where})"


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


async def namespace_retention(client: Client) -> timedelta:
    """How long the client's namespace keeps closed workflows, as the server says."""
    described = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=client.namespace))
    return described.config.workflow_execution_retention_ttl.ToTimedelta()


async def ensure_retention(client: Client, wanted: timedelta) -> bool:
    """Give the namespace ``wanted`` retention (start-dev creates it with 24 h); True when it changed now.

    The server fixes a workflow's deletion time when the workflow closes, so this runs before any worker
    starts: every case closed in this session is kept for ``wanted``. Only the retention is sent; the
    server leaves every unset field of the namespace's config as it was.
    """
    if await namespace_retention(client) == wanted:
        return False
    ttl = Duration()
    ttl.FromTimedelta(wanted)
    await client.workflow_service.update_namespace(UpdateNamespaceRequest(
        namespace=client.namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)))
    return True
