"""Sealing personal data and free text for the case record: AES-256-GCM per value, keys from the key ring.

A sealed value is ``v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`` (key ids never hold a colon).
The key is derived from the ring's key of that id with HKDF-SHA256 (info ``casefac-records-v1``), so the
record never uses the very key that encrypts Temporal payloads: one purpose, one key. The associated data
binds the value to where it lives (``table.column``, the row's key and the case id), so a sealed value
copied into another row or column fails to open instead of reading as that row's data.

Rotation works as for payloads: new values are sealed with the ring's current key, values sealed under
older keys keep opening as long as the ring holds those keys.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casefac.keyring import KeyRing

VERSION = "v1"
_INFO = b"casefac-records-v1"
_NONCE = 12


class UnsealError(ValueError):
    """A sealed value could not be opened: unknown key id, tampered, or moved to another row or column."""


@lru_cache(maxsize=64)
def _cipher(raw_key: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw_key)
    return AESGCM(derived)


class Sealer:
    """Seals with the ring's current key; opens with whichever key a value names."""

    def __init__(self, keyring: KeyRing) -> None:
        self._current = keyring.current
        self._ciphers = {key_id: _cipher(raw) for key_id, raw in keyring.raw_keys().items()}

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, value: str, *, where: str, case_id: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self._current].encrypt(nonce, value.encode("utf-8"), _aad(where, case_id))
        return f"{VERSION}:{self._current}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def seal_optional(self, value: str | None, *, where: str, case_id: str) -> str | None:
        """None and the empty string stay NULL: an empty comment is not worth a ciphertext."""
        return self.seal(value, where=where, case_id=case_id) if value else None

    def open(self, token: str, *, where: str, case_id: str) -> str:
        try:
            version, key_id, body = token.split(":", 2)
        except ValueError:
            raise UnsealError(f"{where} of {case_id} is not a sealed value") from None
        if version != VERSION:
            raise UnsealError(f"{where} of {case_id}: unknown sealing version {version!r}")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnsealError(f"{where} of {case_id} is sealed with key {key_id!r}, which this key ring lacks")
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        try:
            return cipher.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(where, case_id)).decode("utf-8")
        except InvalidTag:
            raise UnsealError(f"{where} of {case_id} (key {key_id}) failed authentication") from None

    def open_optional(self, token: str | None, *, where: str, case_id: str) -> str | None:
        return None if token is None else self.open(token, where=where, case_id=case_id)


def _aad(where: str, case_id: str) -> bytes:
    return f"{VERSION}|{where}|{case_id}".encode()
