"""AES-256-GCM payload codec: everything Temporal stores for a case is ciphertext (DESIGN §6).

Encode wraps each serialized ``Payload`` with the ring's current key; decode picks the key by the id in
the metadata, so rotated-out keys keep old histories readable. The key id is bound as associated data:
relabelling a payload with another key id fails authentication instead of decrypting to garbage.

Payloads without the encrypted encoding pass through on decode, so histories written before encryption
was switched on still read. An encrypted payload that cannot be decrypted is always an error that names
its key id — never a silent pass-through — because a workflow acting on a garbled input is worse than a
workflow task that fails and retries until an operator supplies the missing key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from casefac.converter import data_converter
from casefac.keyring import KeyRing

if TYPE_CHECKING:
    from casefac.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16


class PayloadDecryptionError(ValueError):
    """An encrypted payload could not be decrypted; ``key_id`` says which key it needs."""

    def __init__(self, key_id: str | None, message: str) -> None:
        super().__init__(message)
        self.key_id = key_id


class EncryptionCodec(PayloadCodec):
    """Encrypts with the key ring's current key, decrypts with whichever key the payload names."""

    def __init__(self, keyring: KeyRing) -> None:
        # AESGCM objects are built once: key setup is the costly part, encryption itself is cheap.
        self._current = keyring.current
        self._ciphers = {key_id: AESGCM(raw) for key_id, raw in keyring.raw_keys().items()}

    @property
    def current_key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """One payload → ``nonce ‖ ciphertext ‖ tag`` of its serialized proto, under the current key."""
        key_id = self._current
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode("utf-8"))
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode("utf-8")},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        """The original payload, or the input unchanged when it was never encrypted."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_id is None:
            raise PayloadDecryptionError(None, f"encrypted payload has no {KEY_ID_METADATA!r} metadata")
        key_id = raw_id.decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                key_id, f"payload is encrypted with key {key_id!r}, which is not in the key ring")
        if len(payload.data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(key_id, f"payload encrypted with key {key_id!r} is truncated")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, sealed, raw_id)
        except InvalidTag as exc:
            raise PayloadDecryptionError(
                key_id, f"payload encrypted with key {key_id!r} failed authentication "
                        "(tampered, or the key under that id is not the one that encrypted it)") from exc
        original = Payload()
        original.ParseFromString(plaintext)
        return original


def codec_from_settings(settings: Settings, *, create: bool = False) -> EncryptionCodec:
    """The codec for ``settings.keyring_path``; ``create=True`` (``casefac up``) makes the ring if missing.

    Everything else loads only, so a worker pointed at the wrong path fails loudly instead of inventing a
    key that cannot read the existing histories.
    """
    path = settings.keyring_path
    ring = KeyRing.load_or_create(path) if create else KeyRing.load(path)
    return EncryptionCodec(ring)


def converter_from_settings(settings: Settings, *, create: bool = False) -> DataConverter:
    """The project's pydantic data converter wrapped with the encryption codec from ``settings``."""
    return data_converter(codec_from_settings(settings, create=create))


__all__ = [
    "ENCODING",
    "KEY_ID_METADATA",
    "EncryptionCodec",
    "PayloadDecryptionError",
    "codec_from_settings",
    "converter_from_settings",
]
