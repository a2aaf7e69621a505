"""The CLI's half of signed staff updates: find the member's private key, sign the update, refresh on demand.

Keys are files ``<staff id>.key`` (PKCS#8 PEM, mode 0600) in the member's own config dir
(``staff.keys_dir``, default ``$CASEFAC_HOME/staff`` or ``~/.config/casefac/staff``); outside live mode the
local stack's development keys in ``<data dir>/staff-keys`` are used too. An actor without a key sends
the update unsigned: a case that requires signatures then refuses it and says which command fixes that.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from pydantic import BaseModel
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from casefac.parties import Role
from casefac.settings import Settings
from casefac.staff_assertion import fingerprint, public_key_b64, public_key_bytes, sign, update_id
from casefac.staff_directory import (
    REFRESH_HINT,
    REFRESH_STAFF_DIRECTORY,
    StaffKey,
    default_keys_dir,
    key_path,
)

#: The local stack's development keys, under its data dir (``casefac up`` creates them).
DEV_KEYS_DIR = "staff-keys"
_SIGNING_ROLES = (Role.STAFF, Role.FINANCE)


class KeyFileError(RuntimeError):
    """A key file exists but cannot be used (unreadable, not Ed25519, or readable by others)."""


#: Development key dirs of local stacks this process provisioned (``casefac demo``'s private stack runs in
#: the demo's own process, under a temporary data dir its settings do not name).
_PROVISIONED: list[Path] = []


def keys_dirs(settings: Settings) -> list[Path]:
    """Where this computer's staff keys are looked for, first match wins."""
    dirs = [settings.staff.keys_dir.expanduser() if settings.staff.keys_dir else default_keys_dir()]
    if settings.mode != "live":
        dirs.append(settings.data_dir.expanduser() / DEV_KEYS_DIR)
        dirs.extend(d for d in _PROVISIONED if d not in dirs)
    return dirs


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Save ``key`` readable by its owner only (created 0600, never widened afterwards)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.replace(tmp, path)


def read_private_key(path: Path) -> Ed25519PrivateKey:
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path} is readable by others: chmod 600 it (or rotate the key: casefac staff add)")
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 key")
    return key


def private_key(settings: Settings, staff_id: str) -> Ed25519PrivateKey | None:
    for directory in keys_dirs(settings):
        path = key_path(directory, staff_id)
        if path.exists():
            return read_private_key(path)
    return None


def sign_update(message: Any, *, workflow_id: str, update: str,
                settings: Settings | None = None) -> tuple[Any, str | None]:
    """``message`` with its ``assertion`` set and the update id to send it under; unchanged and None when the
    actor is no staff member or this computer has no key for them."""
    actor = getattr(message, "actor", None)
    if not isinstance(message, BaseModel) or actor is None or actor.role not in _SIGNING_ROLES:
        return message, None
    settings = settings or Settings()
    key = private_key(settings, actor.id)
    if key is None:
        return message, None
    unsigned = message.model_copy(update={"assertion": None})
    token = sign(key, staff_id=actor.id, role=actor.role.value, workflow_id=workflow_id, update=update,
                 payload=unsigned.model_dump(mode="json"), now=datetime.now(UTC))
    return message.model_copy(update={"assertion": token}), update_id(token)


def asks_refresh(exc: WorkflowUpdateFailedError) -> bool:
    """The case refused because it needs a fresher staff directory (a new key, or an old snapshot)."""
    cause = exc.cause
    return REFRESH_HINT in (getattr(cause, "message", None) or str(cause or ""))


async def refresh(handle: WorkflowHandle[Any, Any], timeout: timedelta) -> None:
    """Ask the case to reload the staff directory; a refusal (another refresh just ran) is no failure."""
    with contextlib.suppress(WorkflowUpdateFailedError):
        await handle.execute_update(REFRESH_STAFF_DIRECTORY, None, rpc_timeout=timeout)


