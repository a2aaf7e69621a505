"""The key ring behind the payload codec: which AES-256 keys exist, and which one encrypts new payloads.

Rotation works by adding a key and making it current: new payloads use it, while histories written
under older keys still decrypt because every old key stays in the ring. Keys are never removed here —
dropping one would make every history it encrypted unreadable — so removal is a deliberate manual act.

The file is JSON ``{"current": id, "keys": {id: base64 32-byte key}, "legacy_aad_keys": [id, ...]}``,
written atomically with owner-only permissions because it protects migrants' client data (DESIGN §6).
``legacy_aad_keys`` names the keys that existed before payloads were bound to their workflow
(``casefac.codec``): only under those does the codec still read the old, unbound form. A file without the
field predates the binding, so all its keys are legacy; rings generated since list none.

Live mode refuses a ring file that group or others can access (review m6): ``load(owner_only=True)``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import secrets
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

log = logging.getLogger(__name__)

KEY_BYTES = 32
#: Key ids travel in payload metadata (unencrypted): short, opaque, never derived from data.
KEY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
KeyId = Annotated[str, Field(pattern=KEY_ID_PATTERN)]


class KeyRingError(ValueError):
    """The key ring file is missing, malformed or inconsistent."""


def new_key_id() -> str:
    """``k20260128-1f3a9c``: sortable by creation day, random suffix so two rotations a day never clash."""
    return f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _new_key() -> SecretStr:
    return SecretStr(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii"))


class KeyRing(BaseModel):
    """AES-256 keys by id plus the id of the current (encrypting) key.

    Keys are ``SecretStr`` so a key ring that ends up in a log or a traceback shows no key material.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    current: KeyId
    keys: dict[KeyId, SecretStr]
    #: Keys that predate workflow binding (None in a file written before the field existed: all of them).
    legacy_aad_keys: list[KeyId] | None = None

    @field_validator("keys")
    @classmethod
    def _keys_are_aes256(cls, keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if not keys:
            raise ValueError("the key ring holds no keys")
        for key_id, value in keys.items():
            try:
                raw = base64.b64decode(value.get_secret_value(), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"key {key_id!r} is not valid base64") from exc
            if len(raw) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} is {len(raw)} bytes; AES-256 needs {KEY_BYTES}")
        return keys

    @model_validator(mode="after")
    def _current_is_known(self) -> Self:
        if self.current not in self.keys:
            raise ValueError(f"current key {self.current!r} is not among the keys")
        if self.legacy_aad_keys is None:  # a ring written before the binding existed
            object.__setattr__(self, "legacy_aad_keys", sorted(self.keys))
        elif unknown := set(self.legacy_aad_keys) - set(self.keys):
            raise ValueError(f"legacy_aad_keys names keys not in the ring: {sorted(unknown)}")
        return self

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def generate(cls, key_id: str | None = None) -> KeyRing:
        """A fresh ring with one random key, current."""
        key_id = key_id or new_key_id()
        return cls(current=key_id, keys={key_id: _new_key()}, legacy_aad_keys=[])

    def add_new_key(self, make_current: bool = True, key_id: str | None = None) -> str:
        """Add a random key (rotation) and return its id; old keys stay so old payloads still decrypt.

        ``make_current=False`` lets a new key be distributed to every worker first and switched on later,
        so no process ever meets a payload under a key it does not have yet.
        """
        key_id = key_id or new_key_id()
        if key_id in self.keys:
            raise KeyRingError(f"key {key_id!r} already exists")
        self.keys = {**self.keys, key_id: _new_key()}
        if make_current:
            self.current = key_id
        return key_id

    # -- access ----------------------------------------------------------------------------------
    def key_bytes(self, key_id: str) -> bytes:
        """The raw key for ``key_id``; ``KeyError`` when the ring does not hold it."""
        return base64.b64decode(self.keys[key_id].get_secret_value())

    def raw_keys(self) -> dict[str, bytes]:
        return {key_id: self.key_bytes(key_id) for key_id in self.keys}

    # -- persistence -----------------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The on-disk JSON document, key material revealed (only ``save`` should need this)."""
        return {"current": self.current, "keys": {k: v.get_secret_value() for k, v in self.keys.items()},
                "legacy_aad_keys": sorted(self.legacy_aad_keys or ())}

    @classmethod
    def load(cls, path: Path, *, owner_only: bool = False) -> KeyRing:
        """Read a key ring file; a clear ``KeyRingError`` instead of a pydantic dump on any problem.

        ``owner_only`` (live mode) refuses a file whose mode is wider than 0600 instead of warning.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise KeyRingError(f"key ring file {path} does not exist (`casefac up` creates one)") from exc
        _check_exposure(path, refuse=owner_only)
        try:
            return cls.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValueError) as exc:
            # Pydantic's message never echoes SecretStr values, so this cannot leak a key.
            raise KeyRingError(f"key ring file {path} is invalid: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename in the same directory) with mode 0600.

        Atomic so a crash mid-write never leaves a truncated ring, which would lock every encrypted
        history out; the temp file is created 0600 so the keys are never briefly world-readable.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = json.dumps(self.to_document(), indent=2, sort_keys=True).encode("utf-8") + b"\n"
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(path.parent)

    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        """Load the ring, or generate and save one when the file is missing (``casefac up``)."""
        path = Path(path)
        if path.exists():
            return cls.load(path)
        ring = cls.generate()
        ring.save(path)
        log.info("created key ring %s with key %s", path, ring.current)
        return ring


def _check_exposure(path: Path, *, refuse: bool) -> None:
    """Group or others can reach the keys: refuse in live mode, else warn (a dev checkout on a laptop)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & ~0o600:
        if refuse:
            raise KeyRingError(f"key ring file {path} has mode {mode:o}, wider than 0600; live mode refuses it. "
                               f"Fix: chmod 600 {path} (and make its owner the service user)")
        log.warning("key ring file %s is accessible beyond its owner (mode %o); chmod 600 it", path, mode)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort where directories cannot be opened (non-POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["KEY_BYTES", "KEY_ID_PATTERN", "KeyRing", "KeyRingError", "new_key_id"]