async def send_signed(handle: WorkflowHandle[Any, Any], name: str, message: Any, *, timeout: timedelta,
                      result_type: type[Any], settings: Settings | None = None) -> Any:
    """Send one update signed with the actor's staff key when this computer holds it (security C2 §3).

    A signed update carries a stable id (from its nonce), so a retried call attaches to the first one
    (review m3). When the workflow answers that it does not know the key yet, or its directory is old (also
    a case or Advocate entity older than the requirement, whose worker requires signatures: it has no
    directory until asked), the directory is refreshed and the same signed update sent once more.
    """
    message, uid = sign_update(message, workflow_id=handle.id, update=name, settings=settings)
    try:
        return await handle.execute_update(name, message, id=uid, result_type=result_type, rpc_timeout=timeout)
    except WorkflowUpdateFailedError as exc:
        if uid is None or not asks_refresh(exc):
            raise
    await refresh(handle, timeout)
    return await handle.execute_update(name, message, id=uid, result_type=result_type, rpc_timeout=timeout)


# ------------------------------------------------------------------------------------ enrolment
def enroll(settings: Settings, staff_id: str, role: str, *, by: str, name: str | None = None,
           keys_dir: Path | None = None) -> tuple[StaffKey, Path]:
    """A new key pair for ``staff_id``: the private half saved 0600 in ``keys_dir`` (default: the member's own
    config dir), the public half registered in the staff directory, revoking the member's earlier keys."""
    from records.connect import Records
    from records.staff_directory import StaffDirectoryStore

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    entry = StaffKey(staff_id=staff_id, role=role, key_id=fingerprint(public_key_bytes(public)),
                     public_key=public_key_b64(public), added_at=datetime.now(UTC))
    path = key_path(keys_dir or keys_dirs(settings)[0], staff_id)
    records = Records.from_settings(settings)
    try:
        StaffDirectoryStore(records.engine, records.sealer).add(entry, by=by, name=name)
    finally:
        records.close()
    write_private_key(path, key)
    return entry, path


#: The local stack's development members: the demo's coordinator, the README's coordinator and finance.
DEV_STAFF: tuple[tuple[str, str], ...] = (("coord.demo", "staff"), ("coord.ana", "staff"), ("fin.luis", "finance"))


def ensure_dev_staff(settings: Settings) -> dict[str, str]:
    """``casefac up``: a development key for each of ``DEV_STAFF`` (and ``CASEFAC_STAFF_ID``, the local user)
    in ``<data dir>/staff-keys``, registered in the stack's record; returns the env that makes the stack's
    new cases require signed staff updates. Keys already there (and still active) are kept."""
    from records.connect import Records
    from records.staff_directory import StaffDirectoryStore

    wanted = list(DEV_STAFF)
    local = os.environ.get("CASEFAC_STAFF_ID")
    if local and all(local != sid for sid, _ in wanted):
        wanted.append((local, "staff"))
    dev_dir = settings.data_dir.expanduser() / DEV_KEYS_DIR
    records = Records.from_settings(settings)
    try:
        active = {k.key_id for k in StaffDirectoryStore(records.engine).directory().keys if k.revoked_at is None}
    finally:
        records.close()
    for staff_id, role in wanted:
        path = key_path(dev_dir, staff_id)
        if path.exists():
            try:
                existing = read_private_key(path)
            except (KeyFileError, ValueError):
                existing = None
            if existing is not None and fingerprint(public_key_bytes(existing.public_key())) in active:
                continue
        enroll(settings, staff_id, role, by="casefac-up", keys_dir=dev_dir)
    # The stack provisioned last comes first: a process that started several stacks in turn (the tests, a
    # second `casefac demo`) signs with the keys of the stack it now talks to, never an earlier one's.
    if dev_dir in _PROVISIONED:
        _PROVISIONED.remove(dev_dir)
    _PROVISIONED.insert(0, dev_dir)
    return {"CASEFAC_STAFF__REQUIRE_SIGNATURES": "true"}
